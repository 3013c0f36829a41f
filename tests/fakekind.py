"""A fake `kind` CLI for the tests, and a fake API server that also serves namespaces.

kind cannot run in the test machine (no node image, no registry), so the tests
put `install(bin_dir, ...)`'s wrapper first on the PATH: an executable that runs
`main()` here with this interpreter. It speaks the subcommands minprow uses with
kind's own texts, streams and exit codes (kubernetes-sigs/kind
`pkg/cmd/kind/{create,get,load,delete}/...`, `pkg/cluster/internal/...`; errors
as `ERROR: ...` on stderr with exit 1):

- `create cluster --name N [--kubeconfig P] [--wait D]`: progress on stderr;
  `node(s) already exist for a cluster with the name "N"` when N exists;
- `get clusters`: names on stdout, or `No kind clusters found.` on stderr;
- `get kubeconfig --name N`: a kubeconfig (context `kind-N`) pointing at
  `FAKEKIND_SERVER`, or kind's "could not locate any control plane nodes";
- `load docker-image IMAGE --name N`: checks the image with `docker image inspect`
  as kind does, and records it with its ID;
- `delete cluster --name N [--kubeconfig P]`: exit 0 whether or not N exists.

State lives in `FAKEKIND_STATE` (a directory): one JSON file a cluster and a
`calls.jsonl` of every invocation. `FAKEKIND_FAIL=create|delete` makes that
subcommand fail the way kind does when Docker fails under it, and
`FAKEKIND_HANG=SECONDS` makes every call hang first (for timeouts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from fakekube import FakeKube, FakeKubeThread, status

NODE_IMAGE = "kindest/node:v1.31.0"
NAMESPACES = "/api/v1/namespaces"
# The namespaces a fresh kind cluster has.
KIND_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system", "local-path-storage")


class _Usage(Exception):
    """A command line kind would reject."""


def _err(message: str) -> int:
    print(f"ERROR: {message}", file=sys.stderr)
    return 1


def _flags(
    args: list[str], known: set[str], bools: AbstractSet[str] = frozenset()
) -> tuple[dict[str, str], list[str]]:
    """cobra-style `--flag value` / `--flag=value` / `-n value` parsing."""
    values: dict[str, str] = {}
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg.startswith("-"):
            key, eq, value = arg.lstrip("-").partition("=")
            key = "name" if key == "n" else key
            if key in bools:
                values[key] = value or "true"
                continue
            if key not in known:
                raise _Usage(f"unknown flag: {arg}")
            if not eq:
                try:
                    value = next(it)
                except StopIteration:
                    raise _Usage(f"flag needs an argument: {arg}") from None
            values[key] = value
        else:
            rest.append(arg)
    return values, rest


class _State:
    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "clusters").mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.root / "clusters" / f"{name}.json"

    def names(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "clusters").glob("*.json"))

    def get(self, name: str) -> dict[str, Any] | None:
        path = self.path(name)
        return json.loads(path.read_text()) if path.exists() else None

    def put(self, name: str, data: dict[str, Any]) -> None:
        self.path(name).write_text(json.dumps(data, indent=1))


def kubeconfig(name: str, server: str) -> dict[str, Any]:
    """What `kind get kubeconfig --name NAME` prints, with the fake API server's URL."""
    ctx = f"kind-{name}"
    return {
        "apiVersion": "v1",
        "clusters": [{"cluster": {"server": server}, "name": ctx}],
        "contexts": [{"context": {"cluster": ctx, "user": ctx}, "name": ctx}],
        "current-context": ctx,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": ctx, "user": {}}],
    }


def _merge_into(path: Path, doc: dict[str, Any]) -> None:
    """kind's kubeconfig merge: replace entries of the same name, set current-context."""
    old = yaml.safe_load(path.read_text()) if path.exists() else None
    merged = old or {"apiVersion": "v1", "kind": "Config", "preferences": {}}
    for section in ("clusters", "contexts", "users"):
        mine = {e["name"] for e in doc[section]}
        merged[section] = [e for e in merged.get(section) or [] if e["name"] not in mine] + doc[
            section
        ]
    merged["current-context"] = doc["current-context"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(merged))


def _remove_from(path: Path, name: str) -> None:
    if not path.exists():
        return
    doc = yaml.safe_load(path.read_text()) or {}
    ctx = f"kind-{name}"
    for section in ("clusters", "contexts", "users"):
        doc[section] = [e for e in doc.get(section) or [] if e["name"] != ctx]
    if doc.get("current-context") == ctx:
        doc["current-context"] = ""
    path.write_text(yaml.safe_dump(doc))


def _create(state: _State, args: list[str]) -> int:
    flags, _ = _flags(args, {"name", "kubeconfig", "wait", "image", "config"}, {"retain"})
    name = flags.get("name") or os.environ.get("KIND_CLUSTER_NAME") or "kind"
    if state.get(name) is not None:
        return _err(
            f'failed to create cluster: node(s) already exist for a cluster with the name "{name}"'
        )

    def say(line: str) -> None:  # kind's logger writes to stderr
        print(line, file=sys.stderr)

    say(f'Creating cluster "{name}" ...')
    if os.environ.get("FAKEKIND_FAIL") == "create":
        say(f" ✗ Ensuring node image ({NODE_IMAGE}) 🖼")
        return _err(
            f'failed to create cluster: failed to pull image "{NODE_IMAGE}": command "docker pull '
            f'{NODE_IMAGE}" failed with error: exit status 1\nCommand Output: Error response from '
            'daemon: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io:'
            " no such host"
        )
    for step in (
        f"Ensuring node image ({NODE_IMAGE}) 🖼",
        "Preparing nodes 📦",
        "Writing configuration 📜",
        "Starting control-plane 🕹️",
        "Installing CNI 🔌",
        "Installing StorageClass 💾",
    ):
        say(f" ✓ {step}")
    if "wait" in flags:
        say(f" ✓ Waiting ≤ {flags['wait']} for control-plane = Ready ⏳")
        say(" • Ready after 0s 💚")
    state.put(name, {"name": name, "images": {}, "created": datetime.now(UTC).isoformat()})
    target = flags.get("kubeconfig") or os.environ.get("KUBECONFIG")
    if target:  # never the developer's ~/.kube/config
        _merge_into(Path(target), kubeconfig(name, os.environ["FAKEKIND_SERVER"]))
    say(f'Set kubectl context to "kind-{name}"')
    say("You can now use your cluster with:\n")
    more = f" --kubeconfig {flags['kubeconfig']}" if "kubeconfig" in flags else ""
    say(f"kubectl cluster-info --context kind-{name}{more}\n")
    say("Have a nice day! 👋")
    return 0


def _get(state: _State, args: list[str]) -> int:
    what, rest = (args[0], args[1:]) if args else ("", [])
    if what == "clusters":
        names = state.names()
        if not names:
            print("No kind clusters found.", file=sys.stderr)
        for name in names:
            print(name)
        return 0
    if what == "kubeconfig":
        flags, _ = _flags(rest, {"name"}, {"internal"})
        name = flags.get("name") or os.environ.get("KIND_CLUSTER_NAME") or "kind"
        if state.get(name) is None:
            return _err(
                f"could not locate any control plane nodes for cluster named '{name}'. "
                "Use the --name option to select a different cluster"
            )
        print(yaml.safe_dump(kubeconfig(name, os.environ["FAKEKIND_SERVER"])))
        return 0
    raise _Usage(f'unknown command "{what}" for "kind get"')


def _load(state: _State, args: list[str]) -> int:
    if not args or args[0] != "docker-image":
        raise _Usage(f'unknown command "{args[0] if args else ""}" for "kind load"')
    flags, images = _flags(args[1:], {"name", "nodes"})
    if not images:
        return _err("name of image is required")
    name = flags.get("name") or os.environ.get("KIND_CLUSTER_NAME") or "kind"
    image_ids: dict[str, str] = {}
    for image in images:  # as kind: `docker image inspect -f {{ .Id }}` first
        found = subprocess.run(
            ["docker", "image", "inspect", "-f", "{{ .Id }}", image],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if found.returncode != 0:
            return _err(f'image: "{image}" not present locally')
        image_ids[image] = found.stdout.strip()
    cluster = state.get(name)
    if cluster is None:
        return _err(f'no nodes found for cluster "{name}"')
    for image, image_id in image_ids.items():
        if cluster["images"].get(image) != image_id:
            node = f"{name}-control-plane"
            print(
                f'Image: "{image}" with ID "{image_id}" not yet present on node "{node}", loading...',
                file=sys.stderr,
            )
            cluster["images"][image] = image_id
    state.put(name, cluster)
    return 0


def _delete(state: _State, args: list[str]) -> int:
    if not args or args[0] != "cluster":
        raise _Usage(f'unknown command "{args[0] if args else ""}" for "kind delete"')
    flags, _ = _flags(args[1:], {"name", "kubeconfig"})
    name = flags.get("name") or os.environ.get("KIND_CLUSTER_NAME") or "kind"
    print(f'Deleting cluster "{name}" ...', file=sys.stderr)
    if os.environ.get("FAKEKIND_FAIL") == "delete":
        return _err(
            f'failed to delete cluster "{name}": failed to delete nodes: command "docker rm -f -v '
            f'{name}-control-plane" failed with error: exit status 1\nCommand Output: Error response'
            f" from daemon: removal of container {name}-control-plane is already in progress"
        )
    if state.get(name) is not None:
        state.path(name).unlink()
        print(f'Deleted nodes: ["{name}-control-plane"]', file=sys.stderr)
    target = flags.get("kubeconfig") or os.environ.get("KUBECONFIG")
    if target:
        _remove_from(Path(target), name)
    return 0


def main(argv: list[str]) -> int:
    state = _State(Path(os.environ["FAKEKIND_STATE"]))
    with (state.root / "calls.jsonl").open("a") as calls:
        calls.write(json.dumps(argv) + "\n")
    hang = os.environ.get("FAKEKIND_HANG")
    if hang:
        time.sleep(float(hang))  # a kind stuck on a wedged Docker engine
    commands = {"create": _create_cmd, "get": _get, "load": _load, "delete": _delete}
    try:
        if not argv or argv[0] not in commands:
            raise _Usage(f'unknown command "{argv[0] if argv else ""}" for "kind"')
        return commands[argv[0]](state, argv[1:])
    except _Usage as err:
        return _err(str(err))


def _create_cmd(state: _State, args: list[str]) -> int:
    if args[:1] != ["cluster"]:
        raise _Usage(f'unknown command "{args[0] if args else ""}" for "kind create"')
    return _create(state, args[1:])


def install(bin_dir: Path) -> Path:
    """Write the `kind` wrapper into `bin_dir`: this interpreter running `main()`."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    wrapper = bin_dir / "kind"
    tests = Path(__file__).resolve().parent
    wrapper.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"sys.path.insert(0, {str(tests)!r})\n"
        "from fakekind import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    wrapper.chmod(0o755)
    return wrapper


class KindApiServer(FakeKube):
    """`FakeKube` plus the core namespaces API a kind cluster has (get, create)."""

    def __init__(self, *, window: int = 1000) -> None:
        super().__init__(window=window)
        self.namespaces: dict[str, dict[str, Any]] = {}
        # Lists of ProwJobs answered 404 before the CRD counts as Established, as
        # kube-apiserver does in the moment after a CRD is created.
        self.unserved_lists = 0
        for name in KIND_NAMESPACES:
            self._add_namespace(name)

    def _add_namespace(self, name: str) -> dict[str, Any]:
        self.revision += 1
        obj = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid4()),
                "resourceVersion": str(self.revision),
                "creationTimestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }
        self.namespaces[name] = obj
        return obj

    def app(self) -> web.Application:
        app = super().app()
        taken = {r.resource.canonical for r in app.router.routes() if r.resource is not None}
        if NAMESPACES + "/{name}" not in taken:  # unless fakekube.py serves them by now
            app.router.add_get(NAMESPACES + "/{name}", self._get_namespace)
            app.router.add_post(NAMESPACES, self._create_namespace)
        return app

    async def _list_or_watch(self, request: web.Request) -> web.StreamResponse:
        if self.unserved_lists > 0:
            self.unserved_lists -= 1
            body = status(404, "NotFound", "the server could not find the requested resource")
            return web.json_response(body, status=404)
        return await super()._list_or_watch(request)

    async def _get_namespace(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requests.append(("GET", request.path_qs))
        if name not in self.namespaces:
            body = status(
                404, "NotFound", f'namespaces "{name}" not found', name=name, kind="namespaces"
            )
            return web.json_response(body, status=404)
        return web.json_response(self.namespaces[name])

    async def _create_namespace(self, request: web.Request) -> web.Response:
        body = await request.json()
        name = body.get("metadata", {}).get("name", "")
        self.requests.append(("POST", request.path_qs))
        if name in self.namespaces:
            conflict = status(
                409,
                "AlreadyExists",
                f'namespaces "{name}" already exists',
                name=name,
                kind="namespaces",
            )
            return web.json_response(conflict, status=409)
        return web.json_response(self._add_namespace(name), status=201)


class KindApiServerThread(FakeKubeThread):
    """`KindApiServer` in a thread of its own, as `FakeKubeThread` runs `FakeKube`."""

    def __init__(self, *, window: int = 1000) -> None:
        super().__init__(window=window)
        self.fake: KindApiServer = KindApiServer(window=window)

    def __enter__(self) -> KindApiServerThread:
        self.start()
        return self


def busybox_context(dest: Path) -> Path:
    """A build context for fixtures/images/busybox/Dockerfile: the host's static busybox.

    The repo's own Dockerfile needs a registry for its base image, so the tests
    build this one through the same `build_image`.
    """
    dest.mkdir(parents=True, exist_ok=True)
    busybox = Path("/bin/busybox")
    if not busybox.is_file():
        raise FileNotFoundError(
            f"{busybox} is missing: install busybox-static to build the test image"
        )
    (dest / "busybox").write_bytes(busybox.read_bytes())
    (dest / "busybox").chmod(0o755)
    return dest

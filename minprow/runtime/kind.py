"""`minprow up` on a kind cluster, and `minprow down`.

When Docker answers and `kind` is on the PATH, `minprow up` runs its jobs as
pods in a local kind cluster (named `minprow` by default), the way Prow's own
developers run it (kubernetes-sigs/prow `test/integration/setup-kind-cluster.sh`
and `config/prow/cluster/starter/starter-s3-kind.yaml`: a kind cluster, the
images `kind load`ed, the ProwJob CRD applied, the `test-pods` namespace).
`prepare()` does each step, logging its duration:

1. create the cluster, or reuse it when `kind get clusters` lists it;
2. write its kubeconfig (`kind get kubeconfig`) to `<state-dir>/kind-kubeconfig`,
   mode 0600: its context `kind-<name>` is both the ProwJob context and, as its
   current-context, the `default` build cluster (kube/kubeconfig.py's alias);
3. build the minprow image with the Docker SDK and `kind load docker-image` it;
4. install the ProwJob CRD and wait until it is served;
5. create the pod namespace (config `pod_namespace`) and the ProwJob namespace
   when absent.

Without kind, `kind_unavailable()` says why, and `up` keeps the embedded store
and the local executor. `down()` deletes the cluster. The kind CLI calls live
in `_kind_cli.py`; the Kubernetes calls in `_kind_kube.py`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from minprow.runtime._kind_cli import (
    CREATE_TIMEOUT,
    DELETE_TIMEOUT,
    LOAD_TIMEOUT,
    QUERY_TIMEOUT,
    KindError,
    get_clusters,
    kind_path,
    run_kind,
)
from minprow.runtime.engines import docker_unavailable

__all__ = [
    "DEFAULT_NAME",
    "KUBECONFIG_FILE",
    "ImageBuildError",
    "KindCluster",
    "KindError",
    "build_image",
    "delete_cluster",
    "down",
    "ensure_cluster",
    "get_clusters",
    "kind_unavailable",
    "load_image",
    "prepare",
]

log = logging.getLogger("minprow.runtime.kind")

DEFAULT_NAME = "minprow"
KUBECONFIG_FILE = "kind-kubeconfig"
# kind's `--wait`: create returns once the control-plane node is Ready, so the
# first job's pod is scheduled instead of waiting on a NotReady node.
WAIT_READY = "120s"
BUILD_TIMEOUT = 1800  # seconds, for the Docker SDK's HTTP calls during a build


class ImageBuildError(RuntimeError):
    """The minprow image could not be built; the message ends with the build log's tail."""


@dataclass(frozen=True)
class KindCluster:
    """A kind cluster minprow runs on: its kubeconfig file and context."""

    name: str
    kubeconfig: Path
    context: str
    created: bool = False  # False when an existing cluster was reused


def context_name(name: str) -> str:
    """kind's kubeconfig context for cluster `name` (`kind-<name>`)."""
    return f"kind-{name}"


def kind_unavailable() -> str | None:
    """Why `up` cannot use kind here, or None when `kind` and Docker are both there."""
    if kind_path() is None:
        return "kind is not on the PATH"
    why = docker_unavailable()
    if why is not None:
        return f"the Docker engine does not answer ({why})"
    return None


@contextlib.contextmanager
def _step(what: str) -> Iterator[None]:
    start = time.monotonic()
    log.info("kind: %s ...", what)
    yield
    log.info("kind: %s done in %.1fs", what, time.monotonic() - start)


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600 from the first byte (it holds a client key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o600)  # O_CREAT's mode is masked by the umask and ignored if tmp existed
    os.replace(tmp, path)


def ensure_cluster(name: str, state_dir: Path) -> KindCluster:
    """Create cluster `name` unless kind lists it; write its kubeconfig under `state_dir`."""
    kubeconfig = state_dir / KUBECONFIG_FILE
    created = name not in get_clusters()
    if created:
        # --kubeconfig: kind merges its context into this file, not the user's
        # ~/.kube/config, which minprow leaves alone.
        # A file left there describes a cluster kind no longer has: start afresh
        # rather than have kind merge into it.
        kubeconfig.parent.mkdir(parents=True, exist_ok=True)
        kubeconfig.unlink(missing_ok=True)
        run_kind(
            "create",
            "cluster",
            "--name",
            name,
            "--kubeconfig",
            str(kubeconfig),
            "--wait",
            WAIT_READY,
            timeout=CREATE_TIMEOUT,
        )
    text = run_kind("get", "kubeconfig", "--name", name, timeout=QUERY_TIMEOUT).stdout
    context = context_name(name)
    try:
        doc = yaml.safe_load(text)
        contexts = {c["name"] for c in doc.get("contexts") or []}
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as err:
        raise KindError(
            ["kind", "get", "kubeconfig", "--name", name], f"printed no kubeconfig ({err})"
        ) from err
    if context not in contexts:
        raise KindError(
            ["kind", "get", "kubeconfig", "--name", name],
            f"printed a kubeconfig without context {context!r} (has {sorted(contexts)})",
        )
    _write_private(kubeconfig, text)
    return KindCluster(name=name, kubeconfig=kubeconfig, context=context, created=created)


def build_image(context_dir: Path, dockerfile: Path, tag: str) -> None:
    """Build `dockerfile` with `context_dir` as its context, tagged `tag` (Docker SDK).

    `dockerfile` may lie outside the context (the SDK sends it along).
    """
    import docker
    from docker.errors import APIError, BuildError, DockerException

    client = docker.from_env(timeout=BUILD_TIMEOUT)
    try:
        inside = dockerfile.resolve().is_relative_to(context_dir.resolve())
        name = (
            str(dockerfile.resolve().relative_to(context_dir.resolve()))
            if inside
            else str(dockerfile.resolve())
        )
        client.images.build(path=str(context_dir), dockerfile=name, tag=tag, rm=True, forcerm=True)
    except BuildError as err:
        lines = [
            str(chunk.get("stream") or chunk.get("error") or "").rstrip() for chunk in err.build_log
        ]
        tail = "\n".join("  " + line for line in [line for line in lines if line][-15:])
        raise ImageBuildError(
            f"building {tag} from {dockerfile} failed: {err.msg}\n{tail}"
        ) from err
    except (APIError, DockerException) as err:
        raise ImageBuildError(f"building {tag} from {dockerfile} failed: {err}") from err
    finally:
        client.close()


def load_image(tag: str, cluster: KindCluster) -> None:
    """`kind load docker-image TAG --name NAME`: copy a local image into the cluster's nodes."""
    run_kind("load", "docker-image", tag, "--name", cluster.name, timeout=LOAD_TIMEOUT)


def prepare(
    cluster_name: str,
    state_dir: Path,
    repo_dir: Path,
    image_tag: str,
    pod_namespace: str,
    *,
    dockerfile: Path | None = None,
    prowjob_namespace: str = "default",
) -> KindCluster:
    """Everything `up` needs from kind: cluster, kubeconfig, image, CRD, namespaces.

    `repo_dir` is the build context; `dockerfile` defaults to its top-level
    `Dockerfile`. Raises `KindError`, `ImageBuildError` or
    `minprow.runtime._kind_kube.KubeSetupError` naming the step that failed.
    """
    from minprow.runtime._kind_kube import ensure_namespaces, install_crd

    started = time.monotonic()
    with _step(f"cluster {cluster_name!r}"):
        cluster = ensure_cluster(cluster_name, state_dir)
    log.info(
        "kind: %s cluster %r, kubeconfig %s, context %s",
        "created" if cluster.created else "reusing",
        cluster.name,
        cluster.kubeconfig,
        cluster.context,
    )
    with _step(f"build image {image_tag}"):
        build_image(repo_dir, dockerfile or repo_dir / "Dockerfile", image_tag)
    with _step(f"load image {image_tag} into {cluster_name!r}"):
        load_image(image_tag, cluster)
    with _step("install the ProwJob CRD"):
        install_crd(cluster, prowjob_namespace)
    with _step(f"namespaces {pod_namespace!r}, {prowjob_namespace!r}"):
        ensure_namespaces(cluster, [pod_namespace, prowjob_namespace])
    log.info("kind: cluster %r ready in %.1fs", cluster.name, time.monotonic() - started)
    return cluster


def delete_cluster(name: str, kubeconfig: Path | None = None) -> bool:
    """`kind delete cluster --name NAME`; False when kind lists no such cluster."""
    if name not in get_clusters():
        return False
    args = ["delete", "cluster", "--name", name]
    if kubeconfig is not None:  # so kind removes its context from that file too
        args += ["--kubeconfig", str(kubeconfig)]
    run_kind(*args, timeout=DELETE_TIMEOUT)
    return True


def down(name: str = DEFAULT_NAME, state_dir: Path | None = None) -> tuple[int, str]:
    """`minprow down`: (exit code, the message to print). Deletes the cluster and the
    kubeconfig `up` wrote; a cluster that does not exist is not an error."""
    if kind_path() is None:
        return 0, f"kind is not on the PATH: no kind cluster {name!r} to delete"
    kubeconfig = state_dir / KUBECONFIG_FILE if state_dir is not None else None
    try:
        with _step(f"delete cluster {name!r}"):
            deleted = delete_cluster(
                name, kubeconfig if kubeconfig and kubeconfig.exists() else None
            )
    except KindError as err:
        return 1, str(err)
    if not deleted:
        return 0, f"no kind cluster named {name!r}: nothing to delete"
    if kubeconfig is not None:
        kubeconfig.unlink(missing_ok=True)
    return 0, f"deleted kind cluster {name!r}"

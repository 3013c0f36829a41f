"""Helpers of the `minprow serve --store kube` end-to-end tests: fake clusters in
threads, kubeconfigs naming them, `serve` child processes, and `kubectl`'s part.

Imported as `from servekube_helpers import ...` (a name no other test directory
uses). Each `Cluster` is a `fakekube.FakeKube` served from its own thread, so the
`minprow serve` child process talks to it over real HTTP while the test reads and
changes its state (`kubelet`, `pods`, `lease`) on the server's own loop. ProwJobs
are made as a user makes them: `minprow mkpj` prints the custom resource and the
test creates it through the real `kubernetes` client, as `kubectl create -f -`.
No Prow counterpart (Prow's integration tests run on a kind cluster instead).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from runtime_helpers import UpProcess

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "servekube"
CONFIG = FIXTURES / "config.yaml"
JOBS = FIXTURES / "jobs.yaml"
JOB_NAMESPACE = "prow-jobs"
POD_NAMESPACE = "test-pods"
LEASE = "minprow-controllers"
PODUTILS_IMAGE = "gcr.io/k8s-prow/minprow:e2e"
WAIT = 60.0
"""How long a poll waits: generous, as the machine is shared; never a timing assert."""

Obj = dict[str, Any]
T = TypeVar("T")


def poll(what: str, probe: Callable[[], T | None], limit: float = WAIT) -> T:
    """`probe()`'s first truthy result, polled every 0.1 s for at most `limit` seconds."""
    deadline = time.monotonic() + limit
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {limit:.0f}s (last seen: {last!r})")


@dataclass
class Cluster:
    """One fake Kubernetes API server in a thread: a build or the service cluster."""

    name: str
    thread: FakeKubeThread

    @property
    def url(self) -> str:
        return self.thread.url

    def pods(self) -> list[Obj]:
        """The pods of the pod namespace, as the API server holds them now."""
        return self.thread.call(
            lambda: [
                json.loads(json.dumps(p))
                for (ns, _), p in self.thread.fake.pods.items()
                if ns == POD_NAMESPACE
            ]
        )

    def pod(self, name: str) -> Obj | None:
        return next((p for p in self.pods() if p["metadata"]["name"] == name), None)

    def kubelet(self, name: str, phase: str, **kwargs: Any) -> None:
        """The kubelet reports the pod `name` reached `phase` (`set_pod_phase`)."""
        self.thread.set_pod_phase(POD_NAMESPACE, name, phase, **kwargs)

    def prowjob(self, name: str) -> Obj | None:
        """The ProwJob custom resource `name` as the API server holds it now."""
        found: Obj | None = self.thread.call(
            lambda: json.loads(json.dumps(self.thread.fake.objects.get((JOB_NAMESPACE, name))))
        )
        return found

    def lease_holder(self) -> str:
        """The Lease's holderIdentity ("" when absent or released)."""
        lease = self.thread.call(lambda: self.thread.fake.leases.get((JOB_NAMESPACE, LEASE)))
        return str(((lease or {}).get("spec") or {}).get("holderIdentity") or "")


@contextmanager
def clusters(*names: str) -> Iterator[dict[str, Cluster]]:
    """Fake API servers, one per name, stopped on exit."""
    started: dict[str, Cluster] = {}
    try:
        for name in names:
            thread = FakeKubeThread()
            thread.start()
            started[name] = Cluster(name, thread)
        yield started
    finally:
        for cluster in started.values():
            cluster.thread.stop()


def kubeconfig(path: Path, named: Mapping[str, Cluster], current: str | None = None) -> Path:
    """A real kubeconfig with one context per name, pointing at that fake cluster."""
    return write_kubeconfig(path, {n: c.url for n, c in named.items()}, current=current)


def mkpj(job: str) -> Obj:
    """The ProwJob `minprow mkpj --job JOB` prints for the fixtures' config."""
    made = subprocess.run(
        [sys.executable, "-m", "minprow", "mkpj", "--config-path", str(CONFIG),
         "--job-config-path", str(JOBS), "--job", job],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    pj: Obj = yaml.safe_load(made.stdout)
    return pj


def create_prowjob(config: Path, context: str, pj: Obj) -> str:
    """`kubectl --context CONTEXT create -f -` of `pj`: its name once created."""
    from kubernetes.client import CustomObjectsApi

    with api_client(config, context) as client:
        created = CustomObjectsApi(client).create_namespaced_custom_object(
            "prow.k8s.io", "v1", JOB_NAMESPACE, "prowjobs", pj
        )
    assert isinstance(created, dict)
    return str(created["metadata"]["name"])


def patch_prowjob(config: Path, context: str, name: str, patch: Obj) -> None:
    """`kubectl --context CONTEXT patch prowjob NAME --type merge -p PATCH`."""
    from kubernetes.client import CustomObjectsApi

    with api_client(config, context) as client:
        CustomObjectsApi(client).patch_namespaced_custom_object(
            "prow.k8s.io", "v1", JOB_NAMESPACE, "prowjobs", name, patch
        )


def serve(tmp_path: Path, *args: str, name: str = "serve") -> UpProcess:
    """`minprow serve --store kube --components plank` over the fixtures' config."""
    return UpProcess(
        tmp_path,
        tmp_path / name,
        "--store", "kube", "--components", "plank",
        "--config-path", str(CONFIG), "--job-config-path", str(JOBS),
        "--podutils-image", PODUTILS_IMAGE,
        *args,
        command="serve",
    )  # fmt: skip


def api(process: UpProcess, path: str) -> Any:
    """GET `path` of the serve process's HTTP API, decoded from JSON."""
    url = f"http://127.0.0.1:{process.port}{path}"
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def api_when_up(process: UpProcess, path: str) -> Any:
    """`api`, polled until the HTTP port answers (it opens after the log's "minprow is up")."""

    def probe() -> Any:
        try:
            return [api(process, path)]
        except OSError:
            return None

    return poll(f"GET {path}", probe)[0]


def ended(process: UpProcess) -> None:
    """Kill the process if the test left it running (a failing test); print its log,
    which pytest shows with a failure."""
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait(timeout=30)
    with contextlib.suppress(AssertionError):
        process.wait_for("\0never logged\0", limit=1)
    print("".join(process.lines))

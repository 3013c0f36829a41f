"""`minprow up`'s kind steps and `minprow down` against a real kind cluster (opt-in).

test_kind.py runs the same flow against a fake `kind`; this module checks that
the fake tells the truth. It needs Docker, `kind` on the PATH and network
access for kind's node image, takes a minute or two, and creates (then
deletes) its own cluster, `minprow-kind-test` unless `MINPROW_REAL_KIND_NAME`
says otherwise, so a developer's `minprow` cluster is left alone. Run it with:

    MINPROW_REAL_KIND=1 python -m pytest tests/runtime/test_kind_real.py -q -p no:cacheprovider

What it checks: a fresh cluster is created and then reused; the kubeconfig is
0600 with context `kind-<name>`; the ProwJob CRD serves ProwJobs; the pod
namespace exists; the image built by `build_image` and loaded by `load_image`
runs as a pod with `imagePullPolicy: Never` (so it can only come from the
load); `down` deletes the cluster and says so when it is already gone.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dockerimages import session_images
from fakekind import busybox_context

from minprow.kube import crd
from minprow.runtime import kind
from minprow.runtime._kind_kube import api_client

REPO = Path(__file__).resolve().parents[2]
BUSYBOX_DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
TAG = "minprow-kind-real-test:latest"
POD_NAMESPACE = "test-pods"
POD = "minprow-kind-real-test"
NAME = os.environ.get("MINPROW_REAL_KIND_NAME", "minprow-kind-test")
HOW = "MINPROW_REAL_KIND=1 python -m pytest tests/runtime/test_kind_real.py"

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("MINPROW_REAL_KIND") != "1",
        reason=f"a real kind cluster is opt-in: run `{HOW}` (needs Docker and kind on the PATH)",
    ),
    pytest.mark.skipif(
        shutil.which("kind") is None,
        reason=f"kind is not on the PATH: install kind, then run `{HOW}`",
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _built_image() -> Iterator[None]:
    """The image the tests build and load, removed when the last test session using it ends."""
    with session_images(TAG):
        yield


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("kind-real-state")
    yield path
    kind.down(NAME, path)  # whatever the tests did, leave no cluster behind


@pytest.fixture(scope="module")
def repo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    context = busybox_context(tmp_path_factory.mktemp("kind-real-repo"))
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE.read_text())
    return context


def _run_pod(cluster: kind.KindCluster, timeout: float = 180.0) -> str:
    """Run the loaded image as a pod that may not pull it; its log once it succeeded."""
    from kubernetes.client import CoreV1Api, V1Container, V1ObjectMeta, V1Pod, V1PodSpec

    pod = V1Pod(
        metadata=V1ObjectMeta(name=POD),
        spec=V1PodSpec(
            restart_policy="Never",
            containers=[
                V1Container(
                    name="test",
                    image=TAG,
                    image_pull_policy="Never",
                    command=["/bin/busybox", "echo", "loaded"],
                )
            ],
        ),
    )
    with api_client(cluster) as client:
        core = CoreV1Api(client)
        core.create_namespaced_pod(POD_NAMESPACE, pod)
        deadline = time.monotonic() + timeout
        phase: str | None = None
        while time.monotonic() < deadline:  # bounded poll: scheduling takes what it takes
            status = core.read_namespaced_pod(POD, POD_NAMESPACE).status
            phase = status.phase if status is not None else None
            if phase in ("Succeeded", "Failed"):
                break
            time.sleep(1)
        assert phase == "Succeeded", f"pod phase {phase!r} after {timeout:g}s"
        log: str = core.read_namespaced_pod_log(POD, POD_NAMESPACE)
        return log


@pytest.mark.parametrize("attempt", ["created", "reused"], ids=["fresh", "reuse"])
def test_prepare_on_real_kind(state_dir: Path, repo_dir: Path, attempt: str) -> None:
    from kubernetes.client import ApiextensionsV1Api, CoreV1Api, CustomObjectsApi

    cluster = kind.prepare(NAME, state_dir, repo_dir, TAG, POD_NAMESPACE)

    assert cluster.created == (attempt == "created")
    assert cluster.context == f"kind-{NAME}"
    assert stat.S_IMODE(cluster.kubeconfig.stat().st_mode) == 0o600
    with api_client(cluster) as client:
        ApiextensionsV1Api(client).read_custom_resource_definition(crd.NAME)
        listed = CustomObjectsApi(client).list_namespaced_custom_object(
            crd.GROUP, crd.VERSION, "default", crd.PLURAL
        )
        assert isinstance(listed, dict)
        assert listed["kind"] == crd.LIST_KIND
        namespace = CoreV1Api(client).read_namespace(POD_NAMESPACE)
        assert namespace.status is not None
        assert namespace.status.phase == "Active"
    if attempt == "created":
        assert _run_pod(cluster).strip() == "loaded"


@pytest.mark.parametrize(
    ("message"),
    [f"deleted kind cluster {NAME!r}", f"no kind cluster named {NAME!r}: nothing to delete"],
    ids=["deletes", "already-gone"],
)
def test_down_on_real_kind(state_dir: Path, message: str) -> None:
    assert kind.down(NAME, state_dir) == (0, message)
    assert NAME not in kind.get_clusters()
    assert not (state_dir / kind.KUBECONFIG_FILE).exists()

"""`minprow up` on kind and `minprow down`, against a fake `kind` CLI (tests/fakekind.py)
first on the PATH, a fake API server speaking the wire protocol, and the real Docker
engine for the image build and the `docker image inspect` the fake kind runs.

The opt-in run against a real kind cluster is test_kind_real.py.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from dockerimages import session_images
from fakekind import KindApiServerThread, busybox_context, install

from minprow.kube import crd
from minprow.kube.kubeconfig import ServiceAccount, load_cluster_configs
from minprow.runtime import kind
from minprow.runtime._kind_cli import KindError, get_clusters
from minprow.runtime._kind_kube import KubeSetupError, install_crd

REPO = Path(__file__).resolve().parents[2]
BUSYBOX_DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
FAILING_DOCKERFILE = REPO / "fixtures" / "kind" / "failing.Dockerfile"
TAG = "minprow-kind-test:latest"
BUILT = [TAG, "minprow-kind-test:in-context", "minprow-kind-test:outside-context"]
"""Every tag this module's builds make (a failing build makes none)."""


@pytest.fixture(scope="module", autouse=True)
def _built_images() -> Iterator[None]:
    """What the tests build is removed when the last test session using it ends."""
    with session_images(*BUILT):
        yield


@dataclass
class FakeKind:
    """The fake kind's state directory, and the API server its kubeconfigs point at."""

    state: Path
    kube: KindApiServerThread

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["kind", *args], capture_output=True, text=True, timeout=60, check=False
        )

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def cluster(self, name: str) -> dict[str, Any] | None:
        path = self.state / "clusters" / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else None


@pytest.fixture
def fake_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeKind]:
    with KindApiServerThread() as kube:
        install(tmp_path / "bin")
        monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setenv("FAKEKIND_STATE", str(tmp_path / "kind-state"))
        monkeypatch.setenv("FAKEKIND_SERVER", kube.url)
        monkeypatch.delenv("FAKEKIND_FAIL", raising=False)
        monkeypatch.delenv("KUBECONFIG", raising=False)
        yield FakeKind(tmp_path / "kind-state", kube)


@pytest.fixture
def repo_dir(tmp_path: Path) -> Path:
    """A build context holding busybox and the busybox Dockerfile, as the repo holds its own."""
    context = busybox_context(tmp_path / "repo")
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE.read_text())
    return context


def _image_id(client: docker.DockerClient, tag: str) -> str:
    image_id = client.images.get(tag).id
    assert image_id is not None
    return image_id


# (id, cluster exists before, CRD exists before, pod namespace, namespaces `up` must create)
PREPARE_CASES = [
    ("fresh", False, False, "test-pods", ["test-pods"]),
    ("reuse", True, True, "test-pods", ["test-pods"]),
    ("reuse-crd-missing", True, False, "test-pods", ["test-pods"]),
    ("prow-default-namespace", False, False, "default", []),
]


@pytest.mark.parametrize(
    ("exists", "crd_exists", "pod_namespace", "new_namespaces"),
    [case[1:] for case in PREPARE_CASES],
    ids=[case[0] for case in PREPARE_CASES],
)
def test_prepare(
    fake_kind: FakeKind,
    repo_dir: Path,
    tmp_path: Path,
    docker_client: docker.DockerClient,
    exists: bool,
    crd_exists: bool,
    pod_namespace: str,
    new_namespaces: list[str],
) -> None:
    if exists:
        assert fake_kind.run("create", "cluster", "--name", "minprow").returncode == 0
    if crd_exists:
        fake_kind.kube.fake.crds[crd.NAME] = crd.crd()
    before = set(fake_kind.kube.fake.namespaces)
    state_dir = tmp_path / "state"

    cluster = kind.prepare("minprow", state_dir, repo_dir, TAG, pod_namespace)

    assert cluster == kind.KindCluster(
        "minprow", state_dir / "kind-kubeconfig", "kind-minprow", created=not exists
    )
    creates = [c for c in fake_kind.calls() if c[:2] == ["create", "cluster"]]
    assert len(creates) == 1  # the test's own, or prepare's: never a second
    if not exists:
        assert creates[0] == [
            "create", "cluster", "--name", "minprow",
            "--kubeconfig", str(cluster.kubeconfig), "--wait", kind.WAIT_READY,
        ]  # fmt: skip
    assert stat.S_IMODE(cluster.kubeconfig.stat().st_mode) == 0o600
    doc = yaml.safe_load(cluster.kubeconfig.read_text())
    assert doc["current-context"] == "kind-minprow"
    assert [c["name"] for c in doc["contexts"]] == ["kind-minprow"]
    # The image kind was given is the one the Docker engine just built.
    recorded = fake_kind.cluster("minprow")
    assert recorded is not None
    assert recorded["images"] == {TAG: _image_id(docker_client, TAG)}
    assert crd.NAME in fake_kind.kube.fake.crds
    assert set(fake_kind.kube.fake.namespaces) - before == set(new_namespaces)
    assert pod_namespace in fake_kind.kube.fake.namespaces


def test_kubeconfig_is_the_prowjob_context_and_the_default_cluster(
    fake_kind: FakeKind, tmp_path: Path
) -> None:
    """minprow's own kubeconfig loader resolves both names to the kind cluster."""
    cluster = kind.ensure_cluster("minprow", tmp_path / "state")
    outside_a_pod = ServiceAccount(token_file=tmp_path / "no-token", ca_file=tmp_path / "no-ca")
    configs = load_cluster_configs([cluster.kubeconfig], service_account=outside_a_pod)
    assert configs[cluster.context].server == fake_kind.kube.url
    assert configs.for_job(None).server == fake_kind.kube.url  # `default`


@pytest.mark.parametrize("exists", [False, True], ids=["created", "reused"])
def test_rewrites_a_stale_kubeconfig_as_private(
    fake_kind: FakeKind, tmp_path: Path, exists: bool
) -> None:
    if exists:
        assert fake_kind.run("create", "cluster", "--name", "minprow").returncode == 0
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "kind-kubeconfig").write_text("stale")
    (state_dir / "kind-kubeconfig").chmod(0o644)
    cluster = kind.ensure_cluster("minprow", state_dir)
    assert stat.S_IMODE(cluster.kubeconfig.stat().st_mode) == 0o600
    assert "stale" not in cluster.kubeconfig.read_text()


@pytest.mark.parametrize(
    ("unserved", "timeout", "error"),
    [(3, 30.0, None), (10**6, 0.6, "ProwJobs are not served in kind-minprow namespace 'default'")],
    ids=["served-after-three-polls", "never-served"],
)
def test_waits_until_prowjobs_are_served(
    fake_kind: FakeKind, tmp_path: Path, unserved: int, timeout: float, error: str | None
) -> None:
    cluster = kind.ensure_cluster("minprow", tmp_path / "state")
    fake_kind.kube.fake.unserved_lists = unserved
    if error is None:
        assert install_crd(cluster, "default", timeout=timeout) is True
        assert fake_kind.kube.fake.unserved_lists == 0
    else:
        with pytest.raises(KubeSetupError, match=error):
            install_crd(cluster, "default", timeout=timeout)
    assert crd.NAME in fake_kind.kube.fake.crds


# (id, cluster exists, FAKEKIND_FAIL, exit code, the message has these, cluster left)
DOWN_CASES = [
    ("deletes", True, "", 0, ["deleted kind cluster 'minprow'"], False),
    ("absent", False, "", 0, ["no kind cluster named 'minprow': nothing to delete"], False),
    (
        "kind-fails",
        True,
        "delete",
        1,
        [
            "`kind delete cluster --name minprow --kubeconfig ",
            "failed with exit code 1",
            'ERROR: failed to delete cluster "minprow"',
            "docker rm -f -v minprow-control-plane",
        ],
        True,
    ),
]


@pytest.mark.parametrize(
    ("exists", "fail", "code", "message", "left"),
    [case[1:] for case in DOWN_CASES],
    ids=[case[0] for case in DOWN_CASES],
)
def test_down(
    fake_kind: FakeKind,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    exists: bool,
    fail: str,
    code: int,
    message: list[str],
    left: bool,
) -> None:
    state_dir = tmp_path / "state"
    if exists:
        kind.ensure_cluster("minprow", state_dir)
    if fail:
        monkeypatch.setenv("FAKEKIND_FAIL", fail)
    got_code, got_message = kind.down("minprow", state_dir)
    assert got_code == code
    for part in message:
        assert part in got_message
    assert (fake_kind.cluster("minprow") is not None) == left
    assert (state_dir / "kind-kubeconfig").exists() == left


def test_down_without_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no kind on it
    assert kind.down("minprow", tmp_path) == (
        0,
        "kind is not on the PATH: no kind cluster 'minprow' to delete",
    )


# (id, FAKEKIND_FAIL, the call, the error has these)
FAILURE_CASES = [
    (
        "create-cannot-pull-node-image",
        "create",
        lambda state, repo: kind.ensure_cluster("minprow", state),
        [
            "`kind create cluster --name minprow --kubeconfig ",
            "failed with exit code 1",
            'Creating cluster "minprow" ...',
            'ERROR: failed to create cluster: failed to pull image "kindest/node:',
            "Command Output: Error response from daemon",
        ],
    ),
    (
        "load-image-not-built",
        "",
        lambda state, repo: kind.load_image(
            "minprow-kind-test:never-built",
            kind.KindCluster("minprow", state / "kind-kubeconfig", "kind-minprow"),
        ),
        [
            "`kind load docker-image minprow-kind-test:never-built --name minprow`",
            'ERROR: image: "minprow-kind-test:never-built" not present locally',
        ],
    ),
    (
        "kubeconfig-of-absent-cluster",
        "",
        lambda state, repo: kind.load_image(
            TAG, kind.KindCluster("elsewhere", state / "kind-kubeconfig", "kind-elsewhere")
        ),
        ['ERROR: no nodes found for cluster "elsewhere"'],
    ),
]


@pytest.mark.parametrize(
    ("fail", "call", "message"),
    [case[1:] for case in FAILURE_CASES],
    ids=[case[0] for case in FAILURE_CASES],
)
def test_kind_failure_surfaces_stderr(
    fake_kind: FakeKind,
    repo_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: docker.DockerClient,
    fail: str,
    call: Any,
    message: list[str],
) -> None:
    kind.build_image(repo_dir, repo_dir / "Dockerfile", TAG)
    if fail:
        monkeypatch.setenv("FAKEKIND_FAIL", fail)
    with pytest.raises(KindError) as raised:
        call(tmp_path / "state", repo_dir)
    for part in message:
        assert part in str(raised.value)


def test_a_hung_kind_times_out(fake_kind: FakeKind, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKEKIND_HANG", "60")
    with pytest.raises(KindError, match=r"^`kind get clusters` timed out after 0.5s$"):
        get_clusters(timeout=0.5)


@pytest.mark.parametrize(
    ("kind_on_path", "docker_host", "reason"),
    [
        (False, None, "kind is not on the PATH"),
        (True, "unix:///nonexistent/docker.sock", "the Docker engine does not answer ("),
        (True, None, None),
    ],
    ids=["kind-missing", "docker-missing", "both-there"],
)
def test_kind_unavailable(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    docker_client: docker.DockerClient,
    kind_on_path: bool,
    docker_host: str | None,
    reason: str | None,
) -> None:
    if kind_on_path:
        install(tmp_path / "bin")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    if docker_host:
        monkeypatch.setenv("DOCKER_HOST", docker_host)
    got = kind.kind_unavailable()
    if reason is None:
        assert got is None
    else:
        assert got is not None
        assert got.startswith(reason), got


@pytest.mark.parametrize(
    "where",
    ["in-context", "outside-context"],
    ids=["dockerfile-in-context", "dockerfile-outside-context"],
)
def test_build_image(tmp_path: Path, docker_client: docker.DockerClient, where: str) -> None:
    context = busybox_context(tmp_path / "ctx")
    dockerfile = BUSYBOX_DOCKERFILE
    if where == "in-context":
        dockerfile = context / "build" / "Dockerfile"
        dockerfile.parent.mkdir()
        dockerfile.write_text(BUSYBOX_DOCKERFILE.read_text())
    tag = f"minprow-kind-test:{where}"
    kind.build_image(context, dockerfile, tag)
    out = docker_client.containers.run(tag, ["/bin/busybox", "echo", "built"], remove=True)
    assert out == b"built\n"


def test_build_failure_carries_the_log(tmp_path: Path, docker_client: docker.DockerClient) -> None:
    context = busybox_context(tmp_path / "ctx")
    with pytest.raises(kind.ImageBuildError) as raised:
        kind.build_image(context, FAILING_DOCKERFILE, "minprow-kind-test:failing")
    text = str(raised.value)
    assert text.startswith(f"building minprow-kind-test:failing from {FAILING_DOCKERFILE} failed:")
    assert "minprow-kind-build-fails" in text

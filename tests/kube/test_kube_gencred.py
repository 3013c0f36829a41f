"""`minprow gencred` against the fake API server with authentication on: what it
creates, where it writes, and that the credentials it writes work (and no more
than their role allows)."""

from __future__ import annotations

import base64
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from fakekube_auth import ADMIN_TOKEN
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from minprow.kube.gencred import CLUSTER_ROLE_BINDING, Request, make_credentials
from minprow.kube.kubeconfig import jwt_expiry
from minprow.kube.tokens import MARKER, Marker, SecretRef
from minprow.runtime import gencred_cmd

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as fake:
        fake.fake.now = lambda: T0
        fake.fake.auth.enabled = True
        yield fake


@pytest.fixture
def admin_kubeconfig(server: FakeKubeThread, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "admin.yaml", {"gke-build": server.url}, token=ADMIN_TOKEN)


def _written(path: Path, context: str) -> tuple[dict[str, Any], str]:
    doc = yaml.safe_load(path.read_text())
    ctx = next(c for c in doc["contexts"] if c["name"] == context)
    user = next(u for u in doc["users"] if u["name"] == ctx["context"]["user"])
    return ctx["context"], user["user"]["token"]


@pytest.mark.parametrize(
    ("role", "made"),
    [
        ("cluster-admin", {"clusterrolebindings": [CLUSTER_ROLE_BINDING]}),
        (
            "minimal",
            {
                "roles": [
                    ("default", "serviceaccount-cluster-admin-renew-token"),
                    ("test-pods", "serviceaccount-cluster-admin-minprow"),
                ],
                "rolebindings": [
                    ("default", "serviceaccount-cluster-admin-renew-token"),
                    ("test-pods", "serviceaccount-cluster-admin-minprow"),
                ],
            },
        ),
    ],
    ids=["cluster-admin", "minimal"],
)
def test_gencred_writes_a_marked_context_that_works(
    server: FakeKubeThread,
    admin_kubeconfig: Path,
    tmp_path: Path,
    role: str,
    made: dict[str, list[Any]],
) -> None:
    output = tmp_path / "build" / "kubeconfig"
    request = Request(role=role, duration=timedelta(hours=48))
    code = gencred_cmd.main(admin_kubeconfig, None, gencred_cmd.Target("build", output), request)
    assert code == 0
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    context, token = _written(output, "build")
    assert jwt_expiry(token) == T0 + timedelta(hours=48)
    marker = Marker.of_context(context)
    assert marker == Marker("default", "serviceaccount-cluster-admin", timedelta(hours=48))
    for attr, names in made.items():
        assert sorted(getattr(server.fake, attr)) == sorted(names)
    assert ("default", "serviceaccount-cluster-admin") in server.fake.serviceaccounts

    api = api_client(output, "build")
    client.CoreV1Api(api).list_namespaced_pod("test-pods")  # allowed under both roles
    if role == "minimal":
        with pytest.raises(ApiException) as refused:
            client.CoreV1Api(api).list_namespaced_secret("test-pods")
        assert refused.value.status == 403
        # It may renew its own token with itself: what rotation does.
        renewed = client.CoreV1Api(api).create_namespaced_service_account_token(
            "serviceaccount-cluster-admin", "default", {"spec": {"expirationSeconds": 3600}}
        )
        assert renewed.status.token


def test_running_it_again_keeps_everything_and_other_contexts(
    server: FakeKubeThread, admin_kubeconfig: Path, tmp_path: Path
) -> None:
    output = write_kubeconfig(tmp_path / "kubeconfig", {"other": "https://other:6443"})
    target = gencred_cmd.Target("build", output)
    assert gencred_cmd.main(admin_kubeconfig, "gke-build", target, Request()) == 0
    _, first = _written(output, "build")
    server.fake.now = lambda: T0 + timedelta(hours=1)
    assert gencred_cmd.main(admin_kubeconfig, "gke-build", target, Request()) == 0
    _, second = _written(output, "build")
    assert second != first
    doc = yaml.safe_load(output.read_text())
    assert sorted(c["name"] for c in doc["contexts"]) == ["build", "other"]
    assert doc["current-context"] == "other"
    assert len(server.fake.clusterrolebindings) == 1


def test_into_a_secret(server: FakeKubeThread, admin_kubeconfig: Path) -> None:
    target = gencred_cmd.Target("build", secret="prow/build-kubeconfig")
    assert gencred_cmd.main(admin_kubeconfig, None, target, Request()) == 0
    secret = server.fake.secrets[("prow", "build-kubeconfig")]
    doc = yaml.safe_load(base64.b64decode(secret["data"]["kubeconfig"]))
    ctx = next(c for c in doc["contexts"] if c["name"] == "build")
    marker = Marker.of_context(ctx["context"])
    assert marker is not None
    assert marker.secret == SecretRef("prow", "build-kubeconfig", "kubeconfig")


def test_a_caller_without_rights_gets_the_api_servers_answer(
    server: FakeKubeThread, admin_kubeconfig: Path, tmp_path: Path
) -> None:
    admin = api_client(admin_kubeconfig, "gke-build")
    client.CoreV1Api(admin).create_namespaced_service_account(
        "default", {"metadata": {"name": "x"}}
    )
    weak, _ = make_credentials(admin, Request(service_account="x", role="minimal"))
    weak_kubeconfig = write_kubeconfig(tmp_path / "weak.yaml", {"c": server.url}, token=weak.token)
    code = gencred_cmd.main(
        weak_kubeconfig, "c", gencred_cmd.Target("build", tmp_path / "out"), Request()
    )
    assert code == 1
    assert not (tmp_path / "out").exists()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`minprow gencred ARGS`, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "minprow", "gencred", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_the_command_as_a_user_runs_it(
    server: FakeKubeThread, admin_kubeconfig: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.yaml"
    done = _cli(
        "--kubeconfig", str(admin_kubeconfig), "--context", "gke-build", "--name", "gke-build",
        "-o", str(output), "-s", "--duration", "2h", "--role", "minimal",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    _, token = _written(output, "gke-build")
    assert token not in done.stdout + done.stderr
    assert "ServiceAccount default/serviceaccount-cluster-admin: created" in done.stderr
    assert "written to" in done.stdout
    assert MARKER in output.read_text()
    unknown = _cli("--kubeconfig", str(admin_kubeconfig), "--context", "nope", "-o", str(output))
    assert unknown.returncode == 1
    assert "has no context 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    both = _cli("--kubeconfig", str(admin_kubeconfig), "-o", str(output), "--secret", "a/b")
    assert both.returncode == 2
    assert "exactly one of --output and --secret" in both.stderr

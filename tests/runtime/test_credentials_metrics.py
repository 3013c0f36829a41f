"""The build clusters' credentials on /metrics (runtime/credentials_metrics.py)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fakes import VirtualClock
from prometheus_client import CollectorRegistry, generate_latest

from minprow.kube.kubeconfig import ServiceAccount
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.rotation import RotationState, Rotator
from minprow.runtime.credentials_metrics import CredentialsCollector

FILE_EXPIRY = datetime(2026, 12, 4, tzinfo=UTC)
RENEWED_EXPIRY = datetime(2026, 12, 5, tzinfo=UTC)
NOBODY = ServiceAccount(Path("/nonexistent/token"), Path("/nonexistent/ca.crt"))


def _jwt(exp: datetime) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp.timestamp())}).encode())
    return f"e30.{payload.rstrip(b'=').decode()}.signature"


def _kubeconfig(path: Path) -> Path:
    """`build` (a JWT), `gpu` (another JWT) and `opaque` (expiry unknown)."""
    users = {"build": _jwt(FILE_EXPIRY), "gpu": _jwt(FILE_EXPIRY), "opaque": "opaque"}
    doc = {
        "clusters": [{"name": n, "cluster": {"server": f"https://{n}:6443"}} for n in users],
        "users": [{"name": n, "user": {"token": t}} for n, t in users.items()],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in users],
        "current-context": "build",
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def _samples(collector: CredentialsCollector) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(collector)
    text = generate_latest(registry).decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def _expiry(cluster: str) -> str:
    return f'minprow_build_credentials_expiry_timestamp_seconds{{cluster="{cluster}"}}'


@pytest.mark.parametrize(
    ("rotating", "expected"),
    [
        (
            False,
            {_expiry("build"): FILE_EXPIRY.timestamp(), _expiry("gpu"): FILE_EXPIRY.timestamp()},
        ),
        (
            True,
            {
                # Renewed into a Secret the mount has not caught up with: the token in
                # use is still the old one, and that is what an alert must see.
                _expiry("build"): FILE_EXPIRY.timestamp(),
                _expiry("gpu"): FILE_EXPIRY.timestamp(),
                'minprow_build_credentials_rotation_failing{cluster="build"}': 2.0,
                'minprow_build_credentials_rotation_failures_total{cluster="build"}': 5.0,
            },
        ),
    ],
    ids=["expiry-of-every-context", "with-renewal"],
)
def test_each_build_cluster_is_exposed(
    tmp_path: Path, rotating: bool, expected: dict[str, float]
) -> None:
    agent = ClusterConfigAgent([_kubeconfig(tmp_path / "k")], service_account=NOBODY)
    rotator = None
    if rotating:
        rotator = Rotator(agent, VirtualClock())
        rotator.states["build"] = RotationState(
            expires_at=RENEWED_EXPIRY, failures=2, failures_total=5
        )
    samples = _samples(CredentialsCollector(agent.get, rotator))
    # No sample for `opaque` (expiry unknown), nor the aliases `default`, `in-cluster`.
    assert {k: v for k, v in samples.items() if not k.endswith("_created")} == expected

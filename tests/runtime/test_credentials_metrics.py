"""The build clusters' token renewal on /metrics (runtime/credentials_metrics.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fakekube import write_kubeconfig
from fakes import VirtualClock
from prometheus_client import CollectorRegistry, generate_latest

from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.rotation import RotationState, Rotator
from minprow.runtime.credentials_metrics import CredentialsCollector


def test_each_renewed_cluster_is_exposed(tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"build": "https://build:6443"})
    rotator = Rotator(ClusterConfigAgent([kubeconfig]), VirtualClock())
    expires = datetime(2026, 12, 5, tzinfo=UTC)
    rotator.states["build"] = RotationState(expires_at=expires, failures=2, failures_total=5)
    rotator.states["gpu"] = RotationState()
    registry = CollectorRegistry()
    registry.register(CredentialsCollector(rotator))
    text = generate_latest(registry).decode()
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    expiry = 'minprow_build_credentials_expiry_timestamp_seconds{cluster="build"}'
    assert samples[expiry] == expires.timestamp()
    assert 'minprow_build_credentials_rotation_failing{cluster="build"} 2.0' in text
    assert 'minprow_build_credentials_rotation_failures_total{cluster="build"} 5.0' in text
    assert 'minprow_build_credentials_rotation_failing{cluster="gpu"} 0.0' in text
    assert 'expiry_timestamp_seconds{cluster="gpu"}' not in text

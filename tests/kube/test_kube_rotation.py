"""Token renewal of gencred's contexts (kube/rotation.py), against the fake API
server with authentication on and a virtual clock both sides share."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from fakekube_auth import ADMIN_TOKEN
from fakes import T0, VirtualClock
from kubernetes import client

from minprow.kube.gencred import Request
from minprow.kube.kubeconfig import jwt_expiry
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.rotation import Rotator, expiring_unrotated
from minprow.kube.tokens import SecretRef
from minprow.runtime import gencred_cmd

HOUR = timedelta(hours=1)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(T0)


@pytest.fixture
def server(clock: VirtualClock) -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as fake:
        fake.fake.now = clock.now
        fake.fake.auth.enabled = True
        yield fake


@pytest.fixture
def admin(server: FakeKubeThread, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "admin.yaml", {"build": server.url}, token=ADMIN_TOKEN)


def _gencred(admin: Path, target: gencred_cmd.Target, hours: float = 3) -> None:
    request = Request(duration=timedelta(hours=hours), role="minimal")
    assert gencred_cmd.main(admin, "build", target, request) == 0


def _token(path: Path) -> str:
    doc = yaml.safe_load(path.read_text())
    return str(doc["users"][-1]["user"]["token"])


def test_a_token_is_renewed_two_thirds_into_its_life(
    server: FakeKubeThread, admin: Path, tmp_path: Path, clock: VirtualClock
) -> None:
    kubeconfig = tmp_path / "build.yaml"
    _gencred(admin, gencred_cmd.Target("build", kubeconfig))
    agent = ClusterConfigAgent([kubeconfig])
    rotator = Rotator(agent, clock)
    assert list(rotator.marked()) == ["build"]
    first = _token(kubeconfig)

    clock.advance(2 * HOUR - timedelta(seconds=1))
    assert _run(rotator) == 0  # not yet due
    assert rotator.next_wake(3600.0) == pytest.approx(1.0)  # and wakes in time for it
    clock.advance(timedelta(seconds=1))
    assert _run(rotator) == 1
    second = _token(kubeconfig)
    assert second != first
    assert jwt_expiry(second) == clock.now() + 3 * HOUR
    # The agent re-read at once: clients made from now on carry the new token.
    assert agent.get()["build"].expires_at == clock.now() + 3 * HOUR
    assert rotator.states["build"].last_rotated == clock.now()
    assert _run(rotator) == 0
    # It renewed itself with its own token: the minimal role allows exactly that.
    assert server.fake.auth.rejected == 0


def test_a_failed_renewal_is_retried_and_said_once(
    server: FakeKubeThread,
    admin: Path,
    tmp_path: Path,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    kubeconfig = tmp_path / "build.yaml"
    _gencred(admin, gencred_cmd.Target("build", kubeconfig))
    rotator = Rotator(ClusterConfigAgent([kubeconfig]), clock)
    clock.advance(2 * HOUR)
    caplog.set_level(logging.WARNING, logger="minprow.kube.rotation")
    server.call(server.fake.fail_next, 2, 503)
    assert _run(rotator) == 0
    state = rotator.states["build"]
    assert (state.failures, state.failures_total) == (1, 1)
    assert "503" in (state.last_error or "")
    assert _run(rotator) == 0  # not before its retry time
    clock.advance(timedelta(seconds=10))
    assert _run(rotator) == 0  # fails the same way: not logged again
    assert len([r for r in caplog.records if "cannot renew" in r.getMessage()]) == 1
    clock.advance(timedelta(seconds=20))
    assert _run(rotator) == 1
    assert (state.failures, state.failures_total, state.last_error) == (0, 2, None)
    assert ADMIN_TOKEN not in caplog.text
    assert _token(kubeconfig) not in caplog.text


def test_a_token_kept_in_a_secret_is_renewed_there(
    server: FakeKubeThread, admin: Path, tmp_path: Path, clock: VirtualClock
) -> None:
    _gencred(admin, gencred_cmd.Target("build", secret="prow/kubeconfigs:build.yaml"))
    ref = SecretRef("prow", "kubeconfigs", "build.yaml")

    def mounted() -> bytes:
        secret = server.call(lambda: server.fake.secrets[(ref.namespace, ref.name)])
        return base64.b64decode(secret["data"][ref.key])

    # The Secret as the kubelet mounts it for --kubeconfig-dir.
    mount = tmp_path / "mount"
    mount.mkdir()
    (mount / "build.yaml").write_bytes(mounted())
    agent = ClusterConfigAgent([], mount)
    rotator = Rotator(agent, clock, service_api=lambda: api_client(admin, "build"))
    clock.advance(2 * HOUR)
    assert _run(rotator) == 1
    renewed = yaml.safe_load(mounted())
    assert jwt_expiry(renewed["users"][0]["user"]["token"]) == clock.now() + 3 * HOUR
    # The mount is not updated yet: the old token, not due again meanwhile.
    assert _run(rotator) == 0
    (mount / "build.yaml").write_bytes(mounted())
    agent.check()
    assert agent.get()["build"].expires_at == clock.now() + 3 * HOUR


def test_contexts_gencred_did_not_write_are_left_alone(
    server: FakeKubeThread, admin: Path, clock: VirtualClock
) -> None:
    rotator = Rotator(ClusterConfigAgent([admin]), clock)
    assert rotator.marked() == {}
    assert _run(rotator) == 0


@pytest.mark.parametrize(
    ("marked", "rotating", "hours_left", "warned"),
    [
        (False, False, 2, "not written by `minprow gencred`"),
        (True, False, 2, "rotation is off"),
        (True, True, 2, None),
        (False, True, 30, None),
        (False, True, -1, "expired"),
    ],
    ids=["unmarked", "marked-not-rotating", "rotated", "far-off", "already-expired"],
)
def test_expiring_credentials_nothing_renews_are_warned_about(
    server: FakeKubeThread,
    admin: Path,
    tmp_path: Path,
    clock: VirtualClock,
    marked: bool,
    rotating: bool,
    hours_left: float,
    warned: str | None,
) -> None:
    kubeconfig = tmp_path / "build.yaml"
    _gencred(admin, gencred_cmd.Target("build", kubeconfig), hours=48)
    if not marked:
        doc = yaml.safe_load(kubeconfig.read_text())
        doc["contexts"][0]["context"].pop("extensions")
        kubeconfig.write_text(yaml.safe_dump(doc))
    configs = dict(ClusterConfigAgent([kubeconfig]).get().contexts)
    now = T0 + timedelta(hours=48 - hours_left)
    lines = expiring_unrotated(configs, now, rotating, timedelta(hours=24))
    if warned is None:
        assert lines == []
    else:
        assert len(lines) == 1
        assert warned in lines[0]
        assert "build" in lines[0]


def _run(rotator: Rotator) -> int:
    import asyncio

    return asyncio.run(rotator.step())


def test_rotation_needs_no_more_than_the_minimal_role(
    server: FakeKubeThread, admin: Path, tmp_path: Path
) -> None:
    """What gencred's minimal role grants covers what rotation asks."""
    kubeconfig = tmp_path / "build.yaml"
    _gencred(admin, gencred_cmd.Target("build", kubeconfig))
    api = api_client(kubeconfig, "build")
    answer = client.CoreV1Api(api).create_namespaced_service_account_token(
        "serviceaccount-cluster-admin", "default", {"spec": {"expirationSeconds": 3600}}
    )
    assert answer.status.token

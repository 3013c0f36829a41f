"""Token renewal of gencred's contexts (kube/rotation.py), against the fake API
server with authentication on and a virtual clock both sides share."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from fakekube_auth import ADMIN_TOKEN
from fakes import VirtualClock
from kubernetes import client

from minprow.kube.gencred import Request
from minprow.kube.kubeconfig import jwt_expiry
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.rotation import MOUNT_LAG, Rotator
from minprow.kube.tokens import SecretRef
from minprow.runtime import gencred_cmd

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)
REF = SecretRef("prow", "kubeconfigs", "build.yaml")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def server(clock: VirtualClock) -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as fake:
        fake.fake.now = clock.now
        fake.fake.auth.enabled = True
        yield fake


@pytest.fixture
def admin(server: FakeKubeThread, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "admin.yaml", {"build": server.url}, token=ADMIN_TOKEN)


@dataclass
class Target:
    """Where gencred wrote the context, and how this process reads it."""

    server: FakeKubeThread
    admin: Path
    tmp_path: Path
    secret: bool

    def __post_init__(self) -> None:
        self.file = self.tmp_path / "build.yaml"
        self.mount = self.tmp_path / "mount"

    def gencred(self, hours: float = 3) -> None:
        request = Request(duration=timedelta(hours=hours), role="minimal")
        if self.secret:
            target = gencred_cmd.Target("build", secret=str(REF))
        else:
            target = gencred_cmd.Target("build", self.file)
        assert gencred_cmd.main(self.admin, "build", target, request) == 0
        if self.secret:
            self.sync()

    def stored(self) -> bytes:
        """The kubeconfig as written: the file, or the Secret's key."""
        if not self.secret:
            return self.file.read_bytes()
        secret = self.server.call(lambda: self.server.fake.secrets[(REF.namespace, REF.name)])
        return base64.b64decode(secret["data"][REF.key])

    def sync(self) -> None:
        """What the kubelet does to a mounted Secret, a while after it changes."""
        self.mount.mkdir(exist_ok=True)
        (self.mount / REF.key).write_bytes(self.stored())

    def agent(self) -> ClusterConfigAgent:
        if self.secret:
            return ClusterConfigAgent([], self.mount)
        return ClusterConfigAgent([self.file])

    def rotator(self, clock: VirtualClock) -> Rotator:
        return Rotator(self.agent(), clock, service_api=lambda: api_client(self.admin, "build"))

    def token(self) -> str:
        return str(yaml.safe_load(self.stored())["users"][-1]["user"]["token"])


def _run(rotator: Rotator) -> int:
    return asyncio.run(rotator.step())


@pytest.mark.parametrize(
    ("secret", "elapsed", "renewed", "error"),
    [
        (False, HOUR, 0, None),
        (False, 2 * HOUR - SECOND, 0, None),
        (False, 2 * HOUR, 1, None),
        (True, 2 * HOUR, 1, None),
        (False, 3 * HOUR - SECOND, 1, None),
        (False, 3 * HOUR, 0, "401 Unauthorized"),
    ],
    ids=[
        "a-third-not-due",
        "a-second-before-two-thirds",
        "two-thirds-file",
        "two-thirds-secret",
        "late-but-alive",
        "expired-says-what-to-do",
    ],
)
def test_a_token_is_renewed_two_thirds_into_its_life(
    server: FakeKubeThread,
    admin: Path,
    tmp_path: Path,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
    secret: bool,
    elapsed: timedelta,
    renewed: int,
    error: str | None,
) -> None:
    target = Target(server, admin, tmp_path, secret)
    target.gencred(hours=3)
    rotator = target.rotator(clock)
    assert list(rotator.marked()) == ["build"]
    first = target.token()
    clock.advance(elapsed)
    assert _run(rotator) == renewed
    state = rotator.states["build"]
    if not renewed:
        assert target.token() == first
        if error is None:
            assert state.due_at == clock.now() - elapsed + 2 * HOUR
            assert rotator.next_wake(1e6) == (state.due_at - clock.now()).total_seconds()
            assert server.fake.auth.rejected == 0
        else:
            assert error in (state.last_error or "")
            assert "run `minprow gencred` for this context again" in (state.last_error or "")
            # Expired: retried at the backoff's pace, not hammered every second.
            assert state.retry_at is not None
            assert state.retry_at - clock.now() >= timedelta(seconds=10)
        return
    second = target.token()
    assert second != first
    assert jwt_expiry(second) == clock.now() + 3 * HOUR
    assert state.last_rotated == clock.now()
    assert state.due_at == clock.now() + 2 * HOUR
    if secret:
        # The mount has the old token until the kubelet syncs it: not due again meanwhile.
        assert rotator.agent.get()["build"].expires_at == clock.now() - elapsed + 3 * HOUR
        assert _run(rotator) == 0
        target.sync()
        rotator.agent.check()
    # The agent re-read at once: clients made from now on carry the new token.
    assert rotator.agent.get()["build"].expires_at == clock.now() + 3 * HOUR
    assert _run(rotator) == 0
    # It renewed itself with its own token: the minimal role allows exactly that.
    assert server.fake.auth.rejected == 0
    assert first not in caplog.text
    assert second not in caplog.text


def test_a_failed_renewal_is_retried_with_backoff_and_said_once(
    server: FakeKubeThread,
    admin: Path,
    tmp_path: Path,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = Target(server, admin, tmp_path, secret=False)
    target.gencred(hours=3)
    rotator = target.rotator(clock)
    clock.advance(2 * HOUR)
    caplog.set_level(logging.INFO, logger="minprow.kube.rotation")
    server.call(server.fake.fail_next, 2, 503)
    state = rotator.states
    # (seconds later, renewed, failures in a row, failures in all)
    steps = [(0, 0, 1, 1), (5, 0, 1, 1), (5, 0, 2, 2), (10, 0, 2, 2), (10, 1, 0, 2)]
    for later, renewed, failures, total in steps:
        clock.advance(timedelta(seconds=later))
        assert _run(rotator) == renewed
        assert (state["build"].failures, state["build"].failures_total) == (failures, total)
    assert state["build"].last_error is None
    said = [r.getMessage() for r in caplog.records if "build cluster build" in r.getMessage()]
    assert len(said) == 2  # the error once (twice the same), then the recovery
    assert "503" in said[0]
    assert "after 2 failed attempts" in said[1]
    assert ADMIN_TOKEN not in caplog.text
    assert target.token() not in caplog.text


def test_a_secret_that_never_reaches_its_mount_is_said(
    server: FakeKubeThread,
    admin: Path,
    tmp_path: Path,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = Target(server, admin, tmp_path, secret=True)
    target.gencred(hours=3)
    rotator = target.rotator(clock)
    clock.advance(2 * HOUR)
    assert _run(rotator) == 1
    clock.advance(MOUNT_LAG)  # a subPath mount: the kubelet never updates it
    assert _run(rotator) == 0
    assert _run(rotator) == 0
    lagging = [r for r in caplog.records if "subPath" in r.getMessage()]
    assert len(lagging) == 1
    assert "subPath" in (rotator.states["build"].last_error or "")
    target.sync()
    rotator.agent.check()
    assert _run(rotator) == 0
    assert rotator.states["build"].last_error is None


def test_a_token_gencred_wrote_again_is_renewed_on_its_own_schedule(
    server: FakeKubeThread, admin: Path, tmp_path: Path, clock: VirtualClock
) -> None:
    target = Target(server, admin, tmp_path, secret=False)
    target.gencred(hours=48)
    rotator = target.rotator(clock)
    assert _run(rotator) == 0
    # An operator replaces it with a 3 h token: renewed 2 h from now, not at 32 h.
    target.gencred(hours=3)
    rotator.agent.check()
    clock.advance(2 * HOUR)
    assert _run(rotator) == 1


def test_a_kubeconfig_that_cannot_be_written_says_where_to_renew_it(
    server: FakeKubeThread, admin: Path, tmp_path: Path, clock: VirtualClock
) -> None:
    target = Target(server, admin, tmp_path, secret=False)
    target.gencred(hours=3)
    # A name too long for the temporary file beside it: the write fails as a read-only
    # mount's would (which root, running these tests, cannot make).
    target.file = target.file.rename(tmp_path / ("k" * 250))
    rotator = target.rotator(clock)
    clock.advance(2 * HOUR)
    assert _run(rotator) == 0
    error = rotator.states["build"].last_error or ""
    assert str(target.file) in error
    assert "--secret NAMESPACE/NAME" in error


def test_contexts_gencred_did_not_write_are_left_alone(
    server: FakeKubeThread, admin: Path, clock: VirtualClock
) -> None:
    rotator = Rotator(ClusterConfigAgent([admin]), clock)
    assert rotator.marked() == {}
    assert _run(rotator) == 0
    assert rotator.states == {}


def test_rotation_needs_no_more_than_the_minimal_role(
    server: FakeKubeThread, admin: Path, tmp_path: Path
) -> None:
    """What gencred's minimal role grants covers what rotation asks."""
    target = Target(server, admin, tmp_path, secret=False)
    target.gencred()
    api = api_client(target.file, "build")
    answer = client.CoreV1Api(api).create_namespaced_service_account_token(
        "serviceaccount-cluster-admin", "default", {"spec": {"expirationSeconds": 3600}}
    )
    assert answer.status.token

"""The kubernetes executor's pure parts: a pod's status as an Observation, and the
per-cluster breaker's open / probe / close cycle in virtual time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fakes import T0, VirtualClock

from minprow.executors._kubebreaker import Breaker, Unreachable
from minprow.executors._kubepods import managed, observation
from minprow.executors.base import Managed, Observation, Phase

STAMP = "2026-11-24T10:00:00Z"
LATER = "2026-11-24T10:05:00Z"


def pod(phase: str, *statuses: dict[str, Any], **status: Any) -> dict[str, Any]:
    """A pod of Prow's shape (test container first, then the sidecar) in `phase`."""
    return {
        "metadata": {"name": "pj-1", "labels": {"prow.k8s.io/id": "pj-1"}},
        "spec": {"containers": [{"name": "test"}, {"name": "sidecar"}]},
        "status": {"phase": phase, "containerStatuses": list(statuses), **status},
    }


def waiting(reason: str, message: str = "", name: str = "test") -> dict[str, Any]:
    return {
        "name": name,
        "image": "nope:1",
        "state": {"waiting": {"reason": reason, "message": message}},
    }


def terminated(code: int, reason: str, name: str = "test") -> dict[str, Any]:
    state = {"exitCode": code, "reason": reason, "finishedAt": LATER}
    return {"name": name, "state": {"terminated": state}}


STARTED = T0
FINISHED = T0 + timedelta(minutes=5)

OBSERVATIONS = [
    ("unscheduled", pod("Pending"), Observation(Phase.PENDING)),
    (
        "scheduled-pending",
        pod("Pending", startTime=STAMP),
        Observation(Phase.PENDING, started_at=STARTED),
    ),
    (
        "image-pull-error",
        pod("Pending", waiting("ErrImagePull", "pull access denied"), startTime=STAMP),
        Observation(Phase.PENDING, reason="ErrImagePull: pull access denied", started_at=STARTED),
    ),
    (
        "image-pull-backoff",
        pod("Pending", waiting("ImagePullBackOff"), startTime=STAMP),
        Observation(Phase.PENDING, reason="ImagePullBackOff: image nope:1", started_at=STARTED),
    ),
    (
        "invalid-image-name",
        pod("Pending", waiting("InvalidImageName", "bad ref"), startTime=STAMP),
        Observation(Phase.PENDING, reason="InvalidImageName: bad ref", started_at=STARTED),
    ),
    (
        "creating-is-not-stuck",
        pod("Pending", waiting("ContainerCreating"), startTime=STAMP),
        Observation(Phase.PENDING, started_at=STARTED),
    ),
    ("running", pod("Running", startTime=STAMP), Observation(Phase.RUNNING, started_at=STARTED)),
    (
        "succeeded",
        pod("Succeeded", terminated(0, "Completed"), startTime=STAMP),
        Observation(Phase.SUCCEEDED, 0, started_at=STARTED, finished_at=FINISHED),
    ),
    (
        "failed",
        pod("Failed", terminated(2, "Error"), terminated(0, "Completed", "sidecar")),
        Observation(Phase.FAILED, 2, finished_at=FINISHED),
    ),
    (
        "oom-killed",
        pod("Failed", terminated(137, "OOMKilled")),
        Observation(Phase.FAILED, 137, reason="OOMKilled", finished_at=FINISHED),
    ),
    (
        "evicted",
        pod("Failed", reason="Evicted", message="The node was low on resource: memory."),
        Observation(Phase.FAILED, reason="Evicted: The node was low on resource: memory."),
    ),
    (
        "sidecar-exit-is-not-the-result",
        pod("Failed", terminated(0, "Completed", "sidecar"), terminated(1, "Error")),
        Observation(Phase.FAILED, 1, finished_at=FINISHED),
    ),
]


@pytest.mark.parametrize(
    ("given", "expected"), [c[1:] for c in OBSERVATIONS], ids=[c[0] for c in OBSERVATIONS]
)
def test_a_pods_status_is_an_observation(given: dict[str, Any], expected: Observation) -> None:
    assert observation(given) == expected


def test_a_pod_is_managed_under_its_prowjob_id() -> None:
    assert managed(pod("Failed", terminated(1, "Error"))) == Managed("pj-1", Phase.FAILED, FINISHED)


def _cycle(steps: list[str]) -> list[str]:
    """Run breaker steps in virtual time; each gives what happened."""
    clock = VirtualClock()
    breaker = Breaker("east", clock, first_backoff=timedelta(seconds=2))
    seen: list[str] = []
    for step in steps:
        if step == "fail":
            breaker.failed("connection refused")
            seen.append("opened")
        elif step == "ok":
            breaker.succeeded()
            seen.append("closed")
        elif step.startswith("wait"):
            clock.advance(timedelta(seconds=float(step[4:])))
            seen.append(step)
        elif step == "call":
            try:
                seen.append("probe" if breaker.admit() else "through")
            except Unreachable as err:
                seen.append(f"refused: {err}")
        elif step == "release":
            breaker.release()
            seen.append("released")
    return seen


DOWN = "refused: cluster east unreachable since 2026-11-24T10:00:00Z: connection refused"
CYCLES = [
    ("closed-goes-through", ["call", "call"], ["through", "through"]),
    ("open-fails-fast", ["fail", "call"], ["opened", DOWN]),
    ("probe-after-backoff", ["fail", "wait2", "call"], ["opened", "wait2", "probe"]),
    (
        "one-probe-at-a-time",
        ["fail", "wait2", "call", "call"],
        ["opened", "wait2", "probe", DOWN],
    ),
    (
        "failed-probe-doubles-backoff",
        ["fail", "wait2", "call", "fail", "release", "wait2", "call", "wait2", "call"],
        ["opened", "wait2", "probe", "opened", "released", "wait2", DOWN, "wait2", "probe"],
    ),
    (
        "success-closes",
        ["fail", "wait2", "call", "ok", "release", "call"],
        ["opened", "wait2", "probe", "closed", "released", "through"],
    ),
]


@pytest.mark.parametrize(("steps", "expected"), [c[1:] for c in CYCLES], ids=[c[0] for c in CYCLES])
def test_the_breaker_fails_fast_and_probes_one_at_a_time(
    steps: list[str], expected: list[str]
) -> None:
    assert _cycle(steps) == expected


def test_the_breaker_is_the_clusters_health() -> None:
    clock = VirtualClock()
    breaker = Breaker("east", clock)
    breaker.succeeded()
    clock.advance(timedelta(seconds=30))
    breaker.failed("timed out")
    health = breaker.health("https://east:6443", T0 + timedelta(days=1))
    assert (health.reachable, health.last_error, health.last_success_at, health.last_error_at) == (
        False,
        "timed out",
        T0,
        T0 + timedelta(seconds=30),
    )
    assert health.to_json()["expires_at"] == (T0 + timedelta(days=1)).isoformat()

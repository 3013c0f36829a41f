"""What a pod's status says about its ProwJob: pure functions over pod JSON.

Corresponds to the pod half of Prow's pkg/plank/reconciler.go
(`syncPendingJob`): the pod's phase decides the job's fate, the test
container (the pod's first container: Prow's decoration appends the sidecar
after it) gives the exit code, and the reasons Prow shows are read from the
container statuses and the pod: an image that cannot be pulled keeps a pod
Pending (ErrImagePull, ImagePullBackOff, InvalidImageName), a killed test
container says OOMKilled, an evicted pod says Evicted. A pod without a
`startTime` has not been accepted by a kubelet yet: it is unscheduled, which
is the `started_at is None` that plank's unscheduled timeout looks for.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from minprow.executors.base import Managed, Observation, Phase
from minprow.model.labels import JOB_ID

Pod = dict[str, Any]

IMAGE_ERRORS = frozenset(
    {"ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull"}
)
"""Waiting reasons that mean the pod will not start by itself."""

_PHASES = {
    "Pending": Phase.PENDING,
    "Running": Phase.RUNNING,
    "Succeeded": Phase.SUCCEEDED,
    "Failed": Phase.FAILED,
    # The node stopped reporting: the pod may still run; plank's running timeout ends it.
    "Unknown": Phase.RUNNING,
}


def parse_time(text: object) -> datetime | None:
    """An RFC 3339 time as the API server writes it (`2026-11-24T10:00:00Z`)."""
    if not isinstance(text, str) or not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def prowjob_of(pod: Pod) -> str:
    """The ProwJob a pod runs: its `prow.k8s.io/id` label, else its name (Prow names it so)."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    return str(labels.get(JOB_ID) or meta.get("name", ""))


def test_container(pod: Pod) -> str:
    """The name of the pod's test container (its first one)."""
    containers = (pod.get("spec") or {}).get("containers") or [{}]
    return str(containers[0].get("name") or "test")


def _statuses(pod: Pod, key: str) -> list[dict[str, Any]]:
    return list((pod.get("status") or {}).get(key) or [])


def _test_status(pod: Pod) -> dict[str, Any]:
    name = test_container(pod)
    for status in _statuses(pod, "containerStatuses"):
        if status.get("name") == name:
            return dict(status)
    return {}


def _stuck_reason(pod: Pod) -> str:
    for status in [*_statuses(pod, "initContainerStatuses"), *_statuses(pod, "containerStatuses")]:
        waiting = (status.get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason", "")
        if reason in IMAGE_ERRORS:
            message = waiting.get("message", "")
            image = status.get("image", "")
            detail = message or (f"image {image}" if image else "")
            return f"{reason}: {detail}" if detail else str(reason)
    return ""


def _terminated(pod: Pod) -> dict[str, Any]:
    return dict((_test_status(pod).get("state") or {}).get("terminated") or {})


def finished_at(pod: Pod) -> datetime | None:
    """When the test container ended, else the last container that did."""
    mine = parse_time(_terminated(pod).get("finishedAt"))
    if mine is not None:
        return mine
    times = [
        parse_time(((s.get("state") or {}).get("terminated") or {}).get("finishedAt"))
        for s in _statuses(pod, "containerStatuses")
    ]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def observation(pod: Pod) -> Observation:
    """The pod's status as the executor protocol's Observation."""
    status = pod.get("status") or {}
    phase = _PHASES.get(str(status.get("phase") or "Pending"), Phase.PENDING)
    started = parse_time(status.get("startTime"))
    if phase is Phase.PENDING:
        return Observation(phase, reason=_stuck_reason(pod), started_at=started)
    if phase is Phase.RUNNING:
        reason = (
            "the pod's node is not reporting (phase Unknown)"
            if status.get("phase") == "Unknown"
            else ""
        )
        return Observation(phase, reason=reason, started_at=started)
    terminated = _terminated(pod)
    code = terminated.get("exitCode")
    exit_code = int(code) if isinstance(code, int) else None
    reason = ""
    if status.get("reason"):  # the pod's own: Evicted, DeadlineExceeded, NodeLost
        message = status.get("message")
        reason = f"{status['reason']}: {message}" if message else str(status["reason"])
    elif terminated.get("reason") not in (None, "", "Error", "Completed"):
        reason = str(terminated["reason"])  # OOMKilled, ContainerCannotRun, ...
    if phase is Phase.SUCCEEDED and exit_code is None:
        exit_code = 0
    return Observation(
        phase, exit_code=exit_code, reason=reason, started_at=started, finished_at=finished_at(pod)
    )


def evicted(pod: Pod) -> bool:
    return (pod.get("status") or {}).get("reason") == "Evicted"


def managed(pod: Pod) -> Managed:
    observed = observation(pod)
    return Managed(prowjob_of(pod), observed.phase, observed.finished_at)

"""why_not_running: a table of jobs, cluster health and the sentence each gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tuiscreens_helpers import load_job

from minprow.config.prow import Plank
from minprow.model import ProwJob, ProwJobState
from minprow.tui.screens.why import why_not_running

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
HEALTHY = {"build-east": {"context": "build-east", "reachable": True}}
DOWN = {
    "build-east": {
        "context": "build-east",
        "reachable": False,
        "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
        "last_error_at": "2026-11-24T08:29:50+00:00",
    }
}


def job(state: ProwJobState, description: str | None, **status: Any) -> ProwJob:
    pj = load_job("presubmit_pending")
    pj.status.state = state
    pj.status.description = description
    for key, value in status.items():
        setattr(pj.status, key, value)
    return pj


def untimed(pj: ProwJob) -> ProwJob:
    pj.spec.decoration_config = None
    return pj


CASES = [
    ("success", job(ProwJobState.SUCCESS, "Job succeeded."), HEALTHY, None),
    (
        "concurrency-own",
        job(
            ProwJobState.TRIGGERED,
            "waiting: max_concurrency 2 of pull-minprow-unit reached (2 running or older)",
        ),
        HEALTHY,
        "Waiting on a concurrency limit: max_concurrency 2 of pull-minprow-unit reached "
        "(2 running or older).",
    ),
    (
        "concurrency-queue-over-down-cluster",
        job(ProwJobState.TRIGGERED, "waiting: job queue 'unit' has capacity 0"),
        DOWN,
        "Waiting on a concurrency limit: job queue 'unit' has capacity 0.",
    ),
    (
        "triggered-cluster-unreachable",
        job(ProwJobState.TRIGGERED, None),
        DOWN,
        "Build cluster 'build-east' is unreachable (last error at 2026-11-24T08:29:50+00:00): "
        "ConnectionRefusedError: [Errno 111] Connection refused",
    ),
    (
        "triggered-cluster-unknown",
        job(ProwJobState.TRIGGERED, None),
        {"default": {"executor": "docker"}},
        "Build cluster 'build-east' is not configured (known: default).",
    ),
    (
        "triggered-cluster-without-executor",
        job(ProwJobState.TRIGGERED, None),
        {
            "build-east": {
                "executor": None,
                "reachable": False,
                "last_error": "no kubeconfig context build-east",
            }
        },
        "No executor runs build cluster 'build-east': no kubeconfig context build-east",
    ),
    (
        "triggered-waiting",
        job(ProwJobState.TRIGGERED, None),
        HEALTHY,
        "Triggered for 30m0s; not started by plank yet.",
    ),
    (
        "triggered-no-health-known",
        job(ProwJobState.TRIGGERED, None),
        {},
        "Triggered for 30m0s; not started by plank yet.",
    ),
    ("pending-fine", job(ProwJobState.PENDING, "Job triggered."), HEALTHY, None),
    (
        "pending-cluster-unreachable",
        job(ProwJobState.PENDING, "Job triggered."),
        DOWN,
        "Build cluster 'build-east' is unreachable (last error at 2026-11-24T08:29:50+00:00): "
        "ConnectionRefusedError: [Errno 111] Connection refused",
    ),
    (
        "pending-past-timeout",
        job(
            ProwJobState.PENDING,
            "Job triggered.",
            pending_time=NOW - timedelta(hours=1, minutes=5),
        ),
        HEALTHY,
        "Pending for 1h5m0s, past its timeout and grace period (1h0m30s): "
        "plank should have stopped it; is plank running?",
    ),
    (
        "pending-undecorated-within-running-timeout",
        untimed(job(ProwJobState.PENDING, "Job triggered.", pending_time=NOW - timedelta(days=1))),
        HEALTHY,
        None,
    ),
    (
        "pending-past-running-timeout",
        untimed(job(ProwJobState.PENDING, "Job triggered.", pending_time=NOW - timedelta(days=3))),
        HEALTHY,
        "Pending for 72h0m0s, past its pod_running_timeout (48h0m0s): "
        "plank should have aborted it; is plank running?",
    ),
    (
        "pending-being-stopped",
        job(ProwJobState.PENDING, "Timed out after 1h0m0s; stopping it (grace period 30s)"),
        HEALTHY,
        "Timed out after 1h0m0s; stopping it (grace period 30s)",
    ),
    (
        "image-missing",
        job(
            ProwJobState.ERROR,
            "Pod can not be created: image golang:9.99 not found: manifest unknown",
        ),
        HEALTHY,
        "Image missing or not pullable: image golang:9.99 not found: manifest unknown",
    ),
    (
        "image-not-pullable-under-docker",
        job(
            ProwJobState.ERROR,
            "Container can not be created: image busybox:1.36 is not on this machine and "
            "cannot be pulled (offline). Build or tag a local image with that name, or run "
            "the job as a host process with `--executor host`.",
        ),
        HEALTHY,
        "Image missing or not pullable: image busybox:1.36 is not on this machine and "
        "cannot be pulled (offline). Build or tag a local image with that name, or run "
        "the job as a host process with `--executor host`.",
    ),
    (
        "start-error-under-host",
        job(ProwJobState.ERROR, "Process can not be created: the test container has no command"),
        HEALTHY,
        "It could not be started: the test container has no command",
    ),
    (
        "start-error",
        job(ProwJobState.ERROR, "Pod can not be created: the test container has no command"),
        HEALTHY,
        "It could not be started: the test container has no command",
    ),
    (
        "pending-timeout-from-job",
        job(ProwJobState.ERROR, "Pod pending timeout."),
        HEALTHY,
        "Its container was created but never started running within 10m0s (pod_pending_timeout).",
    ),
    (
        "unscheduled-timeout",
        job(ProwJobState.ERROR, "Pod scheduling timeout."),
        HEALTHY,
        "It was never scheduled within 5m0s (pod_unscheduled_timeout).",
    ),
    (
        "no-executor",
        job(
            ProwJobState.ERROR,
            "cluster 'build-east' has no executor in minprow's cluster mapping "
            "(known clusters: default)",
        ),
        HEALTHY,
        "No executor runs its cluster: cluster 'build-east' has no executor in minprow's "
        "cluster mapping (known clusters: default)",
    ),
    (
        "superseded",
        job(ProwJobState.ABORTED, "Aborted as the newer version of this job is running."),
        HEALTHY,
        "Superseded: a newer run of this job on the same pull request aborted it.",
    ),
    (
        "aborted-by-user",
        job(ProwJobState.ABORTED, "Aborted by alice through the API."),
        HEALTHY,
        "Aborted by alice through the API.",
    ),
    (
        "aborted-by-trigger",
        job(ProwJobState.ABORTED, "Aborted by trigger plugin."),
        HEALTHY,
        "Aborted by trigger plugin.",
    ),
    ("aborted-silently", job(ProwJobState.ABORTED, None), HEALTHY, "Aborted."),
    (
        "decoration-timeout-failure",
        job(ProwJobState.FAILURE, "Timed out after 1h0m0s; stopping it (grace period 30s)"),
        HEALTHY,
        "Timed out after 1h0m0s.",
    ),
    ("plain-failure", job(ProwJobState.FAILURE, "Job failed."), HEALTHY, "Job failed."),
    (
        "error-without-description",
        job(ProwJobState.ERROR, None),
        HEALTHY,
        "It ended in error without a description.",
    ),
]


@pytest.mark.parametrize(
    ("pj", "health", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_why_not_running(
    pj: ProwJob, health: dict[str, dict[str, Any]], expected: str | None
) -> None:
    assert why_not_running(pj, health, NOW, plank=Plank()) == expected


def test_timeouts_of_the_job_override_plank() -> None:
    pj = job(ProwJobState.ERROR, "Pod pending timeout.")
    assert pj.spec.decoration_config is not None
    pj.spec.decoration_config.pod_pending_timeout = timedelta(minutes=3)
    assert why_not_running(pj, HEALTHY, NOW, plank=Plank()) == (
        "Its container was created but never started running within 3m0s (pod_pending_timeout)."
    )
    untimed(pj)
    assert why_not_running(pj, HEALTHY, NOW) == (
        "Its container was created but never started running (pod_pending_timeout)."
    )

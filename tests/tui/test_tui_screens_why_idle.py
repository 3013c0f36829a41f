"""why_not_running when the source says nothing runs its jobs (JobSource.idle): that
comes first for every job that has not ended, and ended jobs are told as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tuiscreens_helpers import load_job

from minprow.config.prow import Plank
from minprow.model import ProwJob, ProwJobState
from minprow.tui.screens.why import why_not_running

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
HEALTHY = {"build-east": {"context": "build-east", "reachable": True}}
IDLE = (
    "no minprow is running against /state: start `minprow up` (or `minprow serve`) there "
    "to run queued jobs"
)
SAID = (
    "No minprow is running against /state: start `minprow up` (or `minprow serve`) there "
    "to run queued jobs."
)
STALE = " Until one does, this job stays as the last minprow left it."


def job(state: ProwJobState, description: str | None, started_ago: timedelta) -> ProwJob:
    pj = load_job("presubmit_pending")
    pj.status.state = state
    pj.status.description = description
    pj.status.start_time = NOW - started_ago
    pj.status.pending_time = NOW - started_ago if state is ProwJobState.PENDING else None
    return pj


QUEUED = "Triggered for 2m0s; not started by plank yet."
LIMIT = "Waiting on a concurrency limit: job queue 'unit' has capacity 0."
TIMED_OUT = (
    "Pending for 2h0m0s, past its timeout and grace period (1h0m30s): "
    "plank should have stopped it; is plank running?"
)

# (id, job, why with nothing running, why with a minprow running)
CASES = [
    (
        "queued",
        job(ProwJobState.TRIGGERED, None, timedelta(minutes=2)),
        f"{SAID} {QUEUED}",
        QUEUED,
    ),
    (
        "queued-behind-a-limit",
        job(ProwJobState.TRIGGERED, "waiting: job queue 'unit' has capacity 0", timedelta()),
        f"{SAID} {LIMIT}",
        LIMIT,
    ),
    (
        "running-and-nothing-wrong",
        job(ProwJobState.PENDING, "Job triggered.", timedelta(minutes=5)),
        f"{SAID}{STALE}",
        None,
    ),
    (
        "running-past-its-timeout",
        job(ProwJobState.PENDING, "Job triggered.", timedelta(hours=2)),
        f"{SAID}{STALE} {TIMED_OUT}",
        TIMED_OUT,
    ),
    (
        "failed",
        job(ProwJobState.FAILURE, "Job failed.", timedelta(hours=1)),
        "Job failed.",
        "Job failed.",
    ),
    ("passed", job(ProwJobState.SUCCESS, "Job succeeded.", timedelta(hours=1)), None, None),
]


@pytest.mark.parametrize(
    ("pj", "idle", "running"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_nothing_running_comes_first(pj: ProwJob, idle: str | None, running: str | None) -> None:
    assert why_not_running(pj, HEALTHY, NOW, plank=Plank(), idle=IDLE) == idle
    assert why_not_running(pj, HEALTHY, NOW, plank=Plank(), idle=None) == running

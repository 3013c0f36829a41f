"""Horologium's pure step, decision by decision, as Prow's cmd/horologium decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fakes import T0

from minprow.config import Config, Periodic
from minprow.horologium import MAX_RETRIES, latest_runs, new_run, sync
from minprow.model import ProwJob, ProwJobState, ProwJobType

MakeRun = Callable[..., ProwJob]

NOW = T0
H = timedelta(hours=1)
M = timedelta(minutes=1)

INTERVAL = {"name": "p", "interval": "1h"}
MINIMUM = {"name": "p", "minimum_interval": "30m"}
CRON = {"name": "p", "cron": "0 * * * *"}


def with_retry(job: dict[str, Any], **retry: Any) -> dict[str, Any]:
    return {**job, "retry": {"attempts": 3, "interval": "10m", **retry}}


@dataclass(frozen=True)
class Prev:
    """The latest run: started and completed this long before now (None: still running)."""

    started: timedelta
    completed: timedelta | None = None
    state: ProwJobState | None = None
    rerun: str | None = None


@dataclass(frozen=True)
class Fires:
    due: bool = True
    retry: int | None = None


FIRST = Fires(due=False)

CASES: list[tuple[str, dict[str, Any], Prev | None, bool, Fires | None]] = [
    # (id, periodic, latest run, cron schedule fired, expected trigger)
    ("interval/first-run", INTERVAL, None, False, FIRST),
    ("interval/elapsed", INTERVAL, Prev(61 * M, 50 * M), False, Fires()),
    ("interval/exactly-elapsed-is-not-due", INTERVAL, Prev(H, 50 * M), False, None),
    ("interval/not-elapsed", INTERVAL, Prev(59 * M, 50 * M), False, None),
    ("interval/from-start-not-completion", INTERVAL, Prev(2 * H, 1 * M), False, Fires()),
    ("interval/previous-running", INTERVAL, Prev(5 * H), False, None),
    ("interval/after-downtime-once", INTERVAL, Prev(10 * H, 10 * H - M), False, Fires()),
    ("interval/failed-previous-counts", INTERVAL, Prev(2 * H, H, ProwJobState.FAILURE), False, Fires()),
    ("interval/aborted-unfinished", INTERVAL, Prev(2 * H, None, ProwJobState.ABORTED), False, None),
    ("minimum/first-run", MINIMUM, None, False, FIRST),
    ("minimum/rested", MINIMUM, Prev(2 * H, 31 * M), False, Fires()),
    ("minimum/exactly-rested-is-not-due", MINIMUM, Prev(2 * H, 30 * M), False, None),
    ("minimum/from-completion-not-start", MINIMUM, Prev(2 * H, 10 * M), False, None),
    ("minimum/previous-running", MINIMUM, Prev(2 * H), False, None),
    ("cron/first-run-waits-for-schedule", CRON, None, False, None),
    ("cron/first-run-on-schedule", CRON, None, True, FIRST),
    ("cron/on-schedule", CRON, Prev(H, 50 * M), True, Fires()),
    ("cron/not-on-schedule", CRON, Prev(3 * H, 2 * H), False, None),
    ("cron/previous-running", CRON, Prev(H), True, None),
    ("retry/failed", with_retry(INTERVAL, attempts=3), Prev(30 * M, 20 * M, ProwJobState.FAILURE), False, Fires(False, 1)),
    ("retry/error-state", with_retry(INTERVAL), Prev(30 * M, 20 * M, ProwJobState.ERROR), False, Fires(False, 1)),
    ("retry/second", with_retry(INTERVAL), Prev(30 * M, 20 * M, ProwJobState.FAILURE, "1"), False, Fires(False, 2)),
    ("retry/attempts-used", with_retry(INTERVAL, attempts=3), Prev(30 * M, 20 * M, ProwJobState.FAILURE, "3"), False, None),
    ("retry/capped-at-ten", with_retry(INTERVAL, attempts=50), Prev(30 * M, 20 * M, ProwJobState.FAILURE, str(MAX_RETRIES)), False, None),
    ("retry/too-soon", with_retry(INTERVAL), Prev(10 * M, 5 * M, ProwJobState.FAILURE), False, None),
    ("retry/succeeded", with_retry(INTERVAL), Prev(30 * M, 20 * M, ProwJobState.SUCCESS), False, None),
    ("retry/run-all-after-success", with_retry(INTERVAL, run_all=True), Prev(30 * M, 20 * M), False, Fires(False, 1)),
    ("retry/running", with_retry(INTERVAL), Prev(30 * M, None, ProwJobState.PENDING), False, None),
    ("retry/run-all-even-while-running", with_retry(INTERVAL, run_all=True), Prev(30 * M), False, Fires(False, 1)),
    ("retry/bad-label", with_retry(INTERVAL), Prev(30 * M, 20 * M, ProwJobState.FAILURE, "x"), False, None),
    ("retry/schedule-wins", with_retry(INTERVAL), Prev(2 * H, H, ProwJobState.FAILURE, "1"), False, Fires()),
    ("retry/cron-only-on-schedule", with_retry(CRON), Prev(30 * M, 20 * M, ProwJobState.FAILURE), False, None),
    ("retry/cron-on-schedule-while-running", with_retry(CRON, run_all=True), Prev(30 * M), True, Fires(False, 1)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("periodic", "prev", "queued", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_sync_decides_like_prow(
    make_run: MakeRun,
    periodic: dict[str, Any],
    prev: Prev | None,
    queued: bool,
    expected: Fires | None,
) -> None:
    job = Periodic.model_validate(periodic)
    latest = {}
    if prev is not None:
        run = make_run(
            "p",
            started=NOW - prev.started,
            completed=NOW - prev.completed if prev.completed is not None else None,
            state=prev.state,
            labels={"prow.k8s.io/re-run": prev.rerun} if prev.rerun is not None else None,
        )
        latest = {"p": run}
    result = sync([job], latest, NOW, {"p"} if queued else set())
    assert result.errors == {}
    if expected is None:
        assert result.triggers == []
        assert result.not_due + result.cron_not_queued == 1
        return
    [trigger] = result.triggers
    assert (trigger.due, trigger.retry) == (expected.due, expected.retry)
    assert trigger.previous is latest.get("p")


def test_sync_counts_like_prow_and_keeps_going_past_a_bad_periodic(make_run: MakeRun) -> None:
    periodics = [
        Periodic(name="bad", interval="one hour"),
        Periodic(name="fresh", interval="1h"),
        Periodic(name="waiting-cron", cron="0 * * * *"),
        Periodic(name="not-due", interval="1h"),
    ]
    latest = {
        "bad": make_run("bad", started=NOW - 2 * H, completed=NOW - H),
        "not-due": make_run("not-due", started=NOW - M, completed=NOW),
    }
    result = sync(periodics, latest, NOW)
    assert [t.periodic.name for t in result.triggers] == ["fresh"]
    assert (result.not_due, result.cron_not_queued) == (1, 1)
    assert list(result.errors) == ["bad"]
    assert "one hour" in result.errors["bad"]


LATEST_CASES = [
    ("newest-start-wins", [("a", 3, None), ("b", 1, None), ("c", 2, None)], "b"),
    ("running-newest-still-counts", [("a", 3, 2), ("b", 1, None)], "b"),
    ("unstarted-never-counts", [("a", 3, 2), ("b", None, None)], "a"),
]


@pytest.mark.parametrize(
    ("runs", "expected"), [c[1:] for c in LATEST_CASES], ids=[c[0] for c in LATEST_CASES]
)
def test_latest_runs(
    make_run: MakeRun, runs: list[tuple[str, int | None, int | None]], expected: str
) -> None:
    jobs = []
    for name, started_h, completed_h in runs:
        job = make_run(
            "p",
            name=name,
            started=NOW - H * (started_h or 0),
            completed=NOW - H * completed_h if completed_h is not None else None,
        )
        if started_h is None:
            job.status.start_time = None
        jobs.append(job)
    assert latest_runs(jobs)["p"].metadata.name == expected


def test_latest_runs_only_sees_periodics(make_run: MakeRun) -> None:
    presubmit = make_run("p", started=NOW)
    presubmit.spec.type = ProwJobType.PRESUBMIT
    periodic = make_run("p", started=NOW - H)
    other = make_run("q", started=NOW)
    assert latest_runs([presubmit, periodic, other]) == {"p": periodic, "q": other}


def test_equal_start_times_go_to_the_later_created_run(make_run: MakeRun) -> None:
    first, second = make_run("p", started=NOW), make_run("p", started=NOW)
    first.metadata.resource_version, second.metadata.resource_version = "7", "12"
    assert latest_runs([second, first])["p"] is second
    assert latest_runs([first, second])["p"] is second


def test_new_run_is_the_factory_periodic_in_the_prowjob_namespace(config: Config) -> None:
    periodic = next(p for p in config.periodics if p.name == "every-hour")
    [trigger] = sync([periodic], {}, NOW).triggers
    job = new_run(trigger, config, NOW)
    assert job.metadata.namespace == "prow"
    assert job.spec.namespace == "test-pods"
    assert (job.spec.type, job.spec.job, job.spec.report) == (
        ProwJobType.PERIODIC,
        "every-hour",
        True,
    )
    assert job.status.state is ProwJobState.TRIGGERED
    assert job.status.start_time == NOW
    assert job.metadata.labels["team"] == "infra"
    assert job.metadata.labels["prow.k8s.io/job"] == "every-hour"
    assert job.metadata.annotations["testgrid-dashboards"] == "infra"
    assert "prow.k8s.io/re-run" not in job.metadata.labels


def test_a_retry_carries_its_number_and_leaves_the_config_alone(
    config: Config, make_run: MakeRun
) -> None:
    periodic = next(p for p in config.periodics if p.name == "flaky-nightly")
    failed = make_run(
        "flaky-nightly",
        started=NOW - 2 * H,
        completed=NOW - H,
        state=ProwJobState.FAILURE,
        labels={"prow.k8s.io/re-run": "1"},
    )
    [trigger] = sync([periodic], {"flaky-nightly": failed}, NOW).triggers
    assert trigger.reason == "retry 2"
    job = new_run(trigger, config, NOW)
    assert job.metadata.labels["prow.k8s.io/re-run"] == "2"
    assert "prow.k8s.io/re-run" not in periodic.labels


def test_times_are_compared_in_absolute_time(make_run: MakeRun) -> None:
    from zoneinfo import ZoneInfo

    periodic = Periodic(name="p", interval="1h")
    elsewhere = NOW.astimezone(ZoneInfo("Asia/Tokyo"))
    run = make_run("p", started=NOW - 2 * H, completed=NOW - H)
    assert sync([periodic], {"p": run}, elsewhere).triggers

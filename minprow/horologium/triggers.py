"""Horologium's pure step: which periodics start a new run now.

Corresponds to `sync` and `shouldTriggerFailedRun` in Prow's
cmd/horologium/main.go, and `GetLatestProwJobs` in pkg/pjutil. For each
periodic, with its latest run (the newest `startTime` among the ProwJobs of
type periodic with its job name):

- no previous run: a periodic with `interval` or `minimum_interval` starts at
  once; a `cron` one at its first schedule time (see `cron.CronAgent`);
- `interval`: the previous run is complete and more than `interval` has passed
  since it *started*;
- `minimum_interval`: the previous run is complete and more than
  `minimum_interval` has passed since it *completed*;
- `cron`: the schedule fired since the last tick and the previous run is
  complete; a cron periodic whose schedule did not fire is not looked at at all;
- `retry`: when none of the above holds, a previous run that failed (or any
  previous run, with `run_all`) is retried once `retry.interval` has passed
  since it started, at most `min(attempts, 10)` times, each retry labelled
  `prow.k8s.io/re-run: <n>`.

A run never overlaps the previous one (except a `run_all` retry, as in Prow), and
after downtime a periodic starts once, since only its latest run counts. The
comparisons are strict, as Prow's: a run exactly `interval` later is not due.
"""

from __future__ import annotations

import logging
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from minprow.config import Config, Periodic
from minprow.model import ProwJob, ProwJobState, ProwJobType, parse_duration
from minprow.model import labels as keys
from minprow.pjutil import new_periodic

log = logging.getLogger("minprow.horologium")

MAX_RETRIES = 10
"""Prow's `maxRetries`: a periodic's `retry.attempts` is capped at this."""


@dataclass(frozen=True)
class Trigger:
    """A periodic to start now, and why."""

    periodic: Periodic
    previous: ProwJob | None
    """Its latest run, None when it never ran."""
    due: bool
    """Prow's "should-trigger": the schedule says so (False for a first run or a retry)."""
    retry: int | None = None
    """The retry's number (its `prow.k8s.io/re-run` label), None for a regular run."""

    @property
    def reason(self) -> str:
        if self.retry is not None:
            return f"retry {self.retry}"
        return "due" if self.due else "first run"


@dataclass
class SyncResult:
    """One tick's decisions, with Prow's sync statistics."""

    triggers: list[Trigger] = field(default_factory=list)
    not_due: int = 0
    """Periodics looked at and not due yet."""
    cron_not_queued: int = 0
    """Cron periodics whose schedule has not fired since the last tick."""
    errors: dict[str, str] = field(default_factory=dict)
    """Periodics that could not be judged (a bad duration), by name, with why."""


def latest_runs(jobs: Iterable[ProwJob]) -> dict[str, ProwJob]:
    """The newest run of each periodic job, by job name: Prow's `GetLatestProwJobs`.

    Newest means the latest `startTime`; a run without one never counts, as in
    Prow. Equal start times (they have whole seconds) go to the later-created one."""
    latest: dict[str, ProwJob] = {}
    for job in jobs:
        if job.spec.type is not ProwJobType.PERIODIC or job.status.start_time is None:
            continue
        current = latest.get(job.spec.job)
        if current is None or _newer(job, current):
            latest[job.spec.job] = job
    return latest


def _newer(job: ProwJob, than: ProwJob) -> bool:
    return _recency(job) > _recency(than)


def _recency(job: ProwJob) -> tuple[datetime, int]:
    start = job.status.start_time or datetime.min.replace(tzinfo=UTC)
    return start, int(job.metadata.resource_version or 0)


def sync(
    periodics: Iterable[Periodic],
    latest: Mapping[str, ProwJob],
    now: datetime,
    cron_queued: Container[str] = frozenset(),
) -> SyncResult:
    """Decide which periodics start a run at `now`.

    `latest` is `latest_runs(...)` of the store's periodic ProwJobs;
    `cron_queued` the cron periodics whose schedule fired (`CronAgent.queued_jobs`)."""
    result = SyncResult()
    for periodic in periodics:
        previous = latest.get(periodic.name)
        if periodic.cron and periodic.name not in cron_queued:
            result.cron_not_queued += 1
            continue
        try:
            trigger = _decide(periodic, previous, now)
        except ValueError as err:
            result.errors[periodic.name] = str(err)
            continue
        if trigger is None:
            result.not_due += 1
        else:
            result.triggers.append(trigger)
    return result


def _decide(periodic: Periodic, previous: ProwJob | None, now: datetime) -> Trigger | None:
    if previous is None:
        return Trigger(periodic, None, due=False)
    due = previous.complete and (bool(periodic.cron) or _interval_elapsed(periodic, previous, now))
    if due:
        return Trigger(periodic, previous, due=True)
    retry = _retry_number(periodic, previous, now)
    return Trigger(periodic, previous, due=False, retry=retry) if retry is not None else None


def _interval_elapsed(periodic: Periodic, previous: ProwJob, now: datetime) -> bool:
    if periodic.minimum_interval:
        since = previous.status.completion_time
        wait = periodic.minimum_interval_duration
    else:
        since = previous.status.start_time
        wait = periodic.interval_duration
    assert since is not None  # a complete latest run has both times
    return now - since > (wait or timedelta(0))


def _retry_number(periodic: Periodic, previous: ProwJob, now: datetime) -> int | None:
    """Prow's `shouldTriggerFailedRun`: the number of the retry to start, or None."""
    retry = periodic.retry
    if retry is None or (not previous.complete and not retry.run_all):
        return None
    number = 1
    label = previous.metadata.labels.get(keys.RERUN)
    if label is not None:
        try:
            number = int(label) + 1
        except ValueError:
            log.warning(
                "periodic %s: its latest run %s has a %s label %r that is not a number; "
                "not retrying it",
                periodic.name,
                previous.metadata.name,
                keys.RERUN,
                label,
                extra={"component": "horologium", "job": periodic.name},
            )
            return None
    if number > min(retry.attempts, MAX_RETRIES):
        return None
    wait = parse_duration(retry.interval) if retry.interval else timedelta(0)
    assert previous.status.start_time is not None  # latest_runs only keeps started runs
    if now - previous.status.start_time <= wait:
        return None
    if not retry.run_all and previous.status.state is ProwJobState.SUCCESS:
        return None
    return number


def new_run(trigger: Trigger, config: Config, now: datetime) -> ProwJob:
    """The ProwJob for `trigger`, made by pjutil's one factory (Prow's `NewProwJob` of
    `PeriodicSpec`), in the config's `prowjob_namespace`."""
    periodic = trigger.periodic
    if trigger.retry is not None:
        periodic = periodic.model_copy(
            update={"labels": {**periodic.labels, keys.RERUN: str(trigger.retry)}}
        )
    return new_periodic(
        periodic,
        now=now,
        prowjob_namespace=config.prowjob_namespace,
        pod_namespace=config.pod_namespace,
    )

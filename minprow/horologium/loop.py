"""Horologium's loop: every tick, start the periodics that are due.

Corresponds to `main` and the `sync` wrapper of Prow's cmd/horologium/main.go:
the cron agent is synced with the config, the store's periodic runs give each
periodic's latest run, the pure step (`triggers.sync`) decides, and each decision
becomes a ProwJob created in the store. The config is read again on every tick,
so a reload (new periodics, a new `horologium.tick_interval`) reaches it. A
periodic that cannot be judged or created is logged and the others go on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from minprow.aio import Backoff, Clock
from minprow.config import Config
from minprow.horologium.cron import CronAgent
from minprow.horologium.triggers import latest_runs, new_run, sync
from minprow.model import ProwJob, ProwJobType
from minprow.store import JobStore

log = logging.getLogger("minprow.horologium")


async def run(store: JobStore, config: Callable[[], Config], clock: Clock) -> None:
    """Start due periodics every `config().horologium.tick_interval`, until cancelled.

    The first tick is at once. A failed tick is logged and the next one comes on
    time; cron schedules live as long as this call (a restart starts afresh, as
    a restarted Prow horologium does)."""
    cron = CronAgent()
    failures: Backoff[str] = Backoff(0, 0)  # only for its once-per-distinct-error reports
    while True:
        current = config()
        try:
            await tick(store, current, clock.now(), cron)
        except Exception as err:
            if failures.failed("tick", repr(err)).report:
                log.exception(
                    "syncing periodic jobs failed (the same error again is not logged)",
                    extra={"component": "horologium"},
                )
        else:
            if failures.succeeded("tick"):
                log.info("syncing periodic jobs works again", extra={"component": "horologium"})
        await clock.sleep(current.horologium.tick.total_seconds())


async def tick(store: JobStore, config: Config, now: datetime, cron: CronAgent) -> list[ProwJob]:
    """One sync at `now`: create the due periodics' ProwJobs; returns those created."""
    await store.refresh()  # runs another process wrote count as this periodic's latest too
    latest = latest_runs(store.list(type=ProwJobType.PERIODIC))
    started = {name: job.status.start_time for name, job in latest.items() if job.status.start_time}
    for name, error in cron.sync_config(config.periodics, now, started).items():
        log.error("periodic %s: %s", name, error, extra={"component": "horologium", "job": name})
    queued = cron.queued_jobs(now)
    result = sync(config.periodics, latest, now, queued)
    for name, error in result.errors.items():
        log.error(
            "periodic %s cannot be scheduled: %s",
            name,
            error,
            extra={"component": "horologium", "job": name},
        )
    created: list[ProwJob] = []
    for trigger in result.triggers:
        name = trigger.periodic.name
        try:
            job = await store.create(new_run(trigger, config, now))
        except Exception:
            log.exception(
                "periodic %s: creating its ProwJob failed",
                name,
                extra={"component": "horologium", "job": name},
            )
            continue
        log.info(
            "triggered a new run of periodic %s (%s)",
            name,
            trigger.reason,
            extra=_fields(job),
        )
        created.append(job)
    log.debug(
        "synced periodic jobs: %d triggered, %d not due, %d cron periodics not queued",
        len(created),
        result.not_due,
        result.cron_not_queued,
        extra={"component": "horologium"},
    )
    return created


def _fields(job: ProwJob) -> dict[str, Any]:
    return {"component": "horologium", **job.log_fields()}

"""Crier's loop: report every ProwJob state change once to each reporter that wants it.

Corresponds to Prow's pkg/crier/controller.go. Every change to a ProwJob (and,
at start, every ProwJob: a restarted minprow picks up the states it had not
reported yet) queues the job's name; workers take one job at a time, so a job's
reports are serialised while different jobs are reported in parallel. For each
reporter whose `should_report(job)` holds and whose last reported state
(`status.prev_report_states[reporter.name]`) is not the job's state, crier calls
`report` and then records the state in `prev_report_states` through
`store.mutate` (safe against conflicting writers). The record lives in the
ProwJob itself, so a restart neither drops nor repeats a report.

Errors, per reporter and job: a `PermanentReportError` is logged and the state
recorded as reported (never retried); any other exception is retried with
exponential backoff (1 s doubling to 5 min) on the injected clock, logged when
it first fails and when its error changes (not at every attempt), and once
more when it works again. One reporter failing never holds back the other
reporters or other jobs.

Doing better than Prow: when a ProwJob that had not finished is deleted, each
`DeletionReporter` that had reported one of its unfinished states is told
(`report_deleted`), so a GitHub status is not left pending forever. That
follow-up lives in memory only: the job is gone from the store, so a restart
between the deletion and the report forgets it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from minprow.aio.backoff import Backoff
from minprow.aio.clock import Clock
from minprow.aio.workqueue import WorkQueue
from minprow.crier.reporter import DeletionReporter, PermanentReportError, Reporter
from minprow.model import ProwJob, ProwJobState
from minprow.store import EventType, JobStore, NotFound, StoreError, WatchEvent, WatchExpired

log = logging.getLogger("minprow.crier")

DEFAULT_WORKERS = 10
BACKOFF_FIRST = 1.0
"""Seconds before the first retry of a transient failure."""
BACKOFF_MAX = 300.0
"""The longest wait between two retries."""


@dataclass
class _Deleted:
    """A ProwJob deleted before it finished, and the reporters still to tell."""

    job: ProwJob
    reporters: set[str] = field(default_factory=set)


class Crier:
    """The loop over one store and an explicit tuple of reporters; `run` until cancelled."""

    def __init__(
        self,
        store: JobStore,
        reporters: Sequence[Reporter],
        clock: Clock,
        *,
        workers: int = DEFAULT_WORKERS,
    ) -> None:
        names = [r.name for r in reporters]
        if len(set(names)) != len(names):
            raise ValueError(f"crier reporters need distinct names, got {names}")
        self.store = store
        self.reporters = tuple(reporters)
        self.clock = clock
        self.workers = max(1, workers)
        self.queue = WorkQueue()
        self._backoff: Backoff[tuple[str, str]] = Backoff(BACKOFF_FIRST, BACKOFF_MAX)
        self._not_before: dict[tuple[str, str], datetime] = {}
        self._deleted: dict[str, _Deleted] = {}
        self._timers: set[asyncio.Task[None]] = set()

    @property
    def idle(self) -> bool:
        """No job queued or being reported, and no retry waiting."""
        return self.queue.idle and not self._timers

    async def run(self) -> None:
        """Watch the store and report until cancelled (or the store closes)."""
        workers = [
            asyncio.create_task(self._worker(), name=f"crier-worker-{i}")
            for i in range(self.workers)
        ]
        try:
            while True:
                try:
                    watch = self.store.watch()
                except StoreError:
                    return  # the store is closed: nothing more to report
                for job in self.store.list():
                    self.queue.add(job.name)
                try:
                    async for event in watch:
                        self._on_event(event)
                    return  # the watch ended: the store is closing
                except WatchExpired as expired:
                    log.info("crier's watch expired (%s); listing again", expired)
                finally:
                    watch.close()
        finally:
            for task in [*workers, *self._timers]:
                task.cancel()
            await asyncio.gather(*workers, *self._timers, return_exceptions=True)

    def _on_event(self, event: WatchEvent) -> None:
        job = event.object
        if event.type is not EventType.DELETED:
            self._deleted.pop(job.name, None)
            self.queue.add(job.name)
            return
        for key in [k for k in self._not_before if k[0] == job.name]:
            self._succeeded(key)  # forget the backoff of a job that is gone
        if job.status.state.is_final:
            return
        prev = job.status.prev_report_states or {}
        tell = {
            r.name
            for r in self.reporters
            if isinstance(r, DeletionReporter)
            and prev.get(r.name) is not None
            and not prev[r.name].is_final
            and r.should_report(job)
        }
        if tell:
            self._deleted[job.name] = _Deleted(job, tell)
            self.queue.add(job.name)

    async def _worker(self) -> None:
        while True:
            name = await self.queue.get()
            try:
                await self.sync(name)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug must not stop crier: log it and look at the job again later.
                log.exception("reporting ProwJob %s failed; retrying", name)
                self._later(name, BACKOFF_MAX)
            finally:
                self.queue.done(name)

    async def sync(self, name: str) -> None:
        """Report one job (by name) to every reporter that has not seen its state."""
        deleted = self._deleted.get(name)
        if deleted is not None:
            await self._sync_deleted(name, deleted)
            return
        try:
            job = self.store.get(name)
        except NotFound:
            return
        for reporter in self.reporters:
            await self._sync_one(reporter, job)

    async def _sync_one(self, reporter: Reporter, job: ProwJob) -> None:
        key = (job.name, reporter.name)
        if self._waiting(key):
            return
        state = job.status.state
        if not reporter.should_report(job):
            return
        if (job.status.prev_report_states or {}).get(reporter.name) == state:
            return
        fields = {**job.log_fields(), "reporter": reporter.name}
        try:
            await reporter.report(job)
        except asyncio.CancelledError:
            raise
        except PermanentReportError as err:
            log.error(
                "%s cannot report %s state %s and will not retry: %s",
                reporter.name,
                job.name,
                state,
                err,
                extra=fields,
            )
        except Exception as err:
            self._failed(key, err, fields)
            return
        self._succeeded(key)
        await self._record(job.name, reporter.name, state, fields)

    async def _sync_deleted(self, name: str, deleted: _Deleted) -> None:
        fields = deleted.job.log_fields()
        for reporter in self.reporters:
            key = (name, reporter.name)
            if reporter.name not in deleted.reporters or self._waiting(key):
                continue
            assert isinstance(reporter, DeletionReporter)
            try:
                await reporter.report_deleted(deleted.job)
            except asyncio.CancelledError:
                raise
            except PermanentReportError as err:
                log.error(
                    "%s cannot report the deletion of %s and will not retry: %s",
                    reporter.name,
                    name,
                    err,
                    extra={**fields, "reporter": reporter.name},
                )
            except Exception as err:
                self._failed(key, err, {**fields, "reporter": reporter.name})
                continue
            self._succeeded(key)
            deleted.reporters.discard(reporter.name)
        if not deleted.reporters:
            self._deleted.pop(name, None)

    async def _record(
        self, name: str, reporter: str, state: ProwJobState, fields: dict[str, object]
    ) -> None:
        def mark(job: ProwJob) -> ProwJob | None:
            prev = dict(job.status.prev_report_states or {})
            if prev.get(reporter) == state:
                return None
            prev[reporter] = state
            job.status.prev_report_states = prev
            return job

        try:
            await self.store.mutate(name, mark)
        except NotFound:
            pass  # deleted meanwhile: nothing left to record on
        except StoreError as err:
            # Reported but not recorded: the next try reports again, which beats
            # never reporting (Prow makes the same choice).
            self._failed((name, reporter), err, fields)
        else:
            log.info("%s reported %s state %s", reporter, name, state, extra=fields)

    def _waiting(self, key: tuple[str, str]) -> bool:
        due = self._not_before.get(key)
        return due is not None and self.clock.now() < due

    def _succeeded(self, key: tuple[str, str]) -> None:
        self._not_before.pop(key, None)
        failures = self._backoff.succeeded(key)
        if failures:
            log.info("%s reports %s again after %d failed attempts", key[1], key[0], failures)

    def _failed(self, key: tuple[str, str], err: Exception, fields: dict[str, object]) -> None:
        retry = self._backoff.failed(key, str(err))
        self._not_before[key] = self.clock.now() + timedelta(seconds=retry.delay)
        if retry.report:
            log.warning(
                "%s failed to report %s (attempt %d), retrying in %.0fs and then less often "
                "(the same error again is not logged): %s",
                key[1],
                key[0],
                retry.attempt,
                retry.delay,
                err,
                extra=fields,
            )
        else:
            log.debug(
                "%s failed to report %s again (attempt %d): %s",
                key[1],
                key[0],
                retry.attempt,
                err,
                extra=fields,
            )
        self._later(key[0], retry.delay)

    def _later(self, name: str, delay: float) -> None:
        async def wake() -> None:
            await self.clock.sleep(delay)
            self.queue.add(name)

        task = asyncio.create_task(wake(), name=f"crier-retry-{name}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)


async def run(
    store: JobStore,
    reporters: Sequence[Reporter],
    *,
    clock: Clock,
    workers: int = DEFAULT_WORKERS,
) -> None:
    """Report ProwJob state changes to `reporters` until cancelled."""
    await Crier(store, reporters, clock, workers=workers).run()

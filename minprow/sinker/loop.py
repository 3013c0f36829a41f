"""Sinker's loop: every `sinker.resync_period`, plan a cleanup and apply it.

Corresponds to `controller.Start` and the acting half of `clean()` in Prow's
cmd/sinker/main.go. A pass lists what each executor manages (an executor that
cannot list is skipped this pass, as Prow skips a cluster it cannot list), then
reads the store, so every resource found has had its ProwJob created before the
read; the pure step (`clean.plan_cleanup`) decides; deletions go through the
store at the resourceVersion that was judged (a `Conflict` or `NotFound` means
someone else changed or removed the job: not an error), then the resources are
removed. An orphan is removed by the pass after the one that first found it
(see `clean`), and its ProwJob is looked up once more first, as Prow GETs it
again. One failure is logged and the rest of the pass goes on.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from minprow.aio import Backoff, Clock
from minprow.config import Config
from minprow.model import ProwJob
from minprow.sinker.clean import Cleanup, OrphanKey, Resource, plan_cleanup
from minprow.sinker.targets import Executors, Target, targets
from minprow.store import Conflict, JobStore, NotFound

log = logging.getLogger("minprow.sinker")

MIN_RESYNC_SECONDS = 1.0
"""A `resync_period` below this (zero, negative) is taken as this, never a busy loop."""


@dataclass
class Report:
    """What one pass did."""

    deleted: Counter[str] = field(default_factory=Counter)
    """ProwJobs deleted, by reason."""
    cleaned: Counter[str] = field(default_factory=Counter)
    """Resources removed, by reason."""
    errors: int = 0
    orphans: frozenset[OrphanKey] = frozenset()
    """The orphans found: pass them to the next `sweep`."""
    deleted_names: list[str] = field(default_factory=list)
    cleaned_names: list[tuple[str, str]] = field(default_factory=list)
    """(executor key, ProwJob name) of each removal."""


async def run(
    store: JobStore, config: Callable[[], Config], executors: Executors, clock: Clock
) -> None:
    """Clean every `config().sinker.resync_period`, the first pass at once, until cancelled."""
    orphans: frozenset[OrphanKey] = frozenset()
    failures: Backoff[str] = Backoff(0, 0)  # only for its once-per-distinct-error reports
    while True:
        current = config()
        try:
            orphans = (await sweep(store, current, executors, clock.now(), orphans)).orphans
        except Exception as err:
            if failures.failed("pass", repr(err)).report:
                log.exception(
                    "sinker's pass failed (the same error again is not logged)",
                    extra={"component": "sinker"},
                )
        else:
            if failures.succeeded("pass"):
                log.info("sinker's pass works again", extra={"component": "sinker"})
        seconds = current.sinker.resync_period.total_seconds()
        await clock.sleep(max(seconds, MIN_RESYNC_SECONDS))


async def sweep(
    store: JobStore,
    config: Config,
    executors: Executors,
    now: datetime,
    orphans_seen: Collection[OrphanKey] = frozenset(),
) -> Report:
    """One pass at `now`: plan and apply. `orphans_seen` is the previous pass's
    `Report.orphans` (without it no orphan is removed)."""
    swept = targets(executors, config.sinker.exclude_clusters)
    resources: list[Resource] = []
    for target in swept:
        try:
            managed = await target.executor.list_managed()
        except Exception:
            log.exception(
                "listing what %s manages failed; skipping it this pass",
                target.key,
                extra={"component": "sinker"},
            )
            continue
        resources += [Resource(target.key, m, target.orphans_allowed) for m in managed]
    await store.refresh()  # what other processes wrote, so their jobs are not taken for orphans
    plan = plan_cleanup(
        store.list(),
        resources,
        config.sinker,
        now,
        active_periodics={p.name for p in config.periodics},
        orphans_seen=orphans_seen,
    )
    report = await apply(store, plan, swept)
    log.info(
        "sinker pass done: %d ProwJobs deleted, %d resources removed, %d errors",
        sum(report.deleted.values()),
        sum(report.cleaned.values()),
        report.errors,
        extra={"component": "sinker"},
    )
    return report


async def apply(store: JobStore, plan: Cleanup, swept: list[Target]) -> Report:
    """Carry out `plan`: delete the ProwJobs, then remove the resources."""
    report = Report(orphans=plan.orphans)
    kept: set[str] = set()
    for deletion in plan.delete_prowjobs:
        fields = _fields(deletion.job)
        try:
            await store.delete(deletion.name, deletion.resource_version)
        except Conflict as changed:
            kept.add(deletion.name)
            log.info("not deleting ProwJob, it changed since: %s", changed, extra=fields)
            continue
        except NotFound:
            log.info("ProwJob %s was already deleted", deletion.name, extra=fields)
            continue
        except Exception:
            kept.add(deletion.name)
            report.errors += 1
            log.exception("deleting ProwJob %s failed", deletion.name, extra=fields)
            continue
        report.deleted[deletion.reason] += 1
        report.deleted_names.append(deletion.name)
        log.info("deleted ProwJob %s (%s)", deletion.name, deletion.reason, extra=fields)

    by_key = {t.key: t.executor for t in swept}
    for cleanup in plan.cleanup_resources:
        if cleanup.job is not None and cleanup.job.metadata.name in kept:
            continue  # its deletion did not happen: it is not an orphan after all
        if cleanup.job is None and _exists(store, cleanup.prowjob):
            continue
        fields = _fields(cleanup.job) if cleanup.job else {"prowjob": cleanup.prowjob}
        fields["component"] = "sinker"
        try:
            await by_key[cleanup.executor].cleanup(cleanup.prowjob)
        except Exception:
            report.errors += 1
            log.exception(
                "removing %s's resources from %s failed",
                cleanup.prowjob,
                cleanup.executor,
                extra=fields,
            )
            continue
        report.cleaned[cleanup.reason] += 1
        report.cleaned_names.append((cleanup.executor, cleanup.prowjob))
        log.info(
            "removed %s's resources from %s (%s)",
            cleanup.prowjob,
            cleanup.executor,
            cleanup.reason,
            extra=fields,
        )
    return report


def _exists(store: JobStore, name: str) -> bool:
    try:
        store.get(name)
    except NotFound:
        return False
    return True


def _fields(job: ProwJob) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "component": "sinker",
        "prowjob": job.metadata.name,
        "job": job.spec.job,
        "type": str(job.spec.type),
        "state": str(job.status.state),
    }
    refs = job.spec.refs
    if refs is not None:
        fields["org"], fields["repo"] = refs.org, refs.repo
        if refs.pulls and len(refs.pulls) == 1:
            fields["pr"] = refs.pulls[0].number
    return fields

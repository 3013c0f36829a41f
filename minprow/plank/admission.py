"""May a triggered job start now? Plank's concurrency limits, as a pure function.

Prow's `canExecuteConcurrently` (pkg/plank/reconciler.go): plank's global
`max_concurrency` counts pending jobs; a job's own `max_concurrency` and its
`job_queue_name`'s capacity (`plank.job_queue_capacities`) count the pending
jobs plus the triggered ones created before it, so jobs start oldest first.
minprow also counts the jobs whose start is in flight in this process, since
a start takes a while (pulling an image, cloning) before the job is pending.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from minprow.config.prow import Plank
from minprow.model import ProwJob, ProwJobState


def _older(a: ProwJob, b: ProwJob) -> bool:
    ta, tb = a.metadata.creation_timestamp, b.metadata.creation_timestamp
    if ta is None or tb is None or ta == tb:
        return a.metadata.name < b.metadata.name
    return ta < tb


def _count(job: ProwJob, others: Iterable[ProwJob], in_flight: Collection[str]) -> int:
    count = 0
    for other in others:
        if other.metadata.name == job.metadata.name:
            continue
        state = other.status.state
        if (
            state is ProwJobState.PENDING
            or other.metadata.name in in_flight
            or (state is ProwJobState.TRIGGERED and _older(other, job))
        ):
            count += 1
    return count


def blocked_by(
    job: ProwJob,
    plank: Plank,
    *,
    pending: Collection[ProwJob],
    same_job: Iterable[ProwJob],
    same_queue: Iterable[ProwJob],
    in_flight: Collection[str],
) -> str | None:
    """Why `job` may not start yet, or None when it may.

    `pending` are all pending jobs, `same_job` the pending and triggered runs of
    this job, `same_queue` those of its job queue, `in_flight` the names of jobs
    being started right now."""
    limit = plank.max_concurrency
    if limit > 0:
        running = len({pj.metadata.name for pj in pending} | set(in_flight) - {job.metadata.name})
        if running >= limit:
            return f"waiting: plank max_concurrency {limit} reached ({running} running)"
    own = job.spec.max_concurrency or 0
    if own > 0:
        ahead = _count(job, same_job, in_flight)
        if ahead >= own:
            return f"waiting: max_concurrency {own} of {job.spec.job} reached ({ahead} running or older)"
    queue = job.spec.job_queue_name
    if queue:
        if queue not in plank.job_queue_capacities:
            return f"waiting: job queue {queue!r} is not in plank.job_queue_capacities"
        capacity = plank.job_queue_capacities[queue]
        if capacity == 0:
            return f"waiting: job queue {queue!r} has capacity 0"
        if capacity > 0:
            ahead = _count(job, same_queue, in_flight)
            if ahead >= capacity:
                return f"waiting: job queue {queue!r} capacity {capacity} reached ({ahead} running or older)"
    return None

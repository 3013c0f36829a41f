"""What a person does to a ProwJob: rerun it, abort it — one implementation for every
front end (the HTTP API, the TUI in-process or on a state directory).

Corresponds to Deck's rerun and abort handlers (pkg/deck/main.go `handleRerun`,
`handleAbort`): a rerun is a new ProwJob made by the one factory (`pjutil.rerun`,
Deck's `pjutil.NewProwJob` over the old spec, labels and annotations); an abort
only marks an unfinished job `aborted` with a description, and plank (here, or in
the other process that owns the executors) stops its process and completes it,
as Prow's plank does for Deck's aborts.
"""

from __future__ import annotations

import logging
from datetime import datetime

from minprow import pjutil
from minprow.model import ProwJob, ProwJobState
from minprow.store.errors import StoreError
from minprow.store.jobstore import JobStore

log = logging.getLogger("minprow.actions")


class AlreadyFinished(StoreError):
    """An abort of a job that has already finished: there is nothing to stop."""

    def __init__(self, job: ProwJob) -> None:
        super().__init__(
            f"prowjob {job.metadata.name!r} already finished ({job.status.state}); nothing to abort"
        )
        self.job = job


async def rerun(
    store: JobStore, name: str, *, by: str, now: datetime, namespace: str | None = None
) -> ProwJob:
    """Create a new run of the job `name` as Deck's rerun does; the created ProwJob.

    `by` is who asked (in the new job's description, as Deck writes it);
    `namespace` is config's `prowjob_namespace` (None keeps the old job's).
    Raises NotFound for an unknown job, StoreError when the create fails."""
    old = store.get(name)
    created = await store.create(pjutil.rerun(old, now=now, user=by, namespace=namespace or None))
    log.info("%s reran %s as %s", by, name, created.metadata.name, extra=created.log_fields())
    return created


async def abort(store: JobStore, name: str, *, by: str, through: str) -> ProwJob:
    """Mark the unfinished job `name` aborted; the job as written.

    The description reads "Aborted by <by> through <through>." (`through` names
    the front end: "the API", "the TUI"). Raises NotFound for an unknown job,
    AlreadyFinished when it has already ended, StoreError when the write fails."""
    changed = False

    def mark(job: ProwJob) -> ProwJob | None:
        nonlocal changed
        changed = False  # mutate may call this again after a conflict
        if job.status.state.is_final:
            return None
        job.status.state = ProwJobState.ABORTED
        job.status.description = f"Aborted by {by} through {through}."
        changed = True
        return job

    result = await store.mutate(name, mark)
    if not changed:
        raise AlreadyFinished(result)
    log.info("%s aborted %s through %s", by, name, through, extra=result.log_fields())
    return result

"""Which timeout, if any, ends a job whose process has not finished: a pure step.

Prow's plank (pkg/plank/reconciler.go, `syncPendingJob`) ends a pod that was
never scheduled within `pod_unscheduled_timeout` and one that never started
running within `pod_pending_timeout` as `error`, and one running longer than
`pod_running_timeout` as `aborted`, each with a fixed description; a job's
decoration config overrides plank's values. Prow's entrypoint stops the test
process after the decoration `timeout` (SIGTERM, then SIGKILL after the grace
period), and the job then fails. For a local engine "scheduled" means the
engine started the container; a container created but never started is
unscheduled.

Two additions for build clusters. An executor that enforces the decoration
timeout inside the job (Prow's entrypoint in a pod) gets no decoration verdict
from plank: stopping the pod would make it vanish and be created again. And a
job whose executor cannot start it (its cluster unreachable) stays triggered
until `pod_unscheduled_timeout` after its creation, then ends in `error`: a
pod that cannot even be created is the least scheduled pod there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from minprow.config.prow import Plank
from minprow.executors.base import Observation, Phase
from minprow.model import ProwJob, ProwJobState
from minprow.model.duration import format_duration
from minprow.podutils.render import DEFAULT_GRACE_PERIOD, DEFAULT_TIMEOUT

TIMED_OUT = "Timed out after "
"""Prefix of the description of a job being stopped by its decoration timeout."""


@dataclass(frozen=True)
class Verdict:
    """Stop the process (after `grace`); then end the job in `state`, or, when
    `state` is None, only note `description` and let the process's exit decide."""

    description: str
    grace: timedelta
    state: ProwJobState | None


def grace_period(job: ProwJob) -> timedelta:
    decoration = job.spec.decoration_config
    return (decoration.grace_period if decoration else None) or DEFAULT_GRACE_PERIOD


def unscheduled_timeout(job: ProwJob, plank: Plank) -> timedelta:
    decoration = job.spec.decoration_config
    return (decoration and decoration.pod_unscheduled_timeout) or plank.pod_unscheduled_timeout


def start_deadline(job: ProwJob, plank: Plank, now: datetime) -> tuple[datetime, timedelta]:
    """When a job that could not be started yet ends in error, and the limit it exceeds."""
    created = job.metadata.creation_timestamp or job.status.start_time or now
    limit = unscheduled_timeout(job, plank)
    return created + limit, limit


def verdict(
    job: ProwJob,
    observed: Observation,
    plank: Plank,
    now: datetime,
    *,
    decoration_timeout: bool = True,
) -> tuple[Verdict | None, timedelta | None]:
    """The timeout that ends the job now, or None and how long until the next one could.

    `decoration_timeout` False: the job enforces its decoration timeout itself."""
    decoration = job.spec.decoration_config
    pending_since = job.status.pending_time or now
    if observed.phase is Phase.PENDING:
        if observed.started_at is None:
            limit = unscheduled_timeout(job, plank)
            verdict, since = "Pod scheduling timeout.", pending_since
        else:
            limit = (decoration and decoration.pod_pending_timeout) or plank.pod_pending_timeout
            verdict, since = "Pod pending timeout.", observed.started_at
        if now - since >= limit:
            return Verdict(verdict, timedelta(0), ProwJobState.ERROR), None
        return None, since + limit - now
    started = observed.started_at or pending_since
    running_limit = (decoration and decoration.pod_running_timeout) or plank.pod_running_timeout
    if now - started >= running_limit:
        return Verdict("Pod running timeout.", grace_period(job), ProwJobState.ABORTED), None
    if (
        decoration is None
        or not decoration_timeout
        or (job.status.description or "").startswith(TIMED_OUT)
    ):
        return None, None
    timeout = decoration.timeout or DEFAULT_TIMEOUT
    if now - started < timeout:
        return None, started + timeout - now
    grace = grace_period(job)
    message = (
        f"{TIMED_OUT}{format_duration(timeout)}; stopping it "
        f"(grace period {format_duration(grace)})"
    )
    return Verdict(message, grace, None), None


def failure_description(job: ProwJob, reason: str) -> str:
    """The description of a failed job: a timed-out one says so, else the reason if any."""
    description = job.status.description or ""
    if description.startswith(TIMED_OUT):
        return description.split(";")[0] + "."
    return f"Job failed: {reason}." if reason else "Job failed."

"""Why a job is not running (or why it ended): one sentence for the detail screen.

Deck shows a job's state and description and nothing else, so a job stuck in
`triggered` looks the same whether plank is holding it behind a concurrency
limit, its build cluster is down, or nothing is wrong yet. This pure function
reads what plank and the executors already write (the texts of
minprow/plank/admission.py, minprow/plank/timeouts.py and
minprow/plank/reconciler.py, the executors' `StartError`s) plus the cluster
health the source reports, and says it plainly. Prow has no counterpart; the
timeouts it explains are those of Prow's pkg/plank/reconciler.go.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from minprow.config.prow import Plank
from minprow.model import ProwJob, ProwJobState
from minprow.model.duration import format_duration
from minprow.plank.timeouts import TIMED_OUT, grace_period
from minprow.podutils.render import DEFAULT_TIMEOUT

WAITING = "waiting: "
"""Prefix of every description plank's admission check writes on a held job."""

_IMAGE_PROBLEMS = (
    "not found",
    "cannot be pulled",
    "pull access denied",
    "manifest unknown",
    "ImagePull",
    "ErrImage",
)
CANNOT_CREATE = tuple(f"{what} can not be created:" for what in ("Pod", "Container", "Process"))
"""How plank's description begins when a job could not be started, per executor (Prow's
"Pod can not be created" for pods)."""
_SUPERSEDED = "newer version of this job"


def ago(delta: timedelta) -> str:
    """A duration as a person reads it: whole seconds, Go-style (`1h2m3s`)."""
    return format_duration(timedelta(seconds=max(0, int(delta.total_seconds()))))


def cluster_problem(cluster: str, health: Mapping[str, Mapping[str, Any]]) -> str | None:
    """What is wrong with `cluster` according to the source's health table, if anything.

    An empty table says nothing (the source has no health to report); a local
    executor entry (`{"executor": ...}`) is always reachable."""
    if not health:
        return None
    entry = health.get(cluster)
    if entry is None:
        known = ", ".join(sorted(health)) or "none"
        return f"Build cluster {cluster!r} is not configured (known: {known})."
    if entry.get("reachable") is False:
        error = entry.get("last_error") or "no error recorded"
        if "executor" in entry and entry["executor"] is None:
            return f"No executor runs build cluster {cluster!r}: {error}"
        when = entry.get("last_error_at")
        since = f" (last error at {when})" if when else ""
        return f"Build cluster {cluster!r} is unreachable{since}: {error}"
    return None


def _image_problem(description: str) -> bool:
    return any(marker in description for marker in _IMAGE_PROBLEMS)


def _ended(job: ProwJob, description: str, plank: Plank | None) -> str | None:
    state = job.status.state
    if state is ProwJobState.ABORTED:
        if _SUPERSEDED in description:
            return "Superseded: a newer run of this job on the same pull request aborted it."
        if description.startswith("Aborted by"):
            return description
        return f"Aborted{': ' + description if description else '.'}"
    decoration = job.spec.decoration_config
    if description == "Pod pending timeout.":
        limit = (decoration and decoration.pod_pending_timeout) or (
            plank.pod_pending_timeout if plank else None
        )
        within = f" within {ago(limit)}" if limit else ""
        return f"Its container was created but never started running{within} (pod_pending_timeout)."
    if description == "Pod scheduling timeout.":
        limit = (decoration and decoration.pod_unscheduled_timeout) or (
            plank.pod_unscheduled_timeout if plank else None
        )
        within = f" within {ago(limit)}" if limit else ""
        return f"It was never scheduled{within} (pod_unscheduled_timeout)."
    if description == "Pod running timeout.":
        return "It ran past plank's pod_running_timeout and was stopped."
    made = next((w for w in CANNOT_CREATE if description.startswith(w)), None)
    if made is not None:
        reason = description.removeprefix(made).strip()
        if _image_problem(reason):
            return f"Image missing or not pullable: {reason}"
        return f"It could not be started: {reason}"
    if "has no executor" in description:
        return f"No executor runs its cluster: {description}"
    if description.startswith(TIMED_OUT):
        return description.split(";")[0] + "."
    if state is ProwJobState.ERROR:
        return description or "It ended in error without a description."
    return description or None


def why_not_running(
    job: ProwJob,
    cluster_health: Mapping[str, Mapping[str, Any]],
    now: datetime,
    *,
    plank: Plank | None = None,
    idle: str | None = None,
) -> str | None:
    """Why `job` is not running, or None when nothing is in its way.

    A successful job needs no explanation; an ended one gets the reason it
    ended (aborted by whom, superseded, image missing, a timeout); a triggered
    one the concurrency limit holding it, its cluster's trouble, or how long it
    has waited; a pending one only a problem: its cluster unreachable, a pull
    error, or being past plank's pod_running_timeout or its decoration timeout
    plus grace period (with `plank`, the config's values fill in what the job
    leaves unset). Whether a pending job's container has started is not in the
    ProwJob, so pod_pending/unscheduled timeouts are explained once they fired.

    `idle` is the source's word that nothing runs its jobs (JobSource.idle): the
    first reason of all for a job that has not ended, said before any other."""
    state = job.status.state
    description = (job.status.description or "").strip()
    if state is ProwJobState.SUCCESS:
        return None
    if state.is_final:
        return _ended(job, description, plank)
    reason = _unfinished(job, description, cluster_health, now, plank)
    if not idle:
        return reason
    idle = f"{idle[0].upper()}{idle[1:]}."
    if state is ProwJobState.PENDING:
        # Started by a minprow that has gone: nothing follows it until one runs again.
        idle += " Until one does, this job stays as the last minprow left it."
    return f"{idle} {reason}" if reason else idle


def _unfinished(
    job: ProwJob,
    description: str,
    cluster_health: Mapping[str, Mapping[str, Any]],
    now: datetime,
    plank: Plank | None,
) -> str | None:
    state = job.status.state
    trouble = cluster_problem(job.spec.cluster_alias, cluster_health)
    if state in (ProwJobState.TRIGGERED, ProwJobState.SCHEDULING):
        if description.startswith(WAITING):
            return f"Waiting on a concurrency limit: {description.removeprefix(WAITING)}."
        if trouble:
            return trouble
        created = job.status.start_time or job.metadata.creation_timestamp
        waited = f" for {ago(now - created)}" if created else ""
        return f"Triggered{waited}; not started by plank yet."
    # pending: running or about to; only a problem is worth saying.
    if trouble:
        return trouble
    if _image_problem(description):
        return f"Image problem: {description}"
    if description.startswith(TIMED_OUT):
        return description
    since = job.status.pending_time
    decoration = job.spec.decoration_config
    if since is None:
        return None
    running_limit = (decoration and decoration.pod_running_timeout) or (
        plank.pod_running_timeout if plank else None
    )
    if running_limit and now - since > running_limit:
        return (
            f"Pending for {ago(now - since)}, past its pod_running_timeout "
            f"({ago(running_limit)}): plank should have aborted it; is plank running?"
        )
    if decoration is None:
        return None
    limit = (decoration.timeout or DEFAULT_TIMEOUT) + grace_period(job)
    if now - since > limit:
        return (
            f"Pending for {ago(now - since)}, past its timeout and grace period "
            f"({ago(limit)}): plank should have stopped it; is plank running?"
        )
    return None

"""Sinker's pure step: which ProwJobs to delete and which job resources to remove.

Corresponds to `clean()` in Prow's cmd/sinker/main.go, with an executor's
containers and workspaces in place of pods:

- A finished ProwJob (it has a completion time and a final state) that started
  more than `max_prowjob_age` ago is deleted ("aged"), except, for periodics,
  the latest run of each periodic still in the config: horologium needs it to
  know when the periodic ran last. Other old periodic runs go too
  ("aged-periodic"). A job that is not finished is never deleted.
- A resource of a finished job is removed when its run began more than
  `max_pod_age` ago ("aged"; the job's `pendingTime`, when plank started it,
  stands for the pod's start time) or the job completed more than
  `terminated_pod_ttl` ago ("ttled"). A running job's resources are never touched.
- A resource whose ProwJob was deleted in this same pass is removed
  ("orphaned").
- A resource whose ProwJob is gone ("orphaned") is removed when the previous
  pass already found it orphaned and nothing of it is running any more, and
  its executor serves no excluded cluster (then whose it was cannot be told).
  Prow removes orphans in any state once they are 30 seconds old, a guard
  against a lagging cache; minprow's `Managed` has no creation time, so the
  guard is a whole resync period, and a running orphan is left to end first:
  one Docker engine is shared by every `minprow up` and `minprow run` on the
  machine, and their jobs are not in this store.
- Jobs of a cluster in `exclude_clusters` keep their resources.

Ages compare strictly, as Prow's: a job exactly `max_prowjob_age` old stays.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from minprow.config import Sinker
from minprow.executors.base import Managed, Phase
from minprow.model import ProwJob, ProwJobType


class JobReason(StrEnum):
    """Why a ProwJob is deleted (Prow's `reasonProwJob*`, its metrics' labels)."""

    AGED = "aged"
    AGED_PERIODIC = "aged-periodic"


class ResourceReason(StrEnum):
    """Why a job's resources are removed (Prow's `reasonPod*`)."""

    AGED = "aged"
    TTLED = "ttled"
    ORPHANED = "orphaned"


@dataclass(frozen=True)
class Resource:
    """What one executor manages for one ProwJob, as sinker found it."""

    executor: str
    """The key of the executor that manages it (see `targets.Target.key`)."""
    managed: Managed
    orphans_allowed: bool = True
    """False when the executor also runs an excluded cluster's jobs."""


OrphanKey = tuple[str, str]
"""(executor key, ProwJob name) of a resource whose ProwJob does not exist."""


@dataclass(frozen=True)
class JobDeletion:
    job: ProwJob
    reason: JobReason

    @property
    def name(self) -> str:
        return self.job.metadata.name

    @property
    def resource_version(self) -> str | None:
        """Delete only this version: a job changed since it was judged is left alone."""
        return self.job.metadata.resource_version


@dataclass(frozen=True)
class ResourceCleanup:
    executor: str
    prowjob: str
    reason: ResourceReason
    job: ProwJob | None
    """The ProwJob as judged; None for an orphan."""


@dataclass(frozen=True)
class Cleanup:
    """One pass's actions: ProwJob deletions first, then resource removals."""

    delete_prowjobs: list[JobDeletion] = field(default_factory=list)
    cleanup_resources: list[ResourceCleanup] = field(default_factory=list)
    orphans: frozenset[OrphanKey] = frozenset()
    """Every orphan found in this pass: the next pass's `orphans_seen`."""


def plan_cleanup(
    jobs: Iterable[ProwJob],
    managed: Iterable[Resource],
    config: Sinker,
    now: datetime,
    *,
    active_periodics: Collection[str],
    orphans_seen: Collection[OrphanKey] = frozenset(),
) -> Cleanup:
    """What to clean at `now`, given every ProwJob, every managed resource, the
    sinker config, the names of the periodics in the config and the orphans the
    previous pass found (its `Cleanup.orphans`)."""
    by_name = {job.metadata.name: job for job in jobs}
    deletions = _aged_jobs(by_name.values(), config, now, active_periodics)
    deleted = {d.name for d in deletions}
    resources = list(managed)
    orphans = frozenset(
        (r.executor, r.managed.prowjob) for r in resources if r.managed.prowjob not in by_name
    )
    cleanups = _resources(resources, by_name, deleted, config, now, orphans_seen)
    return Cleanup(deletions, cleanups, orphans)


def _aged_jobs(
    jobs: Collection[ProwJob], config: Sinker, now: datetime, active_periodics: Collection[str]
) -> list[JobDeletion]:
    latest: dict[str, ProwJob] = {}
    for job in jobs:
        if job.spec.type is ProwJobType.PERIODIC and job.status.start_time is not None:
            current = latest.get(job.spec.job)
            if current is None or _recency(job) > _recency(current):
                latest[job.spec.job] = job
    deletions: list[JobDeletion] = []
    for job in jobs:
        if not finished(job):
            continue
        reason = JobReason.AGED
        if job.spec.type is ProwJobType.PERIODIC:
            if job.spec.job in active_periodics and latest.get(job.spec.job) is job:
                continue  # horologium's memory of when this periodic last ran
            reason = JobReason.AGED_PERIODIC
        started = job.status.start_time or job.metadata.creation_timestamp
        if _older_than(started, config.max_prowjob_age, now):
            deletions.append(JobDeletion(job, reason))
    return deletions


def _resources(
    managed: Iterable[Resource],
    jobs: dict[str, ProwJob],
    deleted: Collection[str],
    config: Sinker,
    now: datetime,
    orphans_seen: Collection[OrphanKey],
) -> list[ResourceCleanup]:
    excluded = set(config.exclude_clusters)
    ttl = config.terminated_pod_ttl if config.terminated_pod_ttl is not None else config.max_pod_age
    cleanups: dict[tuple[str, str], ResourceCleanup] = {}
    for resource in managed:
        name = resource.managed.prowjob
        key = (resource.executor, name)
        job = jobs.get(name)
        if key in cleanups or (job is not None and job.spec.cluster_alias in excluded):
            continue
        reason: ResourceReason | None = None
        if job is None:
            if resource.orphans_allowed and key in orphans_seen and _ended(resource.managed):
                reason = ResourceReason.ORPHANED
        elif name in deleted:
            reason = ResourceReason.ORPHANED
        elif finished(job):
            started = job.status.pending_time or job.status.start_time
            if started is not None and _older_than(started, config.max_pod_age, now):
                reason = ResourceReason.AGED
            elif _older_than(job.status.completion_time, ttl, now):
                reason = ResourceReason.TTLED
        if reason is not None:
            cleanups[key] = ResourceCleanup(resource.executor, name, reason, job)
    return list(cleanups.values())


def finished(job: ProwJob) -> bool:
    """Done for good: a completion time (Prow's `Complete()`) and a final state."""
    return job.complete and job.status.state.is_final


def _ended(managed: Managed) -> bool:
    return managed.phase.is_final or managed.phase is Phase.MISSING


def _older_than(since: datetime | None, age: timedelta, now: datetime) -> bool:
    # A missing time is Go's zero time: older than any age.
    return since is None or now - since > age


def _recency(job: ProwJob) -> tuple[datetime, int]:
    # Prow's GetLatestProwJobs: the newest start time; equal ones go to the later-created job.
    start = job.status.start_time or datetime.min.replace(tzinfo=UTC)
    return start, int(job.metadata.resource_version or 0)

"""Plank's reconcile step: move one ProwJob along by the state it is in.

Corresponds to Prow's pkg/plank/reconciler.go: `triggered` jobs are admitted
under the concurrency limits, given a build id, rendered and started
(`pending`, with `pendingTime`, `pod_name`, `build_id` and `url`); `pending`
jobs are observed until their process ends (`success`/`failure` by exit code)
or a timeout ends them (`error` for pod pending / unscheduled, `aborted` for
pod running, `failure` for the decoration timeout, as Prow's entrypoint makes
it); `aborted` jobs that are not complete yet have their process stopped.
Errors decide what happens next (pkg/plank/error.go): a job that can never
start ends in `error` with the reason in its description; an executor that
is unavailable is retried later, the triggered job saying why in its
description, until `pod_unscheduled_timeout` after its creation ends it in
`error` (a pod that cannot even be created; Prow retries without end). An
evicted pod is made again, or the job errs when it sets `error_on_eviction`,
as in Prow.

A failure that repeats (an executor that does not answer, logs that cannot be
uploaded, a process that cannot be stopped) is retried with a delay doubling
from five polls to `RETRY_MAX_POLLS` polls, and logged when it first happens
and when its error changes, not at every attempt; its recovery is logged once.
A job that cannot start is said the same way: at warning level, in the words of
the executor that runs it (Prow's "Pod can not be created", "Container ..." under
docker, "Process ..." on the host), when its configured job first fails so, and
at debug level while later runs of it fail alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from minprow.aio import Clock
from minprow.aio.backoff import Backoff
from minprow.config import Config
from minprow.executors.base import Executor, ExecutorError, Observation, Phase, StartError
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob, ProwJobAgent, ProwJobState, ProwJobType
from minprow.model.duration import format_duration
from minprow.pjutil import BuildIDGenerator
from minprow.plank import admission, timeouts
from minprow.plank.joburl import job_url
from minprow.podutils.render import (
    RenderError,
    RunPlan,
    render,
)
from minprow.store import Conflict, JobStore, NotFound, copy_job

log = logging.getLogger("minprow.plank")

EVICTED = "Evicted"
"""The reason (Kubernetes' pod status reason) of a pod the node evicted."""
COLLECT_DEADLINE = timedelta(minutes=10)
"""How long a finished job's artifacts may fail to upload before the job is completed anyway."""
RETRY_FIRST_POLLS = 5
"""The first retry of a failing step waits this many polls."""
RETRY_MAX_POLLS = 60
"""Retries of a failing step wait at most this many polls (2 minutes under `serve`)."""


@dataclass
class Result:
    """When to look at the job again: `requeue_after` seconds, or never (None)."""

    requeue_after: float | None = None
    failing: bool = False
    """The step failed and is to be retried: the job's failures in a row are kept."""


@dataclass
class Plank:
    """The reconciler and the little state it keeps between calls (the starts in flight)."""

    store: JobStore
    config: Callable[[], Config]
    clusters: ClusterMap
    clock: Clock
    poll_interval: float = 2.0
    artifacts_dir: Path | None = None
    """Where artifacts go when the decoration config names no bucket or directory."""
    build_ids: BuildIDGenerator = field(default_factory=BuildIDGenerator)
    adjust_plan: Callable[[RunPlan], RunPlan] | None = None
    """A last change to every run plan (`minprow run --local` mounts the working tree)."""
    _in_flight: set[str] = field(default_factory=set)
    _retries: Backoff[str] = field(init=False)
    _unstartable: Backoff[str] = field(init=False)
    """Per configured job (`spec.job`), the last reason its runs could not start: only
    its report is used (a start failure is final, never retried), so a periodic that
    fails the same way every minute is said once."""

    def __post_init__(self) -> None:
        self._retries = Backoff(
            self.poll_interval * RETRY_FIRST_POLLS, self.poll_interval * RETRY_MAX_POLLS
        )
        self._unstartable = Backoff(0.0, 0.0)

    def plan(self, job: ProwJob) -> RunPlan:
        """The job's run plan: the one renderer's, then `adjust_plan`."""
        plan = render(job)
        return self.adjust_plan(plan) if self.adjust_plan else plan

    async def reconcile(self, name: str) -> Result:
        try:
            job = self.store.get(name)
        except NotFound:
            self._retries.succeeded(name)
            return Result()
        result = await self._reconcile(job)
        if not result.failing:
            failures = self._retries.succeeded(name)
            if failures:
                _log(job).info("works again after %d failed attempts", failures)
        return result

    async def _reconcile(self, job: ProwJob) -> Result:
        if job.spec.agent not in (None, ProwJobAgent.KUBERNETES) or job.spec.pod_spec is None:
            return Result()  # Jenkins, Tekton, ...: another controller's job
        state = job.status.state
        if state is ProwJobState.TRIGGERED:
            return await self._triggered(job)
        if state is ProwJobState.PENDING:
            return await self._pending(job)
        if state is ProwJobState.ABORTED and job.status.completion_time is None:
            return await self._aborted(job)
        return Result()

    # triggered -> pending

    async def _triggered(self, job: ProwJob) -> Result:
        name = job.metadata.name
        executor = self.clusters.get(job.spec.cluster_alias)
        if executor is None:
            await self._finish(
                job, ProwJobState.ERROR, self.clusters.describe_missing(job.spec.cluster_alias)
            )
            return Result()
        if job.spec.type is ProwJobType.PRESUBMIT and await self._superseded(job):
            return Result()
        unavailable = executor.unavailable()
        if unavailable is not None:
            # A build cluster that does not answer takes no work: its jobs wait without
            # a build id, a render or a call, so they cost the other clusters nothing.
            return await self._not_started(job, executor, ExecutorError(unavailable))
        waiting = self._admit(job)
        if waiting is not None:
            if job.status.description != waiting:
                await self._set(name, ProwJobState.TRIGGERED, lambda pj: _describe(pj, waiting))
            return Result(self.poll_interval * 5)
        self._in_flight.add(name)
        try:
            return await self._start(job, executor)
        finally:
            self._in_flight.discard(name)

    def _admit(self, job: ProwJob) -> str | None:
        # Only the lists a limit needs, each from the store's index (not a scan of all jobs).
        plank = self.config().plank
        pending = self.store.list(state=ProwJobState.PENDING) if plank.max_concurrency > 0 else []
        same_job: list[ProwJob] = []
        if job.spec.max_concurrency:
            same_job = [pj for pj in self.store.list(job=job.spec.job) if _unfinished(pj)]
        queue = job.spec.job_queue_name
        same_queue: list[ProwJob] = []
        if queue:
            same_queue = [
                pj
                for state in (ProwJobState.PENDING, ProwJobState.TRIGGERED)
                for pj in self.store.list(state=state)
                if pj.spec.job_queue_name == queue
            ]
        return admission.blocked_by(
            job,
            plank,
            pending=pending,
            same_job=same_job,
            same_queue=same_queue,
            in_flight=self._in_flight,
        )

    async def _start(self, job: ProwJob, executor: Executor) -> Result:
        name = job.metadata.name
        if not job.status.build_id:
            # The build id goes into the job's env, so it is written before the
            # start: a restart re-starts with the same one.
            build_id = self.build_ids.next(self.clock.now())

            def with_build_id(pj: ProwJob) -> ProwJob | None:
                if pj.status.state is not ProwJobState.TRIGGERED or pj.status.build_id:
                    return None
                pj.status.build_id = build_id
                pj.status.pod_name = name
                return pj

            job = await self.store.mutate(name, with_build_id)
            if job.status.state is not ProwJobState.TRIGGERED:
                return Result(0)
        try:
            plan = self.plan(job)
            await executor.start(job, plan)
        except (RenderError, StartError) as err:
            await self._cannot_start(job, f"{_cannot_create(executor)}: {err}")
            return Result()
        except ExecutorError as err:
            return await self._not_started(job, executor, err)
        now = self.clock.now()
        url = job_url(job, self.config(), default_dir=self.artifacts_dir)

        def to_pending(pj: ProwJob) -> ProwJob | None:
            if pj.status.state is not ProwJobState.TRIGGERED:
                return None  # aborted meanwhile: the aborted sync stops what was started
            pj.status.state = ProwJobState.PENDING
            pj.status.pending_time = now
            pj.status.pod_name = name
            pj.status.description = "Job triggered."
            pj.status.url = url or pj.status.url
            return pj

        await self._mutate(name, to_pending)
        _log(job).info("started on %s (%s)", executor.name, job.spec.cluster_alias)
        could_not = self._unstartable.succeeded(job.spec.job)
        if could_not:
            _log(job).info("starts again after %d failed start(s)", could_not)
        return Result(0)

    async def _not_started(self, job: ProwJob, executor: Executor, err: ExecutorError) -> Result:
        """The executor cannot start the job now: a triggered job waits, with the reason
        in its description, until the unscheduled timeout after its creation, then errs."""
        retry = self._retry(job, f"{executor.name} cannot start the job yet", err)
        if job.status.state is not ProwJobState.TRIGGERED:
            return retry  # a vanished pod: keep trying, as Prow does
        now = self.clock.now()
        deadline, limit = timeouts.start_deadline(job, self.config().plank, now)
        if now >= deadline:
            description = (
                f"{_cannot_create(executor)}: {executor.name} did not take it within "
                f"{format_duration(limit)}: {err}"
            )
            await self._cannot_start(job, description)
            return Result()
        waiting = f"Waiting for {executor.name}: {err}"
        if job.status.description != waiting:
            await self._set(
                job.metadata.name, ProwJobState.TRIGGERED, lambda pj: _describe(pj, waiting)
            )
        # No longer than five polls: a build cluster that answers again takes its work soon.
        left = (deadline - now).total_seconds()
        wait = min(self.poll_interval * RETRY_FIRST_POLLS, retry.requeue_after or 0.0)
        return Result(min(wait, max(left, 0.0)), failing=True)

    async def _superseded(self, job: ProwJob) -> bool:
        """Prow's TerminateOlderJobs: abort older unfinished runs of this presubmit on
        this PR; True when `job` itself is the older one."""
        refs = job.spec.refs
        if refs is None or not refs.pulls:
            return False
        runs = [
            pj
            for pj in self.store.list(
                job=job.spec.job, org_repo=refs.org_repo, pull=refs.pulls[0].number
            )
            if pj.spec.type is ProwJobType.PRESUBMIT and not pj.status.state.is_final
        ]
        newest = max(runs, key=_age_key, default=job)
        for old in runs:
            if old is newest or old.metadata.name == newest.metadata.name:
                continue
            _log(old).info("aborting: superseded by %s", newest.metadata.name)
            await self._set(
                old.metadata.name,
                old.status.state,
                lambda pj: _abort(pj, "Aborted as the newer version of this job is running."),
            )
        return newest.metadata.name != job.metadata.name

    # pending -> final

    async def _pending(self, job: ProwJob) -> Result:
        executor = self.clusters.get(job.spec.cluster_alias)
        if executor is None:
            await self._finish(
                job, ProwJobState.ERROR, self.clusters.describe_missing(job.spec.cluster_alias)
            )
            return Result()
        name = job.metadata.name
        try:
            observed = await executor.observe(name)
        except ExecutorError as err:
            return self._retry(job, f"cannot observe the job on {executor.name}", err)
        if observed.phase is Phase.MISSING:
            # As Prow does when a pod vanished: start it again.
            _log(job).warning("its %s process is gone; starting it again", executor.name)
            return await self._start(job, executor)
        if observed.phase is Phase.FAILED and observed.reason.startswith(EVICTED):
            return await self._evicted(job, executor)
        if observed.phase.is_final:
            return await self._completed(job, executor, observed)
        return await self._check_timeouts(job, executor, observed)

    async def _evicted(self, job: ProwJob, executor: Executor) -> Result:
        """Prow's way with an evicted pod: the job errs if it asked to (`error_on_eviction`),
        else the pod is deleted and made again at the next look."""
        if job.spec.error_on_eviction:
            await self._finish(job, ProwJobState.ERROR, "Job pod was evicted by the cluster.")
            return Result()
        _log(job).info("its pod was evicted from %s; creating it again", executor.name)
        try:
            await executor.cleanup(job.metadata.name)
        except ExecutorError as err:
            return self._retry(job, "cannot delete the evicted pod yet", err)
        return Result(0)

    async def _completed(self, job: ProwJob, executor: Executor, observed: Observation) -> Result:
        now = self.clock.now()
        if observed.phase is Phase.SUCCEEDED:
            state, description = ProwJobState.SUCCESS, "Job succeeded."
        else:
            state = ProwJobState.FAILURE
            description = timeouts.failure_description(job, observed.reason)
        final = _finished_copy(job, state, description, now)
        try:
            await self._collect(executor, final)
        except ExecutorError as err:
            finished = observed.finished_at or now
            if now - finished < COLLECT_DEADLINE:
                return self._retry(job, "cannot collect its logs and artifacts yet", err)
            description = f"{description} Its logs and artifacts could not be uploaded: {err}"
        await self._finish(job, state, description)
        return Result()

    async def _check_timeouts(
        self, job: ProwJob, executor: Executor, observed: Observation
    ) -> Result:
        found, wait = timeouts.verdict(
            job,
            observed,
            self.config().plank,
            self.clock.now(),
            decoration_timeout=not executor.decoration_timeout_in_job,
        )
        if found is None:
            if observed.phase is Phase.PENDING and observed.reason:
                # Why it is stuck (an image that cannot be pulled), for whoever looks.
                stuck = f"Pod pending: {observed.reason}"
                if job.status.description != stuck:
                    await self._set(
                        job.metadata.name, ProwJobState.PENDING, lambda pj: _describe(pj, stuck)
                    )
            seconds = self.poll_interval if wait is None else wait.total_seconds()
            return Result(min(self.poll_interval, seconds))
        if found.state is None:
            # The decoration timeout: note it, stop the process, let its exit end the job.
            await self._set(
                job.metadata.name, ProwJobState.PENDING, lambda pj: _describe(pj, found.description)
            )
            _log(job).info("%s", found.description)
            await self._stop(job, executor, found.grace)
            return Result(0)
        await self._stop(job, executor, found.grace)
        await self._finish(job, found.state, found.description)
        return Result()

    # aborted -> complete

    async def _aborted(self, job: ProwJob) -> Result:
        executor = self.clusters.get(job.spec.cluster_alias)
        description = job.status.description
        if executor is not None:
            try:
                observed = await executor.observe(job.metadata.name)
                if observed.phase is not Phase.MISSING and not observed.phase.is_final:
                    await executor.abort(job.metadata.name, timeouts.grace_period(job))
            except ExecutorError as err:
                return self._retry(job, "cannot stop the aborted job yet", err)
            if observed.phase is not Phase.MISSING:
                now = self.clock.now()
                final = _finished_copy(job, ProwJobState.ABORTED, description, now)
                try:
                    await self._collect(executor, final)
                except ExecutorError as err:
                    # As for a finished job: the uploads have a deadline, the stop had none.
                    aborted_at = observed.finished_at or now
                    if now - aborted_at < COLLECT_DEADLINE:
                        return self._retry(job, "cannot collect its logs and artifacts yet", err)
                    description = (
                        f"{description} Its logs and artifacts could not be uploaded: {err}"
                    )
        now = self.clock.now()

        def complete(pj: ProwJob) -> ProwJob | None:
            if pj.status.state is not ProwJobState.ABORTED or pj.status.completion_time:
                return None
            pj.status.completion_time = now
            pj.status.description = description
            return pj

        await self._mutate(job.metadata.name, complete)
        _log(job).info("aborted")
        return Result()

    # helpers

    async def _cannot_start(self, job: ProwJob, description: str) -> None:
        """End a job that cannot start in `error`. Said at warning level when its
        configured job first fails this way (or fails another way than last time), as
        `_retry` says a repeating error; the same again (the next run of a periodic)
        is logged at debug level only, until a run of that job starts."""
        said = self._unstartable.failed(job.spec.job, description)
        if said.report:
            _log(job).warning(
                "%s (runs of %s failing the same way again are logged at debug level)",
                description,
                job.spec.job,
            )
        else:
            _log(job).debug("%s (again: %d runs in a row)", description, said.attempt)
        await self._finish(job, ProwJobState.ERROR, description, level=logging.DEBUG)

    def _retry(self, job: ProwJob, what: str, err: Exception) -> Result:
        """A failed step, retried after a growing delay; logged only when its error is new."""
        retry = self._retries.failed(job.metadata.name, f"{what}: {err}")
        if retry.report:
            _log(job).warning(
                "%s: %s (retrying, waiting up to %s between attempts; "
                "the same error again is not logged)",
                what,
                err,
                format_duration(timedelta(seconds=self._retries.maximum)),
            )
        else:
            _log(job).debug("%s (attempt %d): %s", what, retry.attempt, err)
        return Result(retry.delay, failing=True)

    async def _collect(self, executor: Executor, final: ProwJob) -> None:
        try:
            plan = self.plan(final)
        except RenderError:
            return  # it never ran: nothing to collect
        await executor.collect(final, plan)

    async def _stop(self, job: ProwJob, executor: Executor, grace: timedelta) -> None:
        try:
            await executor.abort(job.metadata.name, grace)
        except ExecutorError as err:
            _log(job).warning("could not stop its process: %s", err)

    async def _finish(
        self,
        job: ProwJob,
        state: ProwJobState,
        description: str | None,
        *,
        level: int = logging.INFO,
    ) -> None:
        """Complete the job; `level` is its log line's (debug where the caller said why)."""
        now = self.clock.now()
        await self._set(
            job.metadata.name,
            job.status.state,
            lambda pj: _complete(pj, state, description, now),
        )
        _log(job).log(level, "%s -> %s: %s", job.status.state, state, description)

    async def _set(
        self, name: str, expected: ProwJobState, change: Callable[[ProwJob], ProwJob]
    ) -> None:
        def guarded(pj: ProwJob) -> ProwJob | None:
            if pj.status.state is not expected:
                return None  # someone moved it on meanwhile (an abort, another replica)
            return change(pj)

        await self._mutate(name, guarded)

    async def _mutate(self, name: str, fn: Callable[[ProwJob], ProwJob | None]) -> None:
        try:
            await self.store.mutate(name, fn)
        except NotFound:
            log.info("ProwJob %s was deleted while plank worked on it", name)
        except Conflict:
            log.warning("ProwJob %s kept changing under plank; will look again", name)


def _unfinished(pj: ProwJob) -> bool:
    return pj.status.state in (ProwJobState.PENDING, ProwJobState.TRIGGERED)


def _age_key(pj: ProwJob) -> tuple[datetime | None, str]:
    created = pj.metadata.creation_timestamp or pj.status.start_time
    return (created, pj.metadata.name)


def _describe(pj: ProwJob, description: str) -> ProwJob:
    pj.status.description = description
    return pj


def _abort(pj: ProwJob, description: str) -> ProwJob:
    pj.status.state = ProwJobState.ABORTED
    pj.status.description = description
    return pj


def _complete(pj: ProwJob, state: ProwJobState, description: str | None, now: datetime) -> ProwJob:
    pj.status.state = state
    pj.status.description = description
    pj.status.completion_time = pj.status.completion_time or now
    return pj


def _finished_copy(
    job: ProwJob, state: ProwJobState, description: str | None, now: datetime
) -> ProwJob:
    return _complete(copy_job(job), state, description, now)


def _log(job: ProwJob) -> logging.LoggerAdapter[logging.Logger]:
    return logging.LoggerAdapter(log, job.log_fields())


def _cannot_create(executor: Executor) -> str:
    """Prow's "Pod can not be created", naming what this executor really makes."""
    return f"{executor.workload.capitalize()} can not be created"

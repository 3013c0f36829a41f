"""plank.reconcile, state by state, against Prow's pkg/plank/reconciler.go."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fakes import T0, VirtualClock
from plank_helpers import MakePlank, ScriptedExecutor, make_job

from minprow.executors.base import ExecutorError, Phase, StartError
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob, ProwJobAgent, ProwJobState, ProwJobType
from minprow.store import JobStore


async def test_a_triggered_job_starts_once_and_becomes_pending(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor, clock: VirtualClock
) -> None:
    await store.create(make_job("a"))
    plank = make_plank()
    await plank.reconcile("a")
    await plank.reconcile("a")
    job = store.get("a")
    assert executor.starts == ["a"]
    assert job.status.state is ProwJobState.PENDING
    assert job.status.pending_time == clock.now()
    assert job.status.pod_name == "a"
    assert job.status.build_id
    assert len(job.status.build_id) == 19
    assert job.status.description == "Job triggered."
    # The build id the job was started with is the one it records.
    assert executor.plans["a"].test_container.env["BUILD_ID"] == job.status.build_id


@pytest.mark.parametrize(
    ("phase", "fields", "state", "description"),
    [
        (Phase.SUCCEEDED, {"exit_code": 0}, ProwJobState.SUCCESS, "Job succeeded."),
        (Phase.FAILED, {"exit_code": 2}, ProwJobState.FAILURE, "Job failed."),
        (
            Phase.FAILED,
            {"exit_code": 137, "reason": "OOMKilled"},
            ProwJobState.FAILURE,
            "Job failed: OOMKilled.",
        ),
    ],
    ids=["success", "failure", "oom-killed"],
)
async def test_a_pending_job_ends_by_its_exit(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    clock: VirtualClock,
    phase: Phase,
    fields: dict[str, object],
    state: ProwJobState,
    description: str,
) -> None:
    await store.create(make_job("a"))
    plank = make_plank()
    await plank.reconcile("a")
    executor.set("a", Phase.RUNNING, started_at=clock.now())
    assert (await plank.reconcile("a")).requeue_after is not None
    clock.advance(timedelta(minutes=3))
    executor.set("a", phase, **fields)
    assert (await plank.reconcile("a")).requeue_after is None
    job = store.get("a")
    assert (job.status.state, job.status.description) == (state, description)
    assert job.status.completion_time == clock.now()
    # The artifacts were collected with the job as it ended, before the state was written.
    assert [c.status.state for c in executor.collected] == [state]


@pytest.mark.parametrize(
    ("clusters", "job_kwargs", "failure", "expected"),
    [
        (
            None,
            {},
            StartError("image nope:1 not found"),
            "Pod can not be created: image nope:1 not found",
        ),
        (None, {"container": {"command": ["true"]}}, None, "container 0: no image"),
        ("routes-only", {"cluster": "gke-east"}, None, "cluster 'gke-east' has no executor"),
    ],
    ids=["start-error", "bad-spec", "unknown-cluster"],
)
async def test_a_job_that_cannot_start_is_an_error_saying_why(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    clusters: str | None,
    job_kwargs: dict[str, object],
    failure: Exception | None,
    expected: str,
) -> None:
    executor.fail_start = failure
    await store.create(make_job("a", **job_kwargs))  # type: ignore[arg-type]
    routes = ClusterMap({"default": executor}) if clusters else None
    await make_plank(routes).reconcile("a")
    job = store.get("a")
    assert job.status.state is ProwJobState.ERROR
    assert expected in (job.status.description or "")
    assert job.status.completion_time is not None
    assert executor.starts == []


async def test_an_unavailable_executor_is_retried_not_an_error(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    executor.fail_start = ExecutorError("engine down")
    await store.create(make_job("a"))
    plank = make_plank()
    result = await plank.reconcile("a")
    assert store.get("a").status.state is ProwJobState.TRIGGERED
    assert result.requeue_after
    executor.fail_start = None
    await plank.reconcile("a")
    assert store.get("a").status.state is ProwJobState.PENDING


@pytest.mark.parametrize(
    ("jobs", "config", "started", "waiting"),
    [
        (
            [("old", "j", 1, None), ("new", "j", 1, None)],
            {},
            ["old"],
            ("new", "max_concurrency 1 of j reached"),
        ),
        # Prow's global limit counts pending jobs only: whoever comes first starts.
        (
            [("old", "j", None, None), ("new", "k", None, None)],
            {"max_concurrency": 1},
            ["new"],
            ("old", "plank max_concurrency 1 reached"),
        ),
        (
            [("old", "j", None, "gpu"), ("new", "k", None, "gpu")],
            {"job_queue_capacities": {"gpu": 1}},
            ["old"],
            ("new", "job queue 'gpu' capacity 1 reached"),
        ),
        (
            [("old", "j", None, "gpu"), ("new", "k", None, "cpu")],
            {"job_queue_capacities": {"gpu": 1}},
            ["old"],
            ("new", "job queue 'cpu' is not in plank.job_queue_capacities"),
        ),
        ([("old", "j", 2, None), ("new", "j", 2, None)], {}, ["new", "old"], None),
    ],
    ids=["per-job-oldest-first", "global", "queue", "unknown-queue", "under-limit"],
)
async def test_concurrency_limits(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    jobs: list[tuple[str, str, int | None, str | None]],
    config: dict[str, object],
    started: list[str],
    waiting: tuple[str, str] | None,
) -> None:
    for offset, (name, job, limit, queue) in enumerate(jobs):
        await store.create(
            make_job(
                name,
                job=job,
                pull=offset + 1,
                created=T0 + timedelta(seconds=offset),
                max_concurrency=limit,
                queue=queue,
            )
        )
    plank = make_plank(**config)
    # The newer one is looked at first: under a per-job or queue limit it must
    # still wait for the older one.
    for name, *_ in reversed(jobs):
        await plank.reconcile(name)
    assert executor.starts == started
    if waiting:
        waiter = store.get(waiting[0])
        assert waiter.status.state is ProwJobState.TRIGGERED
        assert waiting[1] in (waiter.status.description or "")


async def test_a_finished_job_frees_its_slot(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("old", max_concurrency=1))
    await store.create(
        make_job("new", pull=2, max_concurrency=1, created=T0 + timedelta(seconds=1))
    )
    plank = make_plank()
    await plank.reconcile("old")
    await plank.reconcile("new")
    assert executor.starts == ["old"]
    executor.set("old", Phase.SUCCEEDED, exit_code=0)
    await plank.reconcile("old")
    await plank.reconcile("new")
    assert executor.starts == ["old", "new"]


async def test_a_newer_presubmit_aborts_the_older_run_on_the_same_pr(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    plank = make_plank()
    await store.create(make_job("first"))
    await plank.reconcile("first")
    executor.set("first", Phase.RUNNING)
    await store.create(make_job("second", created=T0 + timedelta(seconds=5)))
    await store.create(make_job("other-pr", pull=9, created=T0 + timedelta(seconds=6)))
    await plank.reconcile("second")
    first = store.get("first")
    assert first.status.state is ProwJobState.ABORTED
    assert first.status.description == "Aborted as the newer version of this job is running."
    assert store.get("second").status.state is ProwJobState.PENDING
    # The aborted run's process is stopped, its logs kept, and the job completed.
    await plank.reconcile("first")
    assert [name for name, _ in executor.aborts] == ["first"]
    assert store.get("first").status.completion_time is not None
    assert [c.metadata.name for c in executor.collected] == ["first"]
    await plank.reconcile("other-pr")
    assert store.get("other-pr").status.state is ProwJobState.PENDING


async def test_an_older_presubmit_never_starts_after_a_newer_one(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("first"))
    await store.create(make_job("second", created=T0 + timedelta(seconds=5)))
    await make_plank().reconcile("first")
    assert store.get("first").status.state is ProwJobState.ABORTED
    assert executor.starts == []


async def test_an_aborted_job_that_never_ran_is_completed(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("a", state=ProwJobState.ABORTED))
    await make_plank().reconcile("a")
    assert store.get("a").status.completion_time is not None
    assert executor.aborts == []


@pytest.mark.parametrize(
    ("process", "after", "decoration", "state", "description", "grace"),
    [
        (
            {"phase": Phase.PENDING},
            {"minutes": 5},
            None,
            ProwJobState.ERROR,
            "Pod scheduling timeout.",
            0,
        ),
        (
            {"phase": Phase.PENDING, "started_at": "t0"},
            {"minutes": 10},
            None,
            ProwJobState.ERROR,
            "Pod pending timeout.",
            0,
        ),
        (
            {"phase": Phase.PENDING},
            {"minutes": 1},
            {"pod_unscheduled_timeout": "1m"},
            ProwJobState.ERROR,
            "Pod scheduling timeout.",
            0,
        ),
        (
            {"phase": Phase.RUNNING, "started_at": "t0"},
            {"hours": 48},
            None,
            ProwJobState.ABORTED,
            "Pod running timeout.",
            15,
        ),
    ],
    ids=["unscheduled", "pending", "unscheduled-from-decoration", "running"],
)
async def test_pod_timeouts_end_the_job_as_prow_does(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    clock: VirtualClock,
    process: dict[str, object],
    after: dict[str, float],
    decoration: dict[str, str] | None,
    state: ProwJobState,
    description: str,
    grace: int,
) -> None:
    await store.create(make_job("a", decoration=decoration))
    plank = make_plank()
    await plank.reconcile("a")
    fields = dict(process)
    phase = fields.pop("phase")
    if fields.get("started_at") == "t0":
        fields["started_at"] = clock.now()
    executor.set("a", phase, **fields)  # type: ignore[arg-type]
    clock.advance(timedelta(**after) - timedelta(seconds=1))
    await plank.reconcile("a")
    assert store.get("a").status.state is ProwJobState.PENDING
    clock.advance(timedelta(seconds=1))
    await plank.reconcile("a")
    job = store.get("a")
    assert (job.status.state, job.status.description) == (state, description)
    assert executor.aborts == [("a", timedelta(seconds=grace))]


async def test_the_decoration_timeout_stops_the_job_then_it_fails(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor, clock: VirtualClock
) -> None:
    await store.create(make_job("a", decoration={"timeout": "30m", "grace_period": "20s"}))
    plank = make_plank()
    await plank.reconcile("a")
    executor.set("a", Phase.RUNNING, started_at=clock.now())
    clock.advance(timedelta(minutes=30))
    await plank.reconcile("a")
    assert executor.aborts == [("a", timedelta(seconds=20))]
    assert store.get("a").status.description == (
        "Timed out after 30m0s; stopping it (grace period 20s)"
    )
    await plank.reconcile("a")  # the scripted abort left the process FAILED (143)
    job = store.get("a")
    assert (job.status.state, job.status.description) == (
        ProwJobState.FAILURE,
        "Timed out after 30m0s.",
    )


async def test_a_pending_job_whose_process_vanished_is_started_again(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("a"))
    plank = make_plank()
    await plank.reconcile("a")
    build_id = store.get("a").status.build_id
    await executor.cleanup("a")
    await plank.reconcile("a")
    assert executor.starts == ["a", "a"]
    assert store.get("a").status.state is ProwJobState.PENDING
    assert store.get("a").status.build_id == build_id


async def test_artifacts_that_cannot_be_collected_keep_the_job_pending_for_a_while(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor, clock: VirtualClock
) -> None:
    await store.create(make_job("a"))
    plank = make_plank()
    await plank.reconcile("a")
    executor.set("a", Phase.SUCCEEDED, exit_code=0, finished_at=clock.now())
    executor.fail_collect = ExecutorError("bucket unreachable")
    assert (await plank.reconcile("a")).requeue_after
    assert store.get("a").status.state is ProwJobState.PENDING
    clock.advance(timedelta(minutes=10))
    await plank.reconcile("a")
    job = store.get("a")
    assert job.status.state is ProwJobState.SUCCESS
    assert "could not be uploaded: bucket unreachable" in (job.status.description or "")


@pytest.mark.parametrize(
    ("aborted", "what"),
    [(False, "cannot collect its logs and artifacts yet"), (True, "cannot stop the aborted job")],
    ids=["finished-job-uploads", "aborted-job-stop"],
)
async def test_a_failure_that_repeats_backs_off_and_is_logged_once_per_distinct_error(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    clock: VirtualClock,
    caplog: pytest.LogCaptureFixture,
    aborted: bool,
    what: str,
) -> None:
    """The `minprow run --state-dir FILE` of issue 15 logged 36,000 lines in 10 minutes."""
    await store.create(make_job("a"))
    plank = make_plank()
    await plank.reconcile("a")
    if aborted:
        await store.mutate("a", _aborted)
        executor.fail_abort = ExecutorError("the engine does not answer")
    else:
        executor.set("a", Phase.SUCCEEDED, exit_code=0, finished_at=clock.now())
        executor.fail_collect = ExecutorError("[Errno 20] Not a directory: '/state/logs'")
    caplog.set_level(logging.DEBUG, logger="minprow.plank")
    delays = [(await plank.reconcile("a")).requeue_after or 0.0 for _ in range(8)]
    assert delays == sorted(delays)  # growing, to a cap
    assert delays[-1] > delays[0] > 0
    assert max(delays) <= plank.poll_interval * 60
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and what in r.message]
    assert len(warned) == 1, [r.message for r in warned]
    # A different error is news: logged once more.
    if aborted:
        executor.fail_abort = ExecutorError("permission denied")
    else:
        executor.fail_collect = ExecutorError("[Errno 28] No space left on device")
    await plank.reconcile("a")
    await plank.reconcile("a")
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and what in r.message]
    assert len(warned) == 2
    # It works again: said once, and the next failure starts from the first delay.
    if aborted:
        executor.fail_abort = None
    else:
        executor.fail_collect = None
    await plank.reconcile("a")
    assert any("works again after" in r.message for r in caplog.records)
    assert store.get("a").status.completion_time is not None


def _aborted(pj: ProwJob) -> ProwJob:
    pj.status.state = ProwJobState.ABORTED
    pj.status.description = "Aborted by the user."
    return pj


async def test_a_new_plank_finishes_what_the_old_one_started_exactly_once(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("a"))
    await make_plank().reconcile("a")
    executor.set("a", Phase.SUCCEEDED, exit_code=0)
    restarted = make_plank()
    await restarted.reconcile("a")
    await restarted.reconcile("a")
    assert executor.starts == ["a"]
    assert store.get("a").status.state is ProwJobState.SUCCESS
    assert len(executor.collected) == 1


async def test_jobs_of_other_agents_are_left_alone(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    job = make_job("a", type=ProwJobType.PERIODIC)
    job.spec.agent = ProwJobAgent.JENKINS
    await store.create(job)
    await make_plank().reconcile("a")
    assert store.get("a").status.state is ProwJobState.TRIGGERED
    assert executor.starts == []

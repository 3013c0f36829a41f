"""Sinker's passes over the real job store, recording executors and virtual time."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fakes import T0, ClockStopped, VirtualClock
from sinker_fakes import J, RecordingExecutor, periodic

from minprow import sinker
from minprow.config import Config
from minprow.executors.base import ExecutorError, Phase
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob
from minprow.store import JobStore, NotFound, open_store

M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

Load = Callable[[str], Config]


async def put(store: JobStore, now: datetime, *jobs: J) -> None:
    for job in jobs:
        await store.create(job.build(now))


def names(store: JobStore) -> set[str]:
    return {j.metadata.name for j in store.list()}


async def test_a_pass_deletes_old_jobs_and_removes_what_they_left(
    store: JobStore, load: Load
) -> None:
    await put(
        store,
        T0,
        J("old", 8 * D, 8 * D, pending=8 * D),
        J("done", 25 * H, 2 * H, pending=25 * H),
        J("fresh", 2 * H, H, pending=2 * H),
        J("running", 30 * D, pending=30 * D),
        periodic("nightly-1", 9 * D, 9 * D),
        periodic("nightly-2", 8 * D, 8 * D),
    )
    docker = RecordingExecutor("docker").manage("old", "done", "fresh", "ghost", "nightly-2")
    docker.manage("running", phase=Phase.RUNNING)
    report = await sinker.sweep(store, load("defaults"), {"default": docker}, T0)
    assert names(store) == {"done", "fresh", "running", "nightly-2"}
    # The periodic's latest run stays, but not its container.
    assert sorted(docker.cleaned) == ["done", "nightly-2", "old"]
    assert report.deleted == {"aged": 1, "aged-periodic": 1}
    assert report.cleaned == {"aged": 2, "orphaned": 1}
    assert report.errors == 0
    assert report.orphans == {("docker(default)", "ghost")}
    # A true orphan goes in the next pass.
    later = await sinker.sweep(store, load("defaults"), {"default": docker}, T0 + H, report.orphans)
    assert docker.cleaned[3:] == ["ghost"]
    assert later.cleaned == {"orphaned": 1}


async def test_a_job_changed_since_it_was_judged_is_left_alone(
    store: JobStore, load: Load, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minprow.sinker")
    await put(store, T0, J("old", 8 * D, 8 * D), J("gone", 8 * D, 8 * D))
    docker = RecordingExecutor("docker").manage("old", "gone")
    swept = sinker.targets({"default": docker}, [])
    resources = [sinker.Resource(swept[0].key, m) for m in await docker.list_managed()]
    config = load("defaults")
    plan = sinker.plan_cleanup(store.list(), resources, config.sinker, T0, active_periodics=())

    def describe(job: ProwJob) -> ProwJob:
        job.status.description = "reported by crier"
        return job

    await store.mutate("old", describe)  # someone else wrote it meanwhile
    await store.delete("gone")  # and someone else deleted this one
    report = await sinker.apply(store, plan, swept)
    assert names(store) == {"old"}
    assert docker.cleaned == ["gone"]
    assert (report.errors, report.deleted_names) == (0, [])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_an_orphan_whose_job_appeared_meanwhile_is_kept(store: JobStore, load: Load) -> None:
    docker = RecordingExecutor("docker").manage("late", "ghost")
    swept = sinker.targets({"default": docker}, [])
    resources = [sinker.Resource(swept[0].key, m) for m in await docker.list_managed()]
    seen = {("docker(default)", "late"), ("docker(default)", "ghost")}
    plan = sinker.plan_cleanup(
        [], resources, load("defaults").sinker, T0, active_periodics=(), orphans_seen=seen
    )
    assert len(plan.cleanup_resources) == 2
    await put(store, T0, J("late", M, pending=M))
    await sinker.apply(store, plan, swept)
    assert docker.cleaned == ["ghost"]


async def test_one_executor_failing_does_not_stop_the_others(
    store: JobStore, load: Load, caplog: pytest.LogCaptureFixture
) -> None:
    await put(store, T0, J("a", 2 * D, 2 * D), J("b", 2 * D, 2 * D), J("c", 2 * D, 2 * D))
    broken = RecordingExecutor("broken", fail_list=ExecutorError("engine unreachable"))
    stuck = RecordingExecutor("stuck", fail_cleanup={"a": ExecutorError("device busy")})
    stuck.manage("a", "b")
    healthy = RecordingExecutor("healthy").manage("c")
    executors = {"x": broken, "y": stuck, "z": healthy}
    report = await sinker.sweep(store, load("defaults"), executors, T0)
    assert (stuck.cleaned, healthy.cleaned) == (["b"], ["c"])
    assert report.errors == 1
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert "listing what broken(x) manages failed; skipping it this pass" in messages
    assert "removing a's resources from stuck(y) failed" in messages


async def test_an_excluded_cluster_is_never_listed(store: JobStore, load: Load) -> None:
    trusted = RecordingExecutor("trusted", fail_list=AssertionError("listed an excluded cluster"))
    await put(store, T0, J("done", 2 * H, 2 * H))
    docker = RecordingExecutor("docker").manage("done")
    clusters = ClusterMap({"trusted": trusted}, fallback=docker)
    report = await sinker.sweep(store, load("tuned"), clusters, T0)
    assert docker.cleaned == ["done"]
    assert report.errors == 0


async def test_the_loop_cleans_every_resync_period_and_follows_reloads(
    store: JobStore, load: Load
) -> None:
    # Started 22.5h before T0 (max_pod_age 24h): too young at the 1h pass, aged at 2h.
    await put(store, T0, J("done", 22 * H + 30 * M, 22 * H, pending=22 * H + 30 * M))
    clock = VirtualClock(stop_at=T0 + 3 * H)
    docker = RecordingExecutor("docker", clock=clock).manage("done")
    defaults, tuned = load("defaults"), load("tuned")
    current = [defaults]

    def reload(now: datetime) -> None:
        if now >= T0 + 2 * H:
            current[0] = tuned

    clock.on_sleep.append(reload)
    with pytest.raises(ClockStopped):
        await sinker.run(store, lambda: current[0], {"default": docker}, clock)
    assert docker.cleaned_at == [T0 + 2 * H]
    # Passes at 0, 1h, 2h (tuned from here: every 30m), 2h30, 3h; then the clock stops.
    assert clock.sleeps == [3600.0, 3600.0, 1800.0, 1800.0, 1800.0]
    assert names(store) == {"done"}


async def test_orphans_go_a_pass_after_they_are_found_once_they_ended(
    store: JobStore, load: Load
) -> None:
    clock = VirtualClock(stop_at=T0 + 3 * H)
    docker = RecordingExecutor("docker", clock=clock).manage("ghost")
    docker.manage("busy", phase=Phase.RUNNING)

    def busy_ends(now: datetime) -> None:
        if now >= T0 + 90 * M and "busy" in docker.managed:
            docker.managed["busy"] = Phase.SUCCEEDED

    clock.on_sleep.append(busy_ends)
    config = load("defaults")
    with pytest.raises(ClockStopped):
        await sinker.run(store, lambda: config, {"default": docker}, clock)
    assert list(zip(docker.cleaned, docker.cleaned_at, strict=True)) == [
        ("ghost", T0 + H),
        ("busy", T0 + 2 * H),
    ]


async def test_a_failed_pass_is_logged_and_the_next_one_comes(
    store: JobStore, load: Load, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_refresh = store.refresh
    calls: list[int] = []

    async def refresh() -> int:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("database is locked")
        return await real_refresh()

    monkeypatch.setattr(store, "refresh", refresh)
    await put(store, T0, J("done", 2 * D, 2 * D))
    docker = RecordingExecutor("docker").manage("done")
    config = load("defaults")
    clock = VirtualClock(stop_at=T0 + H)
    with pytest.raises(ClockStopped):
        await sinker.run(store, lambda: config, {"default": docker}, clock)
    assert docker.cleaned == ["done"]
    assert any("sinker's pass failed" in r.getMessage() for r in caplog.records)


async def test_removals_are_logged_with_the_jobs_fields(
    store: JobStore, load: Load, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minprow.sinker")
    await put(store, T0, J("old", 8 * D, 8 * D))
    docker = RecordingExecutor("docker").manage("old")
    await sinker.sweep(store, load("defaults"), {"default": docker}, T0)
    records = [r for r in caplog.records if "old" in r.getMessage()]
    assert {r.__dict__["prowjob"] for r in records} == {"old"}
    assert {(r.__dict__["org"], r.__dict__["repo"], r.__dict__["pr"]) for r in records} == {
        ("org", "repo", 7)
    }
    with pytest.raises(NotFound):
        store.get("old")


async def test_a_job_another_process_created_is_no_orphan(load: Load, tmp_path: Path) -> None:
    async with open_store("sqlite", tmp_path) as ours, open_store("sqlite", tmp_path) as theirs:
        await put(theirs, T0, J("theirs", M, pending=M))
        docker = RecordingExecutor("docker").manage("theirs", phase=Phase.RUNNING)
        await sinker.sweep(ours, load("defaults"), {"default": docker}, T0)
        assert docker.cleaned == []

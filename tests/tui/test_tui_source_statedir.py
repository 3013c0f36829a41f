"""StateDirSource (minprow/tui/sources/statedir.py) over a real SQLite state
directory that a second JobStore — another minprow process, as far as the file
knows — writes: following its changes, re-listing after its change log moved on,
rerun and abort written back for its plank, logs from artifacts and host processes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from tuisrc_helpers import WAIT, events, eventually, finish, make_job, read_all

from minprow.aio import SystemClock
from minprow.executors.host import HostExecutor
from minprow.model import ProwJob, ProwJobState
from minprow.podutils import destination_for, gcspaths
from minprow.podutils.render import render
from minprow.store import JobStore, SqliteBackend, open_store
from minprow.tui.source import SourceError
from minprow.tui.sources.statedir import StateDirSource

INTERVAL = 0.05


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[JobStore]:
    """The other process's store on the state directory."""
    async with open_store("sqlite", tmp_path) as store:
        yield store


@pytest.fixture
async def source(writer: JobStore, tmp_path: Path) -> AsyncIterator[StateDirSource]:
    opened = StateDirSource(tmp_path, interval=INTERVAL, user="alice")
    try:
        yield opened
    finally:
        await opened.close()


async def test_follows_what_another_process_writes(
    writer: JobStore, source: StateDirSource
) -> None:
    await writer.create(make_job("before"))
    listed, revision = await source.snapshot()
    assert [j.metadata.name for j in listed] == ["before"]
    assert revision == writer.revision
    feed = source.changes(revision)
    await writer.create(make_job("after"))
    await writer.mutate("before", finish)
    await writer.delete("after")
    got = await events(feed, 3)
    assert [(e.type, e.job.metadata.name) for e in got] == [
        ("ADDED", "after"),
        ("MODIFIED", "before"),
        ("DELETED", "after"),
    ]
    assert got[1].job.status.state is ProwJobState.SUCCESS
    assert [e.revision for e in got] == list(range(revision + 1, revision + 4))


async def test_lists_again_when_the_other_change_log_moved_on(tmp_path: Path) -> None:
    # The other process keeps two changes: the source, a refresh behind, must re-list.
    async with JobStore(SqliteBackend.in_dir(tmp_path, change_log_size=2)) as writer:
        for name in ("a", "b"):
            await writer.create(make_job(name))
        source = StateDirSource(tmp_path, interval=3600)  # refreshed by hand below
        try:
            _, revision = await source.snapshot()
            feed = source.changes(revision)
            for name in ("c", "d", "e"):
                await writer.create(make_job(name))
            await writer.delete("a")
            # Enough writes that the writer compacts its log (it does so every 64).
            for i in range(70):
                await writer.mutate("e", _label(str(i)))
            store = await source._started()
            await store.refresh()
            got = await events(feed, 1 + 4)
        finally:
            await source.close()
    assert [(e.type, e.job.metadata.name) for e in got[:1]] == [("DELETED", "a")]
    assert {e.job.metadata.name for e in got[1:]} == {"b", "c", "d", "e"}
    assert {e.type for e in got[1:]} == {"ADDED"}
    relisted = {e.job.metadata.name: e.job for e in got[1:]}
    assert relisted["e"].metadata.labels["n"] == "69"


def _label(value: str) -> Callable[[ProwJob], ProwJob]:
    def change(pj: ProwJob) -> ProwJob:
        pj.metadata.labels["n"] = value
        return pj

    return change


async def test_refresh_finds_nothing_quickly(writer: JobStore, source: StateDirSource) -> None:
    """The figure behind the half-second refresh: a look that finds nothing is cheap."""
    for i in range(2000):
        await writer.create(make_job(f"j{i:04}"))
    store = await source._started()
    await store.refresh()
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        assert await store.refresh() == 0
    per_refresh = (time.perf_counter() - started) / rounds
    print(f"idle refresh at 2,000 jobs: {per_refresh * 1e6:.0f} us")
    assert per_refresh < 0.005


async def test_rerun_and_abort_are_written_for_the_other_process(
    writer: JobStore, source: StateDirSource
) -> None:
    await writer.create(make_job("busy", state=ProwJobState.PENDING))
    await source.snapshot()
    await eventually(lambda: "busy" in [j.metadata.name for j in writer.list()], "created")
    new_name = await source.rerun("busy")
    await source.abort("busy")
    await writer.refresh()
    rerun = writer.get(new_name)
    assert rerun.spec.job == "job-busy"
    assert rerun.status.state is ProwJobState.TRIGGERED
    assert rerun.status.description == "alice successfully reran busy."
    aborted = writer.get("busy")
    assert aborted.status.state is ProwJobState.ABORTED
    assert aborted.status.description == "Aborted by alice through the TUI."


@pytest.mark.parametrize(
    ("action", "name", "message"),
    [
        ("abort", "done", "already finished"),
        ("abort", "nope", "no such job"),
        ("rerun", "nope", "no such job"),
    ],
    ids=["abort-finished", "abort-unknown", "rerun-unknown"],
)
async def test_refused_actions_say_why(
    writer: JobStore, source: StateDirSource, action: str, name: str, message: str
) -> None:
    await writer.create(make_job("done", state=ProwJobState.SUCCESS))
    await source.snapshot()
    with pytest.raises(SourceError, match=message):
        await (source.abort(name) if action == "abort" else source.rerun(name))


async def test_a_directory_without_a_store_is_a_clear_error(tmp_path: Path) -> None:
    source = StateDirSource(tmp_path / "nothing-here")
    with pytest.raises(SourceError, match=r"prowjobs\.db is missing.*--url"):
        await source.snapshot()
    assert not (tmp_path / "nothing-here").exists()  # looking created nothing


async def test_log_of_a_finished_job_comes_from_the_artifacts(
    writer: JobStore, source: StateDirSource, tmp_path: Path
) -> None:
    pj = await writer.create(make_job("done", state=ProwJobState.FAILURE))
    destination = destination_for(pj, default_dir=tmp_path / "artifacts")
    destination.put_bytes(gcspaths.join(gcspaths.job_path(pj), "build-log.txt"), b"FAIL: x\n")
    await source.snapshot()
    assert await read_all(source.logs("done", follow=True)) == b"FAIL: x\n"


async def test_log_of_a_running_job_follows_the_other_process_host_executor(
    writer: JobStore, source: StateDirSource, tmp_path: Path
) -> None:
    # The other process runs its jobs as host processes under <state>/workspaces/host.
    executor = HostExecutor(tmp_path / "workspaces" / "host", tmp_path / "artifacts", SystemClock())
    pj = await writer.create(
        make_job(
            f"run-{uuid.uuid4().hex[:8]}",
            state=ProwJobState.PENDING,
            script="echo one; sleep 0.3; echo two",
        )
    )
    await executor.start(pj, render(pj))
    try:
        await source.snapshot()
        assert await read_all(source.logs(pj.name, follow=True)) == b"one\ntwo\n"
    finally:
        await executor.cleanup(pj.name)


@pytest.mark.docker
async def test_log_of_a_running_job_follows_the_other_process_container(
    writer: JobStore, source: StateDirSource, tmp_path: Path, busybox_image: str
) -> None:
    # The other process runs its jobs on the local Docker engine: containers
    # labelled for their ProwJob, found again by a second DockerExecutor.
    from minprow.executors.docker import DockerExecutor

    executor = DockerExecutor(
        tmp_path / "workspaces" / "docker", tmp_path / "artifacts", SystemClock()
    )
    pj = await writer.create(
        make_job(
            f"run-{uuid.uuid4().hex[:8]}",
            state=ProwJobState.PENDING,
            script="echo one; sleep 0.5; echo two",
            image=busybox_image,
        )
    )
    await executor.start(pj, render(pj))
    try:
        await source.snapshot()
        assert await read_all(source.logs(pj.name, follow=True)) == b"one\ntwo\n"
    finally:
        await executor.cleanup(pj.name)


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (ProwJobState.PENDING, r"not on this machine.*minprow tui --url"),
        (ProwJobState.SUCCESS, "has no log"),
    ],
    ids=["running-elsewhere", "finished-without-log"],
)
async def test_no_log_is_a_clear_error(
    writer: JobStore, source: StateDirSource, state: ProwJobState, message: str
) -> None:
    await writer.create(make_job("far", state=state, cluster="build01"))
    await source.snapshot()
    with pytest.raises(SourceError, match=message):
        await asyncio.wait_for(read_all(source.logs("far", follow=False)), WAIT)


async def test_clusters_are_those_the_jobs_name(writer: JobStore, source: StateDirSource) -> None:
    await writer.create(make_job("a", cluster="build01"))
    await writer.create(make_job("b"))
    await source.snapshot()
    clusters = await source.clusters()
    assert sorted(clusters) == ["build01", "default"]
    assert all(c["reachable"] and c["executor"] in ("docker", "host") for c in clusters.values())

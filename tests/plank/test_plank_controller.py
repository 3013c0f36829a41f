"""plank.run: the loop picks up new jobs from the change feed, and old ones at start."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from plank_helpers import MakePlank, ScriptedExecutor, make_job

from minprow.executors.base import Phase
from minprow.model import ProwJobState
from minprow.plank import Plank, run
from minprow.store import JobStore


async def _until(store: JobStore, name: str, state: ProwJobState) -> None:
    """Wait (at most 5 s) for the change feed to show `name` in `state`."""

    async def wait() -> None:
        if store.get(name).status.state is state:
            return
        async with store.watch() as watch:
            async for event in watch:
                if event.object.metadata.name == name and event.object.status.state is state:
                    return

    await asyncio.wait_for(wait(), 5)


@contextlib.asynccontextmanager
async def running(plank: Plank) -> AsyncIterator[None]:
    task = asyncio.create_task(run(plank))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
def fast_plank(make_plank: MakePlank) -> Plank:
    plank = make_plank()
    plank.poll_interval = 0.01
    return plank


async def test_the_loop_runs_new_jobs_to_completion(
    store: JobStore, fast_plank: Plank, executor: ScriptedExecutor
) -> None:
    async with running(fast_plank):
        await store.create(make_job("a"))
        await _until(store, "a", ProwJobState.PENDING)
        executor.set("a", Phase.SUCCEEDED, exit_code=0)
        await _until(store, "a", ProwJobState.SUCCESS)
    assert executor.starts == ["a"]


async def test_the_loop_adopts_unfinished_jobs_at_start(
    store: JobStore, fast_plank: Plank, executor: ScriptedExecutor
) -> None:
    await store.create(make_job("waiting"))
    await store.create(make_job("was-running", pull=2))
    await fast_plank.reconcile("was-running")
    executor.set("was-running", Phase.FAILED, exit_code=1)
    async with running(fast_plank):
        await _until(store, "was-running", ProwJobState.FAILURE)
        await _until(store, "waiting", ProwJobState.PENDING)
    assert sorted(executor.starts) == ["waiting", "was-running"]


async def test_a_job_waiting_for_a_slot_starts_when_the_slot_frees(
    store: JobStore, make_plank: MakePlank, executor: ScriptedExecutor
) -> None:
    plank = make_plank(max_concurrency=1)
    plank.poll_interval = 10  # the freed slot must be noticed from the feed, not a poll
    async with running(plank):
        await store.create(make_job("first"))
        await _until(store, "first", ProwJobState.PENDING)
        await store.create(make_job("second", pull=2))
        await asyncio.sleep(0.05)
        assert store.get("second").status.state is ProwJobState.TRIGGERED
        executor.set("first", Phase.SUCCEEDED, exit_code=0)
        await fast_finish(plank, "first")
        await _until(store, "second", ProwJobState.PENDING)


async def fast_finish(plank: Plank, name: str) -> None:
    # The running job's next poll is 10 s away; reconcile it now, as a pod event would.
    await plank.reconcile(name)

"""Guarded tasks restart what fails and stop in the order they were added."""

from __future__ import annotations

import asyncio

import pytest

from minprow.aio import TaskGroup


async def test_a_failing_task_is_restarted_and_logged(caplog: object) -> None:
    runs = 0
    restarted = asyncio.Event()

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs < 3:
            raise RuntimeError(f"boom {runs}")
        restarted.set()
        await asyncio.Event().wait()

    group = TaskGroup()
    task = group.add("flaky", flaky, initial_backoff=0.001, max_backoff=0.001)
    group.start()
    await asyncio.wait_for(restarted.wait(), 5)
    await group.stop()
    assert runs == 3
    assert task.restarts == 2


async def test_tasks_stop_in_the_order_added() -> None:
    stopped: list[str] = []
    running = {name: asyncio.Event() for name in ("hook", "plank", "crier")}

    def component(name: str) -> object:
        async def run() -> None:
            try:
                running[name].set()
                await asyncio.Event().wait()
            finally:
                stopped.append(name)

        return run

    group = TaskGroup()
    for name in running:
        group.add(name, component(name))  # type: ignore[arg-type]
    group.start()
    await asyncio.gather(*(event.wait() for event in running.values()))
    await group.stop()
    assert stopped == ["hook", "plank", "crier"]


async def test_a_task_that_ignores_cancellation_is_abandoned_after_its_timeout() -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def stubborn() -> None:
        entered.set()
        while not release.is_set():
            try:
                await release.wait()
            except asyncio.CancelledError:
                continue  # swallows the cancellation, as a buggy component might

    group = TaskGroup()
    task = group.add("stubborn", stubborn, stop_timeout=0.05)
    group.start()
    await entered.wait()
    await asyncio.wait_for(group.stop(), 5)  # returns although the task is still running
    stuck = [t for t in asyncio.all_tasks() if t.get_name() == task.name]
    assert stuck
    assert not stuck[0].done()
    release.set()
    await asyncio.wait_for(stuck[0], 5)


async def test_a_task_that_keeps_failing_the_same_way_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0
    done = asyncio.Event()

    async def broken() -> None:
        nonlocal runs
        runs += 1
        if runs == 6:
            done.set()
            await asyncio.Event().wait()
        raise RuntimeError("boom" if runs < 4 else "another boom")

    group = TaskGroup()
    group.add("broken", broken, initial_backoff=0.001, max_backoff=0.001)
    group.start()
    await asyncio.wait_for(done.wait(), 5)
    await group.stop()
    logged = [r.exc_info[1] for r in caplog.records if r.exc_info and "failed" in r.message]
    assert [str(e) for e in logged] == ["boom", "another boom"]

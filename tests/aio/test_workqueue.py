"""The work queue: one worker per name at a time, re-queue when dirty, earliest delay wins."""

from __future__ import annotations

import asyncio

from minprow.aio.workqueue import WorkQueue


async def test_a_queued_name_is_queued_once() -> None:
    queue = WorkQueue()
    queue.add("a")
    queue.add("a")
    queue.add("b")
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["a", "b"]


async def test_a_name_added_while_worked_on_comes_back_after_done() -> None:
    queue = WorkQueue()
    queue.add("a")
    name = await queue.get()
    queue.add("a")
    assert len(queue) == 0  # not handed to a second worker meanwhile
    queue.done(name)
    assert await asyncio.wait_for(queue.get(), 1) == "a"


async def test_the_earliest_of_several_delays_wins_and_add_cancels_the_delay() -> None:
    queue = WorkQueue()
    queue.add_after("a", 10)
    queue.add_after("a", 0.01)
    assert await asyncio.wait_for(queue.get(), 1) == "a"
    queue.done("a")
    queue.add_after("b", 0.01)
    queue.add("b")
    assert await asyncio.wait_for(queue.get(), 1) == "b"
    queue.done("b")
    await asyncio.sleep(0.05)
    assert len(queue) == 0  # the cancelled timer did not queue it again
    queue.close()

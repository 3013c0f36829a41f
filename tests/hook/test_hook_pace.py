"""The pacer (minprow.hook.pace): deliveries in hand limited by the event loop's lag."""

from __future__ import annotations

import asyncio
import time

from minprow.hook.pace import Pacer


async def _running(pacer: Pacer) -> asyncio.Task[None]:
    task = asyncio.create_task(pacer.run())
    await asyncio.sleep(0)
    return task


async def test_turns_are_limited_and_handed_out_in_order() -> None:
    pacer = Pacer(4, start=2)
    order: list[int] = []

    async def worker(n: int) -> None:
        await pacer.acquire()
        order.append(n)

    await pacer.acquire()
    await pacer.acquire()
    waiting = [asyncio.create_task(worker(n)) for n in range(3)]
    await asyncio.sleep(0.01)
    assert order == []  # the limit (2) is taken
    for _ in range(3):
        await pacer.release()
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)
    assert order == [0, 1, 2]


async def test_a_lagging_loop_halves_the_limit_and_an_idle_one_grows_it_back() -> None:
    pacer = Pacer(16, start=16)
    task = await _running(pacer)
    try:
        for _ in range(4):
            time.sleep(0.05)  # noqa: ASYNC251 (the loop is busy on purpose: timers fire late)
            await asyncio.sleep(0.03)
        assert pacer.limit < 16
        lowered = pacer.limit
        # Work waits for a turn and the loop keeps up: one more at a time.
        for _ in range(lowered):
            await pacer.acquire()
        for _ in range(100):
            if pacer.limit > lowered:
                break
            await asyncio.sleep(0.03)
        assert pacer.limit > lowered
    finally:
        task.cancel()


async def test_an_idle_limit_does_not_grow() -> None:
    pacer = Pacer(16, start=2)
    task = await _running(pacer)
    try:
        await asyncio.sleep(0.2)
        assert pacer.limit == 2  # nothing waits for a turn: no reason to allow more
    finally:
        task.cancel()

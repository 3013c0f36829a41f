"""How many deliveries the inbox's workers handle at once, paced by the event loop.

Hook's answers and the plugins' handling share one event loop. Handlers that
mostly wait on GitHub can run by the dozen; handlers that keep the loop busy
(a fast GitHub, a burst of work on the CPU) would fill its ready queue, and a
new request's every step would wait behind them: answers slowed to hundreds of
milliseconds at three times the rate the machine sustains, although hook
answers as soon as the delivery is kept.

So the number of deliveries in hand adapts, as TCP's window does, to the loop's
lag (how late a timer fires): halved when the lag passes `target`, grown by one
when it is under half of it, between 1 and `most`. Under I/O-bound work it
stays at `most`; under CPU-bound work it settles where the loop keeps up, and
the backlog waits, in order, in the inbox. The lag is real time (the loop's
clock), as it measures the loop itself, never the injected clock.
"""

from __future__ import annotations

import asyncio

DEFAULT_TARGET = 0.004
"""Seconds of loop lag the pacer steers under. 4 ms, not more: at three times the
sustainable rate (benchmarks/bench_hook.py) a 10 ms target let answers reach a p99
of 122 ms, 4 ms kept it at 80 ms, for the same drain rate."""
_EVERY = 0.025
"""Seconds between two lag samples."""


class Pacer:
    """A limit on deliveries in hand, adapted to the event loop's lag."""

    def __init__(self, most: int, *, target: float = DEFAULT_TARGET, start: int = 8) -> None:
        if most < 1:
            raise ValueError("the pacer must allow at least one delivery at a time")
        self.most = most
        self.limit = min(most, start)
        self.busy = 0
        self.lag = 0.0
        self._target = target
        self._free = asyncio.Condition()

    async def acquire(self) -> None:
        """Wait for a turn (first come, first served)."""
        async with self._free:
            await self._free.wait_for(lambda: self.busy < self.limit)
            self.busy += 1

    async def release(self) -> None:
        async with self._free:
            self.busy -= 1
            self._free.notify()

    async def run(self) -> None:
        """Sample the loop's lag and adapt the limit, until cancelled."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(_EVERY)
            self.lag = max(0.0, loop.time() - before - _EVERY)
            if self.lag > self._target:
                self.limit = max(1, self.limit // 2)
            elif self.lag < self._target / 2 and self.limit < self.most and self.busy >= self.limit:
                # Grow only when the limit is what holds work back.
                async with self._free:
                    self.limit += 1
                    self._free.notify()

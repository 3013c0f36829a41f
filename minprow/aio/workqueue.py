"""A work queue keyed by ProwJob name: one worker per job at a time, parallel across jobs.

Like client-go's rate-limited work queue that Prow's controllers (plank, crier)
run on: adding a name that is queued is a no-op, adding a name that is being
worked on marks it dirty so it is queued again once its worker is done, and
`add_after` delays a name (keeping the earliest of several delays).
"""

from __future__ import annotations

import asyncio


class WorkQueue:
    def __init__(self) -> None:
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._active: set[str] = set()
        self._dirty: set[str] = set()
        self._timers: dict[str, tuple[float, asyncio.TimerHandle]] = {}

    def __len__(self) -> int:
        return len(self._queued)

    @property
    def idle(self) -> bool:
        """Nothing queued, nothing being worked on, nothing waiting on a delay."""
        return not self._queued and not self._active and not self._timers

    def add(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer[1].cancel()
        if name in self._active:
            self._dirty.add(name)
        elif name not in self._queued:
            self._queued.add(name)
            self._ready.put_nowait(name)

    def add_after(self, name: str, delay: float) -> None:
        if delay <= 0:
            self.add(name)
            return
        loop = asyncio.get_running_loop()
        due = loop.time() + delay
        current = self._timers.get(name)
        if current is not None:
            if current[0] <= due:
                return
            current[1].cancel()
        self._timers[name] = (due, loop.call_at(due, self._fire, name))

    def _fire(self, name: str) -> None:
        self._timers.pop(name, None)
        self.add(name)

    async def get(self) -> str:
        name = await self._ready.get()
        self._queued.discard(name)
        self._active.add(name)
        return name

    def done(self, name: str) -> None:
        self._active.discard(name)
        if name in self._dirty:
            self._dirty.discard(name)
            self.add(name)

    def close(self) -> None:
        for _, timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

"""Crier's work queue: ProwJob names, one worker per job at a time, parallel across jobs.

The part of client-go's work queue crier needs (Prow's crier runs on one):
adding a queued name is a no-op, adding a name being worked on marks it dirty
so it is queued again when its worker is done. Delays are crier's own business
(it sleeps on its clock, then adds), so this queue has no timers.
"""

from __future__ import annotations

import asyncio


class JobQueue:
    def __init__(self) -> None:
        self._ready: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._active: set[str] = set()
        self._dirty: set[str] = set()

    @property
    def idle(self) -> bool:
        """Nothing queued and nothing being worked on."""
        return not self._queued and not self._active

    def add(self, name: str) -> None:
        if name in self._active:
            self._dirty.add(name)
        elif name not in self._queued:
            self._queued.add(name)
            self._ready.put_nowait(name)

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

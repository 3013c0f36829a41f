"""The inbox as hook uses it: accepted deliveries, kept durably, handed out oldest first.

`accept` writes a delivery to the backend before hook answers 200 and queues it;
`take` hands the oldest waiting one to a worker; `finish` marks it handled.
What was accepted and not finished when the process stopped is queued again by
`start` (and, with the kube backend, what stopped replicas left by `adopt`).

The queue lives in memory for speed, bodies included, up to `memory_limit`
bytes of payload; past that a newly accepted delivery keeps only its id here
and its payload is read back from the backend when its turn comes, so a long
backlog costs the backend's space, not the process's memory.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from minprow.aio.clock import Clock
from minprow.hook.inbox.backend import REMEMBER_FOR, InboxBackend
from minprow.hook.inbox.entry import InboxEntry

DEFAULT_MEMORY_LIMIT = 64 * 1024 * 1024
"""Bytes of waiting payload kept in memory; the rest is read back when handled."""
CLAIM_AFTER = timedelta(seconds=60)
"""A delivery that waited this long since it was claimed is claimed again before
it is handled: another replica may have adopted it in the meantime (kube)."""


class Inbox:
    """Waiting deliveries in front of an `InboxBackend`; `start` it before use."""

    def __init__(
        self,
        backend: InboxBackend,
        clock: Clock,
        *,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
        remember_for: timedelta = REMEMBER_FOR,
    ) -> None:
        self.backend = backend
        self._clock = clock
        self._memory_limit = memory_limit
        self._remember_for = remember_for
        self._waiting: deque[InboxEntry] = deque()
        self._in_flight: dict[str, InboxEntry] = {}
        self._queued: set[str] = set()
        self._bytes = 0
        self._ready = asyncio.Event()
        self._started = False

    @property
    def started(self) -> bool:
        return self._started

    async def start(self) -> int:
        """Open the backend and queue what it still holds; returns how many (once)."""
        if self._started:
            return 0
        entries = await self.backend.open()
        self._started = True
        return self._queue(entries)

    async def accept(
        self, delivery_id: str, event_type: str, body: bytes, parsed: Any = None
    ) -> InboxEntry | None:
        """Keep a delivery and queue it; None when its id is already known.
        `parsed` is what the caller decoded of it, handed to the worker as is.

        Raises `InboxError` when the backend cannot keep it: then nothing is queued
        and hook must not answer 200."""
        entry = InboxEntry(delivery_id, event_type, body, self._clock.now())
        if not await self.backend.accept(entry):
            return None
        entry.claimed = entry.received
        entry.parsed = parsed
        self._queue([entry])
        return entry

    async def take(self) -> InboxEntry:
        """The oldest waiting delivery, once there is one (see `load`)."""
        while not self._waiting:
            self._ready.clear()
            await self._ready.wait()
        entry = self._waiting.popleft()
        self._queued.discard(entry.delivery_id)
        self._in_flight[entry.delivery_id] = entry
        if entry.body is not None:
            self._bytes -= len(entry.body)
        return entry

    async def load(self, entry: InboxEntry) -> bytes:
        """A taken delivery's payload, read back from the backend if it was not
        kept in memory (`InboxError` when it cannot be)."""
        if entry.body is None:
            entry.body = await self.backend.load(entry.delivery_id)
        return entry.body

    async def claim(self, entry: InboxEntry) -> bool:
        """Before handling: True when `entry` is still this process's to handle."""
        claimed = entry.claimed or entry.received
        if self._clock.now() - claimed < CLAIM_AFTER:
            return True
        return await self.backend.claim(entry)

    async def progress(self, entry: InboxEntry, call: str) -> None:
        """One handler call (its `call_key`) has run."""
        entry.done = entry.done | {call}
        await self.backend.progress(entry.delivery_id, entry.done)

    async def finish(self, entry: InboxEntry) -> None:
        """Handled (or given up): never replayed again."""
        try:
            await self.backend.finish(entry.delivery_id)
        finally:
            self.drop(entry)

    def drop(self, entry: InboxEntry) -> None:
        """Forget `entry` here without finishing it (another replica has it, or the
        process is stopping: it stays unfinished in the backend)."""
        self._in_flight.pop(entry.delivery_id, None)
        entry.body = entry.parsed = None

    def retry_later(self, entry: InboxEntry, delay: float) -> None:
        """Queue `entry` again in `delay` seconds (its handling failed for a reason
        that may pass, such as the backend being unreachable)."""
        self._in_flight.pop(entry.delivery_id, None)
        entry.body = entry.parsed = None  # read back from the backend then
        asyncio.get_running_loop().call_later(delay, self._queue, [entry])

    async def adopt(self) -> int:
        """Queue what stopped replicas left unfinished; returns how many."""
        return self._queue(await self.backend.adopt(self._clock.now()))

    async def prune(self) -> int:
        """Forget finished deliveries older than `remember_for`."""
        return await self.backend.prune(self._clock.now() - self._remember_for)

    @property
    def depth(self) -> int:
        """Deliveries accepted and not yet finished (waiting or being handled)."""
        return len(self._waiting) + len(self._in_flight)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def oldest(self) -> datetime | None:
        """When the oldest unfinished delivery was received, if any."""
        times = [e.received for e in self._in_flight.values()]
        if self._waiting:
            times.append(self._waiting[0].received)
        return min(times, default=None)

    def oldest_age(self) -> float:
        """Seconds the oldest unfinished delivery has waited (0 when none)."""
        oldest = self.oldest()
        return 0.0 if oldest is None else (self._clock.now() - oldest).total_seconds()

    async def close(self) -> None:
        self._started = False
        await self.backend.close()

    def _queue(self, entries: list[InboxEntry]) -> int:
        added = 0
        for entry in entries:
            if entry.delivery_id in self._queued or entry.delivery_id in self._in_flight:
                continue
            if entry.body is not None:
                if self._bytes + len(entry.body) > self._memory_limit:
                    entry.body = entry.parsed = None  # read back when its turn comes
                else:
                    self._bytes += len(entry.body)
            self._waiting.append(entry)
            self._queued.add(entry.delivery_id)
            added += 1
        if added:
            self._ready.set()
        return added

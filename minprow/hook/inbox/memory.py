"""The inbox kept in memory: for tests and `--store memory`, where nothing survives anyway.

Finished delivery ids are remembered in a bounded LRU, so memory stays flat
however long the process runs.
"""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime

from minprow.hook.inbox.entry import InboxEntry

DEFAULT_REMEMBERED = 10_000


class MemoryInbox:
    """Deliveries in a dict; the last `remembered` finished ids kept for de-duplication."""

    where = "memory (not kept across restarts)"

    def __init__(self, remembered: int = DEFAULT_REMEMBERED) -> None:
        if remembered < 1:
            raise ValueError("the inbox must remember at least one delivery")
        self._remembered = remembered
        self._pending: dict[str, InboxEntry] = {}
        self._finished: OrderedDict[str, datetime] = OrderedDict()

    async def open(self) -> list[InboxEntry]:
        entries = sorted(self._pending.values(), key=lambda e: e.received)
        for entry in entries:
            entry.replayed = True
        return entries

    async def accept(self, entry: InboxEntry) -> bool:
        if entry.delivery_id in self._pending or entry.delivery_id in self._finished:
            return False
        self._pending[entry.delivery_id] = InboxEntry(
            entry.delivery_id, entry.event_type, entry.body, entry.received, entry.done
        )
        return True

    async def progress(self, delivery_id: str, done: frozenset[str]) -> None:
        entry = self._pending.get(delivery_id)
        if entry is not None:
            entry.done = done

    async def finish(self, delivery_id: str) -> None:
        entry = self._pending.pop(delivery_id, None)
        if entry is None:
            return
        self._finished[delivery_id] = entry.received
        while len(self._finished) > self._remembered:
            self._finished.popitem(last=False)

    async def load(self, delivery_id: str) -> bytes:
        entry = self._pending.get(delivery_id)
        if entry is None or entry.body is None:
            raise KeyError(delivery_id)
        return entry.body

    async def claim(self, entry: InboxEntry) -> bool:
        return entry.delivery_id in self._pending

    async def adopt(self, now: datetime) -> list[InboxEntry]:
        return []

    async def prune(self, before: datetime) -> int:
        old = [d for d, received in self._finished.items() if received < before]
        for delivery_id in old:
            del self._finished[delivery_id]
        return len(old)

    async def close(self) -> None:
        return None

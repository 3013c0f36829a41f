"""One watcher of the JobStore's change feed: a bounded queue and its iterator.

It follows a Kubernetes watch: events come in revision order, a watch may start
from an older revision (replayed from the backend's change log), and a watcher
that falls too far behind is not allowed to hold writers back or grow without
bound: its queue is dropped and it gets `WatchExpired` (410 Gone), after which the
caller lists again and watches from the store's current revision.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType

from minprow.store.errors import WatchExpired
from minprow.store.events import WatchEvent

Replay = Callable[[int], Awaitable[list[WatchEvent]]]


class Watch:
    """An async iterator of `WatchEvent`s; close it (or use `async with`) when done.

    Events up to the revision the watch was created at come from the backend's
    change log (when `since` is older); later ones from a bounded live queue.
    """

    def __init__(
        self,
        *,
        since: int | None,
        upto: int,
        replay: Replay,
        queue_size: int,
        on_close: Callable[[Watch], None],
    ) -> None:
        self._since = since if since is not None else upto
        self._upto = upto
        self._replay = replay
        self._replaying = since is not None and since < upto
        self._backlog: deque[WatchEvent] = deque()
        self._queue: deque[WatchEvent] = deque()
        self._queue_size = queue_size
        self._wake = asyncio.Event()
        self._expired: str | None = None
        self._ended = False
        self._on_close = on_close

    def publish(self, event: WatchEvent) -> None:
        """Queue a live event (called by the store, never blocks)."""
        if self._ended or self._expired is not None or event.revision <= self._since:
            return
        if len(self._queue) >= self._queue_size:
            self.expire(
                f"watcher fell {self._queue_size} events behind at revision {event.revision}; "
                "list again and watch from the store's revision"
            )
            return
        self._queue.append(event)
        self._wake.set()

    def expire(self, reason: str) -> None:
        """Drop what is queued; the consumer gets `WatchExpired(reason)` next."""
        self._queue.clear()
        self._backlog.clear()
        self._expired = reason
        self._wake.set()
        self._on_close(self)

    def end(self) -> None:
        """Finish the iteration after what is already queued (the store is closing)."""
        self._ended = True
        self._wake.set()

    def close(self) -> None:
        self._queue.clear()
        self._backlog.clear()
        self.end()
        self._on_close(self)

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> WatchEvent:
        if self._replaying:
            self._replaying = False
            events = await self._replay(self._since)
            self._backlog.extend(e for e in events if self._since < e.revision <= self._upto)
        while True:
            if self._expired is not None:
                raise WatchExpired(self._expired)
            if self._backlog:
                return self._backlog.popleft()
            if self._queue:
                return self._queue.popleft()
            if self._ended:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""One watcher of the JobStore's change feed: a bounded queue and its iterator.

It follows a Kubernetes watch: events come in revision order, each exactly once,
and a watch may start from an older revision (replayed from the backend's change
log). A watcher that falls behind never holds writers back nor grows without
bound: once its live queue is full it stops queueing and is marked lagging; when
its consumer has read what was queued, the rest is replayed from the backend's
change log (etcd's history, for a Kubernetes watch cache that fell behind) and
the watch goes on live. Only when that log no longer reaches back does the
consumer get `WatchExpired` (410 Gone) and list again.

Issue 14 is why: at 600 webhooks a second an HTTP watcher overflowed a 1024-event
queue three times in ten seconds, and each expiry cost its client a full re-list.
The queue is kept, not dropped, on overflow: what it holds is already decoded and
contiguous, so the replay only has to fetch (and decode) what came after it.
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
    change log (when `since` is older); later ones from a bounded live queue, and
    from the change log again whenever that queue overflowed.
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
        self._last = since if since is not None else upto
        """The revision of the last event yielded (or the one the watch starts after)."""
        self._head = upto
        """The newest revision the store has applied: a replay goes no further, so a
        consumer never sees a change before the store's cache has it."""
        self._replay = replay
        self._lagging = since is not None and since < upto
        """Events after the queue's were not queued: read them from the change log."""
        self._backlog: deque[WatchEvent] = deque()
        self._queue: deque[WatchEvent] = deque()
        self._queue_size = queue_size
        self._wake = asyncio.Event()
        self._expired: str | None = None
        self._ended = False
        self._on_close = on_close

    def publish(self, event: WatchEvent) -> None:
        """Queue a live event (called by the store in revision order; O(1), never blocks)."""
        if self._ended or self._expired is not None:
            return
        self._head = event.revision
        if self._lagging:
            return
        if len(self._queue) >= self._queue_size:
            self._lagging = True
        else:
            self._queue.append(event)
        self._wake.set()

    def ready(self, limit: int) -> list[WatchEvent]:
        """Up to `limit` events at hand now, without waiting (the next read may wait,
        replay, raise or end; take it with `anext`)."""
        taken: list[WatchEvent] = []
        while len(taken) < limit and (event := self._take()) is not None:
            taken.append(event)
        return taken

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
        while True:
            if self._expired is not None:
                raise WatchExpired(self._expired)
            event = self._take()
            if event is not None:
                return event
            if self._ended:
                # Not replayed: the store (and its backend) is closing; a client
                # resumes from the last revision it got.
                raise StopAsyncIteration
            if self._lagging:
                await self._catch_up()
                continue
            self._wake.clear()
            await self._wake.wait()

    def _take(self) -> WatchEvent | None:
        """The next event after the last one yielded: replayed ones first, then live."""
        if self._expired is not None:
            return None
        for source in (self._backlog, self._queue):
            while source:
                event = source.popleft()
                # A replay and the live queue overlap around the time it was read.
                if event.revision > self._last:
                    self._last = event.revision
                    return event
        return None

    async def _catch_up(self) -> None:
        """Replay what the queue missed; live events queue again from now on."""
        # Cleared before reading the log: an event the read misses is queued.
        self._lagging = False
        try:
            events = await self._replay(self._last)
        except WatchExpired as expired:
            if self._expired is None and not self._ended:
                self.expire(str(expired))
            return
        last, head = self._last, self._head
        self._backlog.extend(e for e in events if last < e.revision <= head)

    async def __aenter__(self) -> Watch:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

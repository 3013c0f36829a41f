"""A JobStore's change feed as the TUI's JobEvents, for the two sources that hold one.

Both the in-process and the state-directory sources follow a JobStore; when the
store cannot resume the app's watch (`WatchExpired`: it fell behind past the
backend's change log, or the store re-listed) the feed lists again: DELETED for the jobs that went meanwhile (or the table would keep them),
ADDED for every job there is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from minprow.model import ProwJob
from minprow.store import EventType, JobStore, WatchExpired
from minprow.tui.source import JobEvent, event_kind


async def follow_store(
    store: JobStore, since: int, known: dict[str, ProwJob]
) -> AsyncIterator[JobEvent]:
    """`store`'s changes after `since`; `known` is what the app has (updated here).

    Ends when the store closes its feed; other StoreErrors reach the caller."""
    while True:
        try:
            async with store.watch(since) as watch:
                async for event in watch:
                    name = event.object.metadata.name
                    if event.type is EventType.DELETED:
                        known.pop(name, None)
                    else:
                        known[name] = event.object
                    yield JobEvent(event_kind(event.type), event.object, event.revision)
            return
        except WatchExpired:
            since = store.revision
            fresh = {job.metadata.name: job for job in store.list()}
            for name in known.keys() - fresh.keys():
                yield JobEvent("DELETED", known[name], since)
            known.clear()
            known.update(fresh)
            for job in fresh.values():
                yield JobEvent("ADDED", job, since)

"""The JobStore contract, part 2: the change feed, on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from minprow.model import ProwJob, ProwJobState
from minprow.store import (
    Backend,
    EventType,
    JobStore,
    StoreError,
    Watch,
    WatchEvent,
    WatchExpired,
    copy_job,
)

BackendFactory = Callable[..., Backend]
MakeJob = Callable[..., ProwJob]


async def _take(watch: Watch, count: int) -> list[WatchEvent]:
    return [await anext(watch) for _ in range(count)]


async def _lifecycle(store: JobStore, make_job: MakeJob, name: str) -> None:
    """ADDED, MODIFIED, DELETED for one job."""
    stored = await store.create(make_job(name))
    draft = copy_job(stored)
    draft.status.state = ProwJobState.PENDING
    await store.update(draft)
    await store.delete(name)


def _summary(events: list[WatchEvent]) -> list[tuple[EventType, str, int]]:
    return [(e.type, e.object.metadata.name, e.revision) for e in events]


async def test_watch_delivers_every_change_in_revision_order(
    store: JobStore, make_job: MakeJob
) -> None:
    watch = store.watch()
    await _lifecycle(store, make_job, "a")

    events = await _take(watch, 3)

    assert [(e.type, e.object.metadata.name) for e in events] == [
        (EventType.ADDED, "a"),
        (EventType.MODIFIED, "a"),
        (EventType.DELETED, "a"),
    ]
    assert [e.revision for e in events] == [1, 2, 3]
    assert [e.object.metadata.resource_version for e in events] == ["1", "2", "3"]
    assert events[1].object.status.state is ProwJobState.PENDING
    assert events[2].object.status.state is ProwJobState.PENDING  # the last state
    watch.close()


async def test_watch_since_replays_then_continues_live(store: JobStore, make_job: MakeJob) -> None:
    await _lifecycle(store, make_job, "a")  # revisions 1..3
    await store.create(make_job("b"))  # 4

    watch = store.watch(since=2)
    await store.create(make_job("c"))  # 5, after the watch began

    events = await _take(watch, 3)
    assert _summary(events) == [
        (EventType.DELETED, "a", 3),
        (EventType.ADDED, "b", 4),
        (EventType.ADDED, "c", 5),
    ]
    watch.close()


async def test_watch_since_the_current_revision_is_live_only(
    store: JobStore, make_job: MakeJob
) -> None:
    await store.create(make_job("a"))
    async with store.watch(since=store.revision) as watch:
        await store.create(make_job("b"))
        assert _summary(await _take(watch, 1)) == [(EventType.ADDED, "b", 2)]


async def test_several_watchers_each_get_every_event(store: JobStore, make_job: MakeJob) -> None:
    watches = [store.watch() for _ in range(3)]
    await _lifecycle(store, make_job, "a")
    await store.create(make_job("b"))

    results = await asyncio.gather(*(_take(w, 4) for w in watches))

    expected = _summary(results[0])
    assert [r for _, _, r in expected] == [1, 2, 3, 4]
    assert all(_summary(r) == expected for r in results)
    for watch in watches:
        watch.close()


async def test_concurrent_consumers_see_events_as_they_happen(
    store: JobStore, make_job: MakeJob
) -> None:
    watch = store.watch()
    received: asyncio.Queue[WatchEvent] = asyncio.Queue()

    async def consume() -> None:
        async for event in watch:
            await received.put(event)

    consumer = asyncio.create_task(consume())
    await store.create(make_job("a"))
    assert (await received.get()).object.metadata.name == "a"
    await store.create(make_job("b"))
    assert (await received.get()).object.metadata.name == "b"

    await store.close()  # ends the watch
    await consumer


async def test_slow_watcher_expires_without_blocking_writers(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with JobStore(backend_factory(), watch_queue_size=3) as store:
        slow = store.watch()
        fast = store.watch()
        fast_events: list[WatchEvent] = []
        for i in range(5):
            await store.create(make_job(f"job-{i}"))  # never waits for `slow`
            fast_events.append(await anext(fast))

        with pytest.raises(WatchExpired, match="fell 3 events behind"):
            await anext(slow)
        with pytest.raises(WatchExpired):
            await anext(slow)  # it stays expired: the caller must list again

        await store.create(make_job("job-5"))  # and the expired watcher holds nothing
        assert (await anext(fast)).revision == 6
        assert [e.revision for e in fast_events] == [1, 2, 3, 4, 5]
        fast.close()


async def test_watch_from_a_compacted_revision_expires(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with JobStore(backend_factory(change_log_size=5)) as store:
        for i in range(130):
            await store.create(make_job(f"job-{i}"))

        with pytest.raises(WatchExpired, match="compacted"):
            await anext(store.watch(since=1))

        recent = store.watch(since=store.revision - 2)
        assert [e.revision for e in await _take(recent, 2)] == [129, 130]
        recent.close()


async def test_closing_the_store_ends_watches(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    store = JobStore(backend_factory())
    await store.start()
    watch = store.watch()
    await store.create(make_job("a"))
    await store.close()

    assert [e.object.metadata.name async for e in watch] == ["a"]  # queued events first
    with pytest.raises(StoreError, match="not started"):
        store.watch()

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


@pytest.mark.parametrize(
    ("since", "before", "between"),
    [
        (None, 4, 0),
        (None, 40, 0),
        (None, 10, 25),
        (2, 30, 0),
    ],
    ids=["one-over", "far-behind", "behind-again-while-reading", "replay-from-since-overflows"],
)
async def test_a_slow_watcher_catches_up_from_the_change_log(
    backend_factory: BackendFactory, make_job: MakeJob, since: int | None, before: int, between: int
) -> None:
    # Its queue holds 3 events; the rest is replayed from the backend's log, then live.
    async with JobStore(backend_factory(), watch_queue_size=3) as store:
        for i in range(3):
            await store.create(make_job(f"old-{i}"))
        start = store.revision if since is None else since
        slow = store.watch(since)
        fast = store.watch()
        fast_events: list[WatchEvent] = []
        for i in range(before):
            await store.create(make_job(f"job-{i}"))  # never waits for `slow`
            fast_events.append(await anext(fast))
        got = await _take(slow, min(5, store.revision - start))
        for i in range(between):
            draft = copy_job(store.get(f"job-{i % before}"))
            draft.status.state = ProwJobState.PENDING
            await store.update(draft)
        got += await _take(slow, store.revision - start - len(got))

        await store.create(make_job("live"))  # then it goes on live
        got.append(await anext(slow))

        assert [e.revision for e in got] == list(range(start + 1, store.revision + 1))
        assert [e.revision for e in fast_events] == list(range(4, 4 + before))
        assert got[-1].object.metadata.name == "live"
        assert slow.ready(10) == []  # nothing twice
        slow.close()
        fast.close()


async def test_a_watcher_racing_the_writers_sees_each_revision_once_in_order(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    # Writes land while the watcher drains its queue and while it replays the log.
    async with JobStore(backend_factory(), watch_queue_size=2) as store:
        watch = store.watch()

        async def write() -> None:
            for i in range(60):
                stored = await store.create(make_job(f"job-{i}"))
                draft = copy_job(stored)
                draft.status.state = ProwJobState.PENDING
                await store.update(draft)
                if i % 3 == 0:
                    await asyncio.sleep(0)

        writer = asyncio.create_task(write())
        got = await _take(watch, 120)
        await writer
        assert [e.revision for e in got] == list(range(1, 121))
        assert [(e.type, e.object.metadata.name) for e in got[:2]] == [
            (EventType.ADDED, "job-0"),
            (EventType.MODIFIED, "job-0"),
        ]
        watch.close()


async def test_a_watcher_behind_the_change_log_expires(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with JobStore(backend_factory(change_log_size=5), watch_queue_size=3) as store:
        slow = store.watch()
        for i in range(130):
            await store.create(make_job(f"job-{i}"))

        assert [e.revision for e in await _take(slow, 3)] == [1, 2, 3]  # what it queued
        with pytest.raises(WatchExpired, match="compacted"):
            await anext(slow)
        with pytest.raises(WatchExpired):
            await anext(slow)  # it stays expired: the caller must list again
        assert slow not in store._watchers  # and holds nothing


async def test_ready_takes_what_is_at_hand_without_waiting(
    store: JobStore, make_job: MakeJob
) -> None:
    async with store.watch() as watch:
        assert watch.ready(10) == []
        for name in ("a", "b", "c"):
            await store.create(make_job(name))
        assert [e.revision for e in watch.ready(2)] == [1, 2]
        assert [e.revision for e in watch.ready(10)] == [3]
        await store.create(make_job("d"))
        assert (await anext(watch)).revision == 4


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

"""InProcessSource over a real JobStore: the change feed, and its re-list after the
app fell behind both the store's bounded watch queue and its backend's change log
(deletions included)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tuiapp_jobs import SPECS, Spec, jobs, m, make_job

from minprow.config import Config
from minprow.model import ProwJobState, ProwJobType
from minprow.store import JobStore, MemoryBackend
from minprow.tui.source import JobEvent, SourceError
from minprow.tui.sources.inprocess import InProcessSource


def spec(name: str) -> Spec:
    return Spec(name, "pull-x", ProwJobType.PRESUBMIT, ProwJobState.TRIGGERED, started_ago=m(0))


async def test_changes_follow_the_store(tmp_path: Path) -> None:
    async with JobStore(MemoryBackend()) as store:
        for job in jobs():
            await store.create(job)
        source = InProcessSource(store, None, Config, tmp_path)
        listed, revision = await source.snapshot()
        assert sorted(job.metadata.name for job in listed) == [s.name for s in SPECS]
        feed = source.changes(revision)
        await store.create(make_job(spec("n1")))
        await store.delete("j01")
        first, second = await anext(feed), await anext(feed)
        assert (first.type, first.job.metadata.name) == ("ADDED", "n1")
        assert (second.type, second.job.metadata.name) == ("DELETED", "j01")
        assert second.revision > first.revision > revision


async def test_a_feed_that_fell_behind_lists_again_with_deletions(tmp_path: Path) -> None:
    # The queue holds 4 events, the change log 4 changes: the store cannot resume it.
    async with JobStore(MemoryBackend(change_log_size=4), watch_queue_size=4) as store:
        for job in jobs():
            await store.create(job)
        source = InProcessSource(store, None, Config, tmp_path)
        _, revision = await source.snapshot()
        feed = source.changes(revision)
        await store.create(make_job(spec("n0")))
        assert (await anext(feed)).job.metadata.name == "n0"
        # Ten writes while the reader sleeps: more than its queue and the log hold.
        for i in range(1, 6):
            await store.create(make_job(spec(f"n{i}")))
        for name in ("j01", "j02", "n1", "n2", "n3"):
            await store.delete(name)
        events: list[JobEvent] = []

        def relisted() -> int:
            return sum(e.type == "ADDED" and e.revision == store.revision for e in events)

        async with asyncio.timeout(5):
            while relisted() < len(store):
                events.append(await anext(feed))
        queued = [e.job.metadata.name for e in events if e.revision < store.revision]
        listed = [e for e in events if e.revision == store.revision]
        assert queued == ["n1", "n2", "n3", "n4"]  # what its queue held comes first
        deleted = {e.job.metadata.name for e in listed if e.type == "DELETED"}
        added = {e.job.metadata.name for e in listed if e.type == "ADDED"}
        assert deleted == {"j01", "j02", "n1", "n2", "n3"}
        assert added == {job.metadata.name for job in store.list()}


async def test_a_closed_store_ends_the_feed_then_refuses_it(tmp_path: Path) -> None:
    store = JobStore(MemoryBackend())
    await store.start()
    source = InProcessSource(store, None, Config, tmp_path)
    _, revision = await source.snapshot()
    feed = source.changes(revision)
    reading = asyncio.ensure_future(anext(feed))
    await asyncio.sleep(0)
    await store.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(reading, timeout=5)
    # What the app does next: follow again, from a store that is gone.
    with pytest.raises(SourceError, match="not started"):
        await anext(source.changes(revision))

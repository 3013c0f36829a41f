"""The JobStore contract, part 3: optimistic concurrency and a second store on the
same state (another process, for sqlite), on every backend."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minprow.model import ProwJob, ProwJobState
from minprow.store import (
    Backend,
    Conflict,
    EventType,
    JobStore,
    WatchEvent,
    WatchExpired,
    copy_job,
)

BackendFactory = Callable[..., Backend]
MakeJob = Callable[..., ProwJob]


class _RacingBackend:
    """Wraps a backend; before each of the first `races` updates, another writer
    updates the same job first, so the caller's resourceVersion goes stale."""

    def __init__(self, inner: Backend, races: int) -> None:
        self.inner = inner
        self.races = races

    async def open(self) -> tuple[list[ProwJob], int]:
        return await self.inner.open()

    async def create(self, job: ProwJob) -> ProwJob:
        return await self.inner.create(job)

    async def update(self, job: ProwJob) -> ProwJob:
        if self.races > 0:
            self.races -= 1
            current = next(j for j in (await self.inner.open())[0] if j.name == job.name)
            rival = copy_job(current)
            rival.metadata.labels["rival"] = str(self.races)
            await self.inner.update(rival)
        return await self.inner.update(job)

    async def delete(self, name: str, resource_version: str | None = None) -> ProwJob:
        return await self.inner.delete(name, resource_version)

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        return await self.inner.changes_since(revision)

    async def close(self) -> None:
        await self.inner.close()


def _set_pending(job: ProwJob) -> ProwJob:
    job.status.state = ProwJobState.PENDING
    return job


async def test_mutate_retries_on_a_conflicting_writer(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    racing = _RacingBackend(backend_factory(), races=2)
    async with JobStore(racing) as store:
        await store.create(make_job("a"))
        watch = store.watch()
        calls: list[str | None] = []

        def fn(job: ProwJob) -> ProwJob:
            calls.append(job.metadata.resource_version)
            return _set_pending(job)

        result = await store.mutate("a", fn)

        assert len(calls) == 3  # two conflicts, then success
        versions = [int(v or 0) for v in calls]
        assert versions == sorted(set(versions))  # each retry re-read a newer version
        assert result.status.state is ProwJobState.PENDING
        assert result.metadata.labels["rival"] == "0"  # the rival's write is kept
        assert store.get("a") == result
        events = [await anext(watch) for _ in range(3)]  # rival, rival, ours: in order
        assert [e.revision for e in events] == [2, 3, 4]
        watch.close()


async def test_mutate_gives_up_after_its_retries(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with JobStore(_RacingBackend(backend_factory(), races=10)) as store:
        await store.create(make_job("a"))
        with pytest.raises(Conflict):
            await store.mutate("a", _set_pending, retries=2)


async def test_mutate_without_change_writes_nothing(store: JobStore, make_job: MakeJob) -> None:
    stored = await store.create(make_job("a"))
    revision = store.revision

    assert await store.mutate("a", lambda job: None) is stored
    assert store.revision == revision


async def test_second_store_follows_the_first(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with (
        JobStore(backend_factory()) as leader,
        JobStore(backend_factory()) as follower,
    ):
        watch = follower.watch()
        await leader.create(make_job("a"))
        await leader.create(make_job("b"))
        await leader.mutate("a", _set_pending)
        await leader.delete("b")

        assert await follower.refresh() == 4
        assert follower.revision == leader.revision
        assert follower.get("a") == leader.get("a")
        assert [j.metadata.name for j in follower.list(state=ProwJobState.PENDING)] == ["a"]
        assert follower.list(state=ProwJobState.TRIGGERED) == []
        events = [await anext(watch) for _ in range(4)]
        assert [(e.type, e.object.metadata.name) for e in events] == [
            (EventType.ADDED, "a"),
            (EventType.ADDED, "b"),
            (EventType.MODIFIED, "a"),
            (EventType.DELETED, "b"),
        ]
        assert await follower.refresh() == 0
        watch.close()


async def test_two_writers_keep_each_feed_in_revision_order(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with JobStore(backend_factory()) as one, JobStore(backend_factory()) as two:
        watch = two.watch()
        await one.create(make_job("a"))  # revision 1, unknown to `two`
        await two.create(make_job("b"))  # revision 2: `two` takes 1 in first

        events = [await anext(watch) for _ in range(2)]
        assert [(e.object.metadata.name, e.revision) for e in events] == [("a", 1), ("b", 2)]
        assert {j.metadata.name for j in two.list()} == {"a", "b"}

        stale = copy_job(one.get("a"))
        await two.mutate("a", _set_pending)
        with pytest.raises(Conflict):
            await one.update(_set_pending(stale))
        # mutate in `one` re-reads through refresh and succeeds.
        result = await one.mutate("a", _set_pending)
        assert result.metadata.resource_version == str(one.revision)
        watch.close()


async def test_follower_behind_the_change_log_lists_again(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    async with (
        JobStore(backend_factory(change_log_size=5)) as leader,
        JobStore(backend_factory(change_log_size=5)) as follower,
    ):
        watch = follower.watch()
        for i in range(130):
            await leader.create(make_job(f"job-{i}"))
        await leader.delete("job-0")

        assert await follower.refresh() == 129  # a full list
        assert len(follower) == 129
        assert follower.revision == leader.revision
        with pytest.raises(WatchExpired, match="re-listed"):
            await anext(watch)

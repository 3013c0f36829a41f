"""Test parts for the TUI screens: a JobSource over a real JobStore, and a host app.

`StoreSource` is the smallest honest JobSource: reads and the change feed come
from a real `minprow.store` JobStore (memory backend), rerun and abort write
to it as the API does (`pjutil.rerun`, a mutate to `aborted`), logs come from
an async generator the test supplies per job, and cluster health from a dict
the test sets. `ScreenHost` is an empty app that pushes the screen under test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Static

from minprow import pjutil
from minprow.model import ProwJob, ProwJobState
from minprow.store import JobStore, NotFound, open_store
from minprow.tui.source import JobEvent, SourceError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "tui"

LogFeed = Callable[[bool], AsyncIterator[bytes]]


def load_job(name: str) -> ProwJob:
    """A ProwJob from fixtures/tui/<name>.json."""
    return ProwJob.from_json((FIXTURES / f"{name}.json").read_text())


class StoreSource:
    """A JobSource over a started JobStore."""

    def __init__(
        self,
        store: JobStore,
        *,
        logs: dict[str, LogFeed] | None = None,
        clusters: dict[str, dict[str, Any]] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.log_feeds = logs or {}
        self.health = clusters or {}
        self.now = now
        self.cluster_calls = 0
        self.idle_notice: str | None = None
        """What `idle()` answers: set it to play a state dir nothing runs."""

    @property
    def description(self) -> str:
        return "test store"

    async def snapshot(self) -> tuple[list[ProwJob], int]:
        return self.store.list(), self.store.revision

    async def changes(self, since: int) -> AsyncIterator[JobEvent]:
        async with self.store.watch(since) as watch:
            async for event in watch:
                yield JobEvent(str(event.type), event.object, event.revision)  # type: ignore[arg-type]

    async def logs(self, name: str, *, follow: bool) -> AsyncIterator[bytes]:
        feed = self.log_feeds.get(name)
        if feed is None:
            raise SourceError(f"no log for {name}")
        async for chunk in feed(follow):
            yield chunk

    async def rerun(self, name: str) -> str:
        try:
            old = self.store.get(name)
        except NotFound as err:
            raise SourceError(str(err)) from err
        created = await self.store.create(pjutil.rerun(old, now=self.now(), user="tui"))
        return created.metadata.name

    async def abort(self, name: str) -> None:
        def mark(job: ProwJob) -> ProwJob | None:
            if job.status.state.is_final:
                return None
            job.status.state = ProwJobState.ABORTED
            job.status.description = "Aborted by tui through the API."
            return job

        await self.store.mutate(name, mark)

    def idle(self) -> str | None:
        return self.idle_notice

    async def clusters(self) -> dict[str, dict[str, Any]]:
        self.cluster_calls += 1
        return dict(self.health)

    async def close(self) -> None:
        return None


async def until(pilot: Pilot[Any], done: Callable[[], bool], *, tries: int = 500) -> None:
    """Let the app run until `done()` holds: bounded polling, never a timing assert."""
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError(f"still not done after {tries} pauses")


class ScreenHost(App[None]):
    """An app that shows nothing but a placeholder, then pushes `screen`; what the
    screen is dismissed with lands in `results`."""

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.first = screen
        self.results: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.first, callback=self.results.append)


class StoreHost(App[None]):
    """An app that starts a memory JobStore holding `jobs`, wraps it in a
    StoreSource and pushes the screen `make(source)` builds: for snapshots,
    where the app, not the test, owns the loop."""

    def __init__(
        self,
        make: Callable[[StoreSource], Screen[Any]],
        jobs: list[ProwJob],
        **source: Any,
    ) -> None:
        super().__init__()
        self.make = make
        self.jobs = jobs
        self.source_args = source
        self.store = open_store("memory")

    def compose(self) -> ComposeResult:
        yield Static("host")

    async def on_mount(self) -> None:
        await self.store.start()
        for job in self.jobs:
            job = job.model_copy(deep=True)
            job.metadata.resource_version = None
            await self.store.create(job)
        await self.push_screen(self.make(StoreSource(self.store, **self.source_args)))

    async def on_unmount(self) -> None:
        await self.store.close()

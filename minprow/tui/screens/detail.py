"""The detail screen: one ProwJob as Deck's job page shows it, and why it is not running.

Deck's job view (cmd/deck: the prowjob page and spyglass's metadata lens)
shows refs, timings and the raw ProwJob; it never says why a job is stuck.
This screen leads with that (screens/why.py), then refs with links, the spec
that decides what runs, timings (the duration ticks while the job runs), the
state history and where the artifacts are. It follows the job through the
source's change feed while shown, so a rerun or abort shows up at once, and
keeps every state change it sees, since the ProwJob itself keeps no history.
Keys: `l` log, `r` rerun, `a` abort (each asking first), `escape` back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Static

from minprow.config.prow import Plank
from minprow.model import ProwJob, ProwJobState
from minprow.tui.screens import detailtext
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.screens.logs import LogScreen
from minprow.tui.screens.why import why_not_running
from minprow.tui.source import JobSource, SourceError

TICK = 1.0
"""Seconds between two redraws of the timings of an unfinished job."""

CLUSTER_REFRESH = 5.0
"""Seconds between two reads of the cluster health while an unfinished job is shown
(a cluster coming back changes why the job is not running)."""


def _now() -> datetime:
    return datetime.now(UTC)


class DetailScreen(Screen[None]):
    """One job's details; follows the job while shown."""

    DEFAULT_CSS = """
    DetailScreen #detail-title {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    DetailScreen #why {
        margin: 1 1 0 1;
        padding: 0 1;
        border: round $warning;
        color: $warning;
    }
    DetailScreen #why.clear {
        display: none;
    }
    DetailScreen .section {
        margin: 1 1 0 1;
        padding: 0 1;
        border: round $primary 50%;
        border-title-color: $text-accent;
        height: auto;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("l", "logs", "Logs"),
        Binding("r", "rerun", "Rerun"),
        Binding("a", "abort", "Abort"),
    ]

    def __init__(
        self,
        job: ProwJob,
        source: JobSource,
        *,
        now: Callable[[], datetime] = _now,
        plank: Plank | None = None,
        follow: bool = True,
    ) -> None:
        """`now` is the clock (tests freeze it); `plank`, when the config is at hand,
        lets "why not" use the configured timeouts; `follow=False` leaves updates
        to the caller (`update_job`), e.g. an app that already feeds its table."""
        super().__init__()
        self.job = job
        self.source = source
        self.now = now
        self.plank = plank
        self.follow = follow
        self.cluster_health: dict[str, dict[str, Any]] = {}
        self.seen: list[tuple[datetime, ProwJobState, str]] = []

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with VerticalScroll():
            yield Static(id="why")
            for name, title in (
                ("refs", "Refs"),
                ("spec", "Spec"),
                ("timings", "Timings"),
                ("history", "State history"),
                ("artifacts", "Artifacts"),
            ):
                section = Static(id=name, classes="section")
                section.border_title = title
                yield section
        yield Footer()

    def on_mount(self) -> None:
        self.show()
        self.set_interval(TICK, self._tick)
        self.set_interval(CLUSTER_REFRESH, self._refresh_clusters)
        self.load_clusters()
        if self.follow:
            self.follow_job()

    def _tick(self) -> None:
        if not self.job.complete:
            self.show()

    def _refresh_clusters(self) -> None:
        if not self.job.status.state.is_final:
            self.load_clusters()

    def show(self) -> None:
        """Redraw every section from `self.job`."""
        job = self.job
        self.query_one("#detail-title", Static).update(
            f"{detailtext.state_label(job.status.state)}  [b]{escape(job.spec.job)}[/b]  "
            f"{escape(job.metadata.name)}"
            + (f"  [dim]{escape(job.status.description)}[/]" if job.status.description else "")
        )
        why = why_not_running(
            job, self.cluster_health, self.now(), plank=self.plank, idle=self.source.idle()
        )
        banner = self.query_one("#why", Static)
        banner.set_class(why is None, "clear")
        banner.update(f"[b]Why not running:[/b] {escape(why)}" if why else "")
        self.query_one("#refs", Static).update(detailtext.refs_section(job))
        self.query_one("#spec", Static).update(detailtext.spec_section(job))
        self.query_one("#timings", Static).update(detailtext.timings_section(job, self.now()))
        self.query_one("#history", Static).update(detailtext.history_section(job, self.seen))
        self.query_one("#artifacts", Static).update(detailtext.artifacts_section(job))

    def update_job(self, job: ProwJob) -> None:
        """A newer version of the job; a state change goes into the live history."""
        if job.metadata.name != self.job.metadata.name:
            return
        if job.status.state != self.job.status.state:
            self.seen.append((self.now(), job.status.state, job.status.description or ""))
        self.job = job
        if self.is_mounted:
            self.show()

    @work(group="detail-clusters", exclusive=True)
    async def load_clusters(self) -> None:
        try:
            self.cluster_health = await self.source.clusters()
        except SourceError as err:
            self.notify(f"cluster health unavailable: {err}", severity="warning")
            return
        self.show()

    @work(group="detail-follow", exclusive=True)
    async def follow_job(self) -> None:
        try:
            jobs, revision = await self.source.snapshot()
            for job in jobs:
                if job.metadata.name == self.job.metadata.name:
                    self.update_job(job)
            feed = self.source.changes(revision)
            try:
                async for event in feed:
                    if event.type != "DELETED":
                        self.update_job(event.job)
            finally:
                # Leaving the screen cancels this worker: end the watch now, not at GC.
                aclose = getattr(feed, "aclose", None)
                if aclose is not None:
                    await aclose()
        except SourceError as err:
            self.notify(f"no live updates: {err}", severity="warning")

    # actions

    def action_back(self) -> None:
        self.dismiss(None)

    def action_logs(self) -> None:
        self.app.push_screen(LogScreen(self.job, self.source))

    def action_rerun(self) -> None:
        self._rerun()

    def action_abort(self) -> None:
        if self.job.status.state.is_final:
            self.notify(f"{self.job.spec.job} has already ended", severity="warning")
            return
        self._abort()

    @work(group="detail-action")
    async def _rerun(self) -> None:
        name = self.job.metadata.name
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Rerun {self.job.spec.job} ({name})?")
        ):
            return
        try:
            new = await self.source.rerun(name)
        except SourceError as err:
            self.notify(f"rerun failed: {err}", severity="error")
            return
        idle = self.source.idle()
        if idle:
            self.notify(f"rerun queued ({new}), but it will wait: {idle}", severity="warning")
            return
        self.notify(f"rerun created: {new}")

    @work(group="detail-action")
    async def _abort(self) -> None:
        name = self.job.metadata.name
        if not await self.app.push_screen_wait(
            ConfirmScreen(f"Abort {self.job.spec.job} ({name})?")
        ):
            return
        try:
            await self.source.abort(name)
        except SourceError as err:
            self.notify(f"abort failed: {err}", severity="error")
            return
        self.notify(f"abort requested: {name}")

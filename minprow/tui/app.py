"""The job monitor: `MinprowApp`, what `minprow tui` and `minprow up` show.

Deck's front page (Prow's pkg/deck: the job list, `/rerun`, `/abort`, the job's
log) as a Textual app, live instead of refreshed. One worker reads the source:
a snapshot, then its change feed, each event applied to the table in place (no
polling); a one-second timer only redraws the durations of running jobs on
screen. The app reads and acts through a `JobSource` alone, so the same app runs
in-process, over a state directory, or against a remote server.

Ctrl-C, which the terminal hands the TUI as a key, does what SIGINT does to
every other minprow command (aio/signals.py): the first quits (and under `up`
stops the process), a second exits at once.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Input

from minprow.aio import Clock, SystemClock, signals
from minprow.model import ProwJob
from minprow.tui.filtering import JobFilter
from minprow.tui.rows import JobList
from minprow.tui.screens.clusters import ClustersScreen
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.screens.detail import DetailScreen
from minprow.tui.screens.logs import LogScreen
from minprow.tui.source import JobEvent, JobSource, SourceError
from minprow.tui.widgets.filter_bar import FilterBar
from minprow.tui.widgets.help import HelpScreen
from minprow.tui.widgets.job_table import JobTable
from minprow.tui.widgets.summary import SummaryHeader

log = logging.getLogger("minprow.tui")

_RETRY_MAX = 30.0
"""The longest wait, in seconds, before reading an unreachable source again."""
_SUMMARY_DELAY = 0.1
"""Events arrive in bursts; the header is redrawn once per burst, not per event."""


class MinprowApp(App[int]):
    """The job table of `source`, live; `clock` gives durations their `now`."""

    TITLE = "minprow"
    # In the class, not a .tcss file: subclasses and installed wheels find it alike.
    CSS = """
    JobTable {
        border: none;
    }
    Footer {
        background: $panel;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "filter"),
        Binding("l", "logs", "logs"),
        Binding("r", "rerun", "rerun"),
        Binding("a", "abort", "abort"),
        Binding("c", "clusters", "clusters"),
        Binding("question_mark", "help", "help"),
        Binding("q", "quit", "quit"),
        # Over Textual's "press q to quit" hint and an Input's copy: Ctrl-C interrupts.
        Binding("ctrl+c", "interrupt", show=False, priority=True),
    ]

    def __init__(self, source: JobSource, *, clock: Clock | None = None) -> None:
        super().__init__()
        self.source = source
        self.clock: Clock = clock or SystemClock()
        self.jobs = JobList()
        self.problem = ""
        """Why the feed is not live right now (shown in the header), or ""."""
        self.idle: str | None = None
        """Why queued jobs will not run (nothing runs this source's jobs; in the header
        too, asked again each second), or None."""
        self.live = asyncio.Event()
        """Set once the first snapshot is in the table (tests and benchmarks wait on it)."""
        self._summary_due = False
        self._passed = (0, 0)
        # Held, not queried: the one-second tick and the feed can still fire
        # while the app is being torn down, when the screen has no children left.
        self._table = JobTable(self.jobs, clock=self.clock, id="jobs")
        self._summary = SummaryHeader(id="summary")
        self._filter = FilterBar(id="filter")

    def compose(self) -> ComposeResult:
        yield self._summary
        yield self._table
        yield self._filter
        yield Footer()

    @property
    def table(self) -> JobTable:
        return self._table

    def on_mount(self) -> None:
        self.sub_title = self.source.description
        self.idle = self.source.idle()
        self.table.focus()
        self._show_summary()
        self.run_worker(self._follow(), name="job feed", exclusive=True, exit_on_error=False)
        self.set_interval(1.0, self._tick)

    async def on_unmount(self) -> None:
        try:
            await self.source.close()
        except SourceError as err:
            log.warning("closing %s: %s", self.source.description, err)

    # The feed: one worker, snapshot then changes, again after a failure.

    async def _follow(self) -> None:
        delay = 1.0
        while True:
            try:
                jobs, revision = await self.source.snapshot()
                self.table.load(jobs)
                # Tens of thousands of long-lived job objects made every full
                # collection take 200-300 ms (measured at 10,000 jobs): a frozen
                # keystroke. They live as long as the app; the collector skips them.
                gc.freeze()
                self.problem = ""
                self._show_summary()
                self.live.set()
                delay = 1.0
                async for event in self.source.changes(revision):
                    self.apply(event)
                self.problem = "the job feed ended; reconnecting"
            except SourceError as err:
                self.problem = str(err)
            self._show_summary()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RETRY_MAX)

    def apply(self, event: JobEvent) -> None:
        """Apply one change of the feed to the table (and, soon after, the header)."""
        if event.type == "DELETED":
            self.table.remove_job(event.job.metadata.name)
        else:
            self.table.put_job(event.job)
            # An open detail screen follows its job from this feed, not from a
            # second snapshot and watch of its own (a second stream, when remote).
            for screen in self.screen_stack:
                if isinstance(screen, DetailScreen):
                    screen.update_job(event.job)
        if not self._summary_due:
            self._summary_due = True
            self.set_timer(_SUMMARY_DELAY, self._show_summary)

    def _show_summary(self, *, recount: bool = True) -> None:
        """Redraw the header; `recount=False` keeps the last pass rate (a filter
        changes what is shown, not what passed: 11 ms saved per keystroke at 10k jobs)."""
        self._summary_due = False
        if recount:
            self._passed = self.jobs.pass_rate(self.clock.now())
        problem = self.problem or self.idle or ""
        self._summary.show(self.jobs, self._passed, self.source.description, problem)

    def _tick(self) -> None:
        self.idle = self.source.idle()
        self.table.tick()
        # The pass rate's hour slides with the clock, so the header is redrawn too.
        self._show_summary()

    # Filtering.

    def action_filter(self) -> None:
        self._filter.open()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "filter":
            self.table.set_filter(JobFilter.parse(event.value))
            self._show_summary(recount=False)

    def on_filter_bar_done(self, _: FilterBar.Done) -> None:
        self.table.focus()

    # Acting on the selected job.

    def _selected(self) -> ProwJob | None:
        row = self.table.selected
        if row is None:
            self.notify("No job selected.", severity="warning")
            return None
        return row.job

    def action_clusters(self) -> None:
        self.push_screen(ClustersScreen(self.source, now=self.clock.now))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_interrupt(self) -> None:
        """Ctrl-C: as SIGINT to the command that runs the app; quit when none listens."""
        if not signals.interrupt():
            self.exit()

    def on_job_table_opened(self, event: JobTable.Opened) -> None:
        self.push_screen(DetailScreen(event.job, self.source, now=self.clock.now, follow=False))

    def action_logs(self) -> None:
        job = self._selected()
        if job is not None:
            self.push_screen(LogScreen(job, self.source))

    def action_rerun(self) -> None:
        job = self._selected()
        if job is None:
            return
        name = job.metadata.name

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                new = await self.source.rerun(name)
            except SourceError as err:
                self.notify(f"Rerun of {job.spec.job} failed: {err}", severity="error")
                return
            idle = self.source.idle()
            if idle:
                self.notify(
                    f"Rerun of {job.spec.job} queued ({new}), but it will wait: {idle}",
                    title="rerun",
                    severity="warning",
                )
                return
            self.notify(f"Rerun of {job.spec.job} created: {new}", title="rerun")

        self.push_screen(ConfirmScreen(f"Rerun {job.spec.job}?\n({name})"), answered)

    def action_abort(self) -> None:
        job = self._selected()
        if job is None:
            return
        if job.status.state.is_final:
            self.notify(f"{job.spec.job} already finished ({job.status.state}).")
            return
        name = job.metadata.name

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                await self.source.abort(name)
            except SourceError as err:
                self.notify(f"Abort of {job.spec.job} failed: {err}", severity="error")
                return
            self.notify(f"{job.spec.job} aborted ({name}).", title="abort")

        self.push_screen(ConfirmScreen(f"Abort {job.spec.job}?\n({name})"), answered)


def run_tui(source: JobSource, *, clock: Clock | None = None) -> int:
    """Run the app in this thread until the user quits (`minprow tui`); the exit code.

    The first SIGINT or SIGTERM (or Ctrl-C) quits it; a second ends it at once."""
    app = MinprowApp(source, clock=clock)
    with signals.Interrupts("minprow tui", deadline=10.0, screen=True) as interrupts:
        interrupts.on_stop(app.exit)
        app.run()
    return app.return_code or 0


async def run_in_loop(source: JobSource, *, clock: Clock | None = None) -> int:
    """Run the app in the running loop, beside the other components (`minprow up`).

    A signal that stops `up` quits the app as `q` does, so it puts the terminal back."""
    app = MinprowApp(source, clock=clock)
    stop_listening = signals.on_stop(app.exit)
    try:
        await app.run_async()
    finally:
        stop_listening()
    return app.return_code or 0

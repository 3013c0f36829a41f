"""The log screen: one job's output, followed live, searchable, bounded.

Deck shows a finished job's build log through spyglass and a running one not
at all; k9s follows a pod's log but lags minutes behind a long, fast one. Here
a worker reads `source.logs(name, follow=...)` as fast as chunks come into a
`LogBuffer` that keeps at most `limit` lines waiting, and a timer moves them
into a virtualised `Log` widget (itself capped at `limit` lines) at most every
50 ms, so rendering never sets the pace. The view follows the end while it is
scrolled to the bottom and stops following when scrolled up, like `tail -f`
in k9s; `G` resumes. `/` searches (matches highlighted, `n`/`N` to move), `f`
jumps to the first failure line (see logtext), `g`/`G` top and bottom.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar

from rich.highlighter import Highlighter
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Footer, Input, Log, Static

from minprow.model import ProwJob
from minprow.tui.screens.logtext import DEFAULT_LIMIT, LogBuffer, first_failure, is_failure_line
from minprow.tui.source import JobSource, SourceError

RENDER_INTERVAL = 0.05
"""Seconds between two moves of buffered lines into the widget."""

_YIELD_EVERY = 0.02
"""A source that never waits (a fast local stream) still lets the screen draw this often."""


class _LogHighlighter(Highlighter):
    """Failure lines in red; matches of the search term reversed."""

    def __init__(self) -> None:
        self.term = ""

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if is_failure_line(plain):
            text.stylize("bold red")
        if self.term:
            text.highlight_words([self.term], "reverse yellow", case_sensitive=False)


class LogScreen(Screen[None]):
    """Follow or show one job's log."""

    DEFAULT_CSS = """
    LogScreen #log-status {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    LogScreen Log {
        height: 1fr;
    }
    LogScreen #log-search {
        dock: bottom;
        display: none;
    }
    LogScreen #log-search.searching {
        display: block;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("slash", "search", "Search"),
        Binding("n", "next_match", "Next"),
        Binding("N", "previous_match", "Previous", key_display="N"),
        Binding("f", "first_failure", "First failure"),
        Binding("g", "top", "Top"),
        Binding("G", "bottom", "Bottom/follow", key_display="G"),
    ]

    def __init__(self, job: ProwJob, source: JobSource, *, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__()
        self.job = job
        self.source = source
        self.limit = limit
        self.buffer = LogBuffer(limit)
        self.follow = not job.status.state.is_final
        """Ask the source to follow: the job may still write (the view's own tail -f
        is the Log widget's, on while scrolled to the bottom)."""
        self.ended = False
        self.error: str | None = None
        self.matches: list[int] = []
        self.match_index = -1
        self._highlighter = _LogHighlighter()
        self._status = ""
        self._matched_total = 0
        self._matched_dropped = 0

    def compose(self) -> ComposeResult:
        yield Static(id="log-status")
        log = Log(max_lines=self.limit, highlight=True, auto_scroll=True, id="log")
        log.highlighter = self._highlighter
        yield log
        yield Input(placeholder="search the log (enter to find, escape to cancel)", id="log-search")
        yield Footer()

    @property
    def log_widget(self) -> Log:
        return self.query_one("#log", Log)

    def on_mount(self) -> None:
        self.set_interval(RENDER_INTERVAL, self.render_pending)
        self.read_log()
        self._show_status()

    @work(exclusive=True, group="log")
    async def read_log(self) -> None:
        """Take chunks as fast as the source gives them; drawing is the timer's job."""
        last_yield = time.monotonic()
        stream = self.source.logs(self.job.metadata.name, follow=self.follow)
        try:
            async for chunk in stream:
                self.buffer.feed(chunk)
                if time.monotonic() - last_yield > _YIELD_EVERY:
                    await asyncio.sleep(0)
                    last_yield = time.monotonic()
        except SourceError as err:
            self.error = str(err)
        finally:
            # Leaving the screen cancels this worker: close the stream now (a
            # followed log holds a connection or a container attach), not at GC.
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        self.buffer.finish()
        self.ended = True
        self.render_pending()

    def render_pending(self) -> None:
        """Move what the buffer holds into the widget; the one place lines are drawn."""
        if self.buffer.waiting:
            self.log_widget.write_lines(self.buffer.take())
        self._show_status()

    @property
    def dropped(self) -> int:
        """Lines the screen no longer holds (the oldest, past `limit`)."""
        return max(0, self.buffer.total - self.log_widget.line_count)

    def _show_status(self) -> None:
        log = self.log_widget
        parts = [f"[b]{escape(self.job.spec.job)}[/b] {escape(self.job.metadata.name)}"]
        if self.error:
            parts.append(f"[red]{escape(self.error)}[/red]")
        elif self.ended:
            parts.append("end of log")
        else:
            parts.append("following" if log.is_vertical_scroll_end else "paused (G to follow)")
        parts.append(f"{log.line_count} lines")
        if self.dropped:
            parts.append(f"{self.dropped} older lines dropped")
        if self._highlighter.term:
            where = f"{self.match_index + 1}/{len(self.matches)}" if self.matches else "0"
            parts.append(f"/{escape(self._highlighter.term)}: {where}")
        status = " · ".join(parts)
        if status != self._status:  # the timer calls this every 50 ms: redraw only a change
            self._status = status
            self.query_one("#log-status", Static).update(status)

    def _go_to(self, line: int) -> None:
        log = self.log_widget
        log.scroll_to(y=max(0, line - log.size.height // 3), animate=False, immediate=True)

    # actions

    def action_back(self) -> None:
        search = self.query_one("#log-search", Input)
        if search.has_class("searching"):
            search.remove_class("searching")
            self.log_widget.focus()
            return
        self.dismiss(None)

    def action_search(self) -> None:
        search = self.query_one("#log-search", Input)
        search.add_class("searching")
        search.focus()

    @on(Input.Submitted, "#log-search")
    def _searched(self, event: Input.Submitted) -> None:
        event.input.remove_class("searching")
        self.log_widget.focus()
        self.search(event.value)

    def search(self, term: str) -> None:
        """Highlight `term` and go to its first match below the top of the view."""
        self._highlighter.term = term
        self._find_matches()
        self.log_widget.notify_style_update()  # drop the lines rendered without the highlight
        self.log_widget.refresh()
        top = int(self.log_widget.scroll_y)
        after = [i for i, line in enumerate(self.matches) if line >= top]
        self.match_index = after[0] if after else (0 if self.matches else -1)
        if self.matches:
            self._go_to(self.matches[self.match_index])
        self._show_status()

    def _find_matches(self) -> None:
        term = self._highlighter.term.casefold()
        lines = self.log_widget.lines
        self.matches = [i for i, line in enumerate(lines) if term and term in line.casefold()]
        self._matched_total = self.buffer.total
        self._matched_dropped = self.dropped

    def _step(self, delta: int) -> None:
        if self._matched_total != self.buffer.total:
            # Lines came (and maybe went) since the search: match the log as it is now.
            # The current match moved up by the lines dropped from the top meanwhile.
            shown = self.matches[self.match_index] if self.matches else -1
            shown -= self.dropped - self._matched_dropped
            self._find_matches()
            before = [i for i, line in enumerate(self.matches) if line <= shown]
            self.match_index = before[-1] if before else -1
        if not self.matches:
            self.notify("no matches", severity="warning")
            return
        self.match_index = (self.match_index + delta) % len(self.matches)
        self._go_to(self.matches[self.match_index])
        self._show_status()

    def action_next_match(self) -> None:
        self._step(1)

    def action_previous_match(self) -> None:
        self._step(-1)

    def action_first_failure(self) -> None:
        found = first_failure(self.log_widget.lines)
        if found is None:
            self.notify("no failure line in the log shown", severity="information")
            return
        self._go_to(found)
        self._show_status()

    def action_top(self) -> None:
        self.log_widget.scroll_home(animate=False, immediate=True)
        self._show_status()

    def action_bottom(self) -> None:
        self.log_widget.scroll_end(animate=False, immediate=True)
        self._show_status()

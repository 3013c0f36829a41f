"""The job table: every ProwJob, newest first, drawn a screen's worth at a time.

Deck's job list (pkg/deck/static/prow/prow.ts) as a terminal table. It is a
line-API `ScrollView`, not a `DataTable`: a DataTable takes 1.4 s to clear and
re-add 10,000 rows on this machine, so a filter keystroke could not redraw within
its 50 ms budget. Here the rows live in a `JobList` kept sorted as events arrive,
and `render_line` draws only the lines on screen, so the cost of a change or a
keystroke does not grow with what is off screen.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from minprow.aio import Clock, SystemClock
from minprow.model import ProwJob
from minprow.tui.filtering import JobFilter
from minprow.tui.rows import STATE_LOOK, JobList, JobRow

# (title, width, drop order); the job column takes what the others leave (width
# 0). On a narrow terminal columns go, highest drop order first, before the job
# name is squeezed: on 80 columns a user still sees state, job, PR and duration.
COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("STATE", 12, 0),
    ("JOB", 0, 0),
    ("TYPE", 10, 3),
    ("REPO / PR", 30, 1),
    ("STARTED", 14, 2),
    ("DURATION", 8, 0),
    ("CLUSTER", 12, 4),
)
_MIN_JOB_WIDTH = 24


@lru_cache(maxsize=8)
def layout(total: int) -> tuple[tuple[int, int], ...]:
    """The columns shown at `total` cells wide: (column index, width) pairs."""
    shown = list(range(len(COLUMNS)))

    def fixed() -> int:
        return sum(COLUMNS[i][1] for i in shown) + len(shown) - 1

    for drop in sorted({rank for _, _, rank in COLUMNS if rank}, reverse=True):
        if fixed() + _MIN_JOB_WIDTH <= total:
            break
        shown = [i for i in shown if COLUMNS[i][2] != drop]
    return tuple((i, COLUMNS[i][1] or max(_MIN_JOB_WIDTH, total - fixed())) for i in shown)


class JobTable(ScrollView, can_focus=True):
    """The jobs of a `JobList`; post `Opened` on enter or a double click."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "details"),
        Binding("up,k", "cursor(-1)", "up", show=False),
        Binding("down,j", "cursor(1)", "down", show=False),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home,g", "jump(0)", "top", show=False),
        Binding("end,G", "jump(-1)", "bottom", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {"job-table--header", "job-table--cursor"}

    DEFAULT_CSS = """
    JobTable {
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
    }
    JobTable > .job-table--header {
        text-style: bold;
        background: $panel;
        color: $text;
    }
    JobTable > .job-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    JobTable:blur > .job-table--cursor {
        background: $block-cursor-blurred-background;
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True, layout=False)

    class Opened(Message):
        """The user asked for a job's details (enter, double click)."""

        def __init__(self, job: ProwJob) -> None:
            super().__init__()
            self.job = job

    def __init__(
        self,
        jobs: JobList,
        *,
        clock: Clock | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.jobs = jobs
        self.clock: Clock = clock or SystemClock()
        self._cursor_name: str | None = None
        """The job under the cursor: the cursor follows it as rows come and go."""

    # The data side: the app calls these as the feed delivers.

    def load(self, jobs: list[ProwJob]) -> None:
        self.jobs.replace_all(jobs)
        self._rows_changed()

    def put_job(self, job: ProwJob) -> None:
        self.jobs.put(job)
        self._rows_changed()

    def remove_job(self, name: str) -> None:
        self.jobs.remove(name)
        self._rows_changed()

    def set_filter(self, job_filter: JobFilter) -> None:
        self.jobs.set_filter(job_filter)
        self._rows_changed()

    @property
    def selected(self) -> JobRow | None:
        shown = self.jobs.shown
        return shown[self.cursor] if 0 <= self.cursor < len(shown) else None

    def tick(self) -> None:
        """Redraw the lines of running jobs on screen: their durations count up."""
        top = round(self.scroll_y)
        shown = self.jobs.shown
        for line in range(1, self.size.height):
            index = top + line - 1
            if index >= len(shown):
                break
            if shown[index].running:
                self.refresh_line(line)

    def _rows_changed(self) -> None:
        shown = self.jobs.shown
        at = self.jobs.index_of(self._cursor_name) if self._cursor_name else None
        self.virtual_size = Size(self.size.width, len(shown) + 1)
        self.cursor = at if at is not None else min(self.cursor, max(0, len(shown) - 1))
        self.refresh()

    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.jobs.shown) - 1))

    def watch_cursor(self, value: int) -> None:
        row = self.selected
        self._cursor_name = row.name if row is not None else None
        visible = max(1, self.size.height - 1)
        if value < self.scroll_y:
            self.scroll_to(y=value, animate=False)
        elif value >= self.scroll_y + visible:
            self.scroll_to(y=value - visible + 1, animate=False)
        self.refresh()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, len(self.jobs.shown) + 1)

    # Keys and mouse.

    def action_cursor(self, delta: int) -> None:
        self.cursor += delta

    def action_page(self, direction: int) -> None:
        self.cursor += direction * max(1, self.size.height - 2)

    def action_jump(self, where: int) -> None:
        self.cursor = where if where >= 0 else len(self.jobs.shown) - 1

    def action_open(self) -> None:
        row = self.selected
        if row is not None:
            self.post_message(self.Opened(row.job))

    async def on_key(self, event: events.Key) -> None:
        # Keys typed in one burst with `/` (a fast typist, a paste, tmux send-keys)
        # are all queued here before the app would see the `/`. So `/` opens the
        # filter at once, and what follows it goes on to the bar, in order, instead
        # of acting as bindings (`a` would ask to abort a job).
        focused = self.screen.focused
        if focused is not None and focused is not self:
            event.stop()
            event.prevent_default()
            focused.post_message(events.Key(event.key, event.character))
        elif event.key == "slash":
            event.stop()
            event.prevent_default()
            await self.run_action("app.filter")

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return  # the header line
        index = round(self.scroll_y) + event.y - 1
        if index < len(self.jobs.shown):
            self.cursor = index
            if event.chain >= 2:
                self.action_open()

    # Drawing: one line at a time, only the lines on screen.

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            header = self.get_component_rich_style("job-table--header")
            cells = [title for title, _, _ in COLUMNS]
            return self._strip(cells, [header] * len(cells), width, header)
        index = round(self.scroll_y) + y - 1
        shown = self.jobs.shown
        if index >= len(shown):
            return Strip.blank(width, base)
        row = shown[index]
        style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("job-table--cursor")
        return self._strip(_cells(row, self.clock.now()), _styles(row, style), width, style)

    def _strip(self, cells: list[str], styles: list[Style], width: int, fill: Style) -> Strip:
        segments: list[Segment] = []
        for index, cell_width in layout(width):
            segments.append(Segment(set_cell_size(cells[index], cell_width), styles[index]))
            segments.append(Segment(" ", fill))
        return Strip(segments).crop_extend(0, width, fill)


def _cells(row: JobRow, now: datetime) -> list[str]:
    symbol, _ = STATE_LOOK[row.state]
    started = row.started.strftime("%m-%d %H:%M:%S") if row.started else ""
    return [
        f"{symbol} {row.state}",
        row.job_name,
        row.type,
        row.where(),
        started,
        row.duration(now),
        row.cluster,
    ]


def _styles(row: JobRow, style: Style) -> list[Style]:
    _, colour = STATE_LOOK[row.state]
    state = style + Style(color=colour, bold=row.running)
    return [state, style, style, style, style, style, style]

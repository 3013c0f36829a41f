"""The help screen (`?`): every key, and the filter's syntax with examples."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, str], ...] = (
    ("/", "filter the jobs as you type (escape clears, enter keeps)"),
    ("enter, double click", "the selected job's details"),
    ("l", "the selected job's log (followed while it runs)"),
    ("r", "rerun the selected job (asks first)"),
    ("a", "abort the selected job (asks first)"),
    ("c", "the build clusters and their health"),
    ("↑ ↓ pgup pgdn home end", "move in the table (j k g G too)"),
    ("?", "this help"),
    ("q", "quit"),
)

FILTERS: tuple[tuple[str, str], ...] = (
    ("e2e", "a word anywhere in job, repo, author or #PR"),
    ("state:failure", "by state; prefixes and alternatives: state:fail,err"),
    ("type:presubmit", "by type: presubmit, postsubmit, periodic, batch"),
    ("repo:org/repo", "by repository (part of it is enough)"),
    ("author:alice", "by pull request author"),
    ("pr:12", "by pull request number"),
    ("job:unit cluster:build01", "by job name, by build cluster"),
)


def _table(title: str, rows: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True)
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for key, what in rows:
        table.add_row(key, what)
    return table


class HelpScreen(ModalScreen[None]):
    """Keys and filter syntax; any of escape, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "close"),
    ]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80;
        height: auto;
        max-height: 90%;
        border: round $accent;
        padding: 1 2;
        background: $surface;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(_table("Keys", KEYS))
            yield Static(Text(""))
            yield Static(_table("Filter (every term must hold)", FILTERS))

"""The filter line (`/`): what the user types narrows the job table at each keystroke.

The syntax is minprow.tui.filtering's; this widget only shows and hides the input
and hands focus back to the table, as k9s's `/` prompt does.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Input

PLACEHOLDER = "filter: words, or state:failure type:presubmit repo:org/repo author:x pr:12"


class FilterBar(Input):
    """An input shown while a filter is being typed or is in force."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "clear filter"),
        Binding("down", "done", "to the jobs", show=False),
    ]

    DEFAULT_CSS = """
    /* Not docked: the Footer docks at the bottom and docked widgets on one edge
       overlap; in the flow, the bar sits between the table and the footer. */
    FilterBar {
        display: none;
        height: 1;
        padding: 0 1;
    }
    /* Input's own focus style draws a tall border, which would leave a one-line
       bar no room for its text. */
    FilterBar, FilterBar:focus {
        border: none;
    }
    """

    class Done(Message):
        """The user is done typing (enter, down, escape): focus goes back to the table."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=PLACEHOLDER, id=id)

    def open(self) -> None:
        # Shown and focused now, not at the next idle as `focus()` would: the keys
        # typed right after `/` are on their way here (see JobTable.on_key).
        self.display = True
        self.screen.set_focus(self)

    def action_clear_filter(self) -> None:
        self.value = ""
        self.display = False
        self.post_message(self.Done())

    def action_done(self) -> None:
        if not self.value:
            self.display = False
        self.post_message(self.Done())

    async def action_submit(self) -> None:
        await super().action_submit()
        self.action_done()

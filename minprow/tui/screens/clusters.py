"""The cluster screen: each build cluster's health, refreshed while shown.

Prow has no such view: a build cluster that fails shows only in plank's logs
and metrics (pkg/plank, pkg/kube's per-context clients). minprow's source
reports the health its tracker keeps (minprow/kube/health.py: reachable,
server, version, last error and when, last success, credential expiry), or
`{"executor": NAME}` for a cluster a local executor runs. Credentials that
expire within `EXPIRY_WARNING` are shown in yellow, expired ones in red; where
serve renews a token (`--rotate-build-credentials`), when it last did and will
next, or that it fails, why, and when it tries again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from minprow.kube.health import parse_time
from minprow.tui.screens.why import ago
from minprow.tui.source import JobSource, SourceError

REFRESH = 5.0
"""Seconds between two reads of the health while the screen is shown."""

EXPIRY_WARNING = timedelta(hours=24)

COLUMNS = ("cluster", "reachable", "server", "version", "last error", "last success", "expires")


def _relative(at: datetime | None, now: datetime) -> str:
    if at is None:
        return "—"
    if at <= now:
        return f"{ago(now - at)} ago"
    return f"in {ago(at - now)}"


def cluster_row(name: str, health: Mapping[str, Any], now: datetime) -> tuple[Text, ...]:
    """One table row for one cluster's health entry."""
    if health.get("executor") and "server" not in health and health.get("reachable") is not False:
        # A local executor (docker, host): no API server to probe.
        return (
            Text(name, style="bold"),
            Text(f"✓ local ({health['executor']})", style="green"),
            *(Text("—") for _ in COLUMNS[2:]),
        )
    reachable = health.get("reachable")
    if reachable is True:
        state = Text("✓ yes", style="green")
    elif reachable is False:
        state = Text("✗ no", style="bold red")
    else:
        state = Text("? not probed", style="dim")
    error = health.get("last_error")
    error_at = parse_time(health.get("last_error_at"))
    error_text = Text("—")
    if error:
        since = f" ({_relative(error_at, now)})" if error_at else ""
        error_text = Text(f"{error}{since}", style="red")
    # The credentials in use (a renewed token not yet mounted is not).
    expires_at = parse_time(health.get("expires_at"))
    expiry = Text(_relative(expires_at, now))
    if expires_at is not None:
        if expires_at <= now:
            expiry = Text(f"expired {expiry.plain}", style="bold red")
        elif expires_at - now <= EXPIRY_WARNING:
            expiry.stylize("bold yellow")
    expiry.append(_rotation(health.get("rotation"), now))
    return (
        Text(name, style="bold"),
        state,
        Text(str(health.get("server") or "—")),
        Text(str(health.get("version") or "—")),
        error_text,
        Text(_relative(parse_time(health.get("last_success_at")), now)),
        expiry,
    )


def _rotation(rotation: Any, now: datetime) -> Text:
    """What serve's renewal of the cluster's token says, after its expiry."""
    if not isinstance(rotation, Mapping):
        return Text("")
    if rotation.get("failures"):
        retry = parse_time(rotation.get("retry_at"))
        return Text(
            f" · renewal failing ({rotation['failures']}): {rotation.get('last_error')}"
            + (f", next try {_relative(retry, now)}" if retry else ""),
            style="bold red",
        )
    due = parse_time(rotation.get("due_at"))
    last = parse_time(rotation.get("last_rotated"))
    parts = [f"renewed {_relative(last, now)}"] if last else []
    parts += [f"renews {_relative(due, now)}"] if due else []
    if rotation.get("last_error"):
        # Renewed, but not yet in use (a Secret that does not reach its mount).
        return Text(f" · {', '.join(parts)}: {rotation['last_error']}", style="bold yellow")
    return Text(f" · {', '.join(parts) or 'renewed here'}", style="dim")


class ClustersScreen(Screen[None]):
    """A table of the build clusters' health."""

    DEFAULT_CSS = """
    ClustersScreen #clusters-status {
        height: 1;
        background: $panel;
        padding: 0 1;
    }
    ClustersScreen DataTable {
        height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("r", "refresh_health", "Refresh"),
    ]

    def __init__(
        self,
        source: JobSource,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        every: float = REFRESH,
    ) -> None:
        super().__init__()
        self.source = source
        self.every = every
        self.now = now
        self.health: dict[str, dict[str, Any]] = {}
        self.error: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("build clusters", id="clusters-status")
        table: DataTable[Text] = DataTable(cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(self.every, self.load)

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh_health(self) -> None:
        self.load()

    @work(group="clusters", exclusive=True)
    async def load(self) -> None:
        try:
            self.health = await self.source.clusters()
            self.error = None
        except SourceError as err:
            self.error = str(err)
        self.show()

    def show(self) -> None:
        """Rows updated in place, keyed by cluster name, so the cursor stays put."""
        now = self.now()
        table: DataTable[Text] = self.query_one(DataTable)
        for name in [str(key.value) for key in table.rows if key.value not in self.health]:
            table.remove_row(name)
        for name in sorted(self.health):
            row = cluster_row(name, self.health[name], now)
            if name in {key.value for key in table.rows}:
                for column, cell in zip(table.columns, row, strict=True):
                    table.update_cell(name, column, cell)
            else:
                table.add_row(*row, key=name)
        down = sum(1 for h in self.health.values() if h.get("reachable") is False)
        summary = f"{len(self.health)} build clusters"
        if down:
            summary += f", [bold red]{down} unreachable[/]"
        if self.error:
            summary += f" · [red]cannot read health: {escape(self.error)}[/]"
        self.query_one("#clusters-status", Static).update(summary)

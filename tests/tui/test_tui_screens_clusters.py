"""ClustersScreen: one row per build cluster's health, refreshed while shown."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from textual.widgets import DataTable
from tuiscreens_helpers import ScreenHost, StoreSource, until

from minprow.store import open_store
from minprow.tui.screens.clusters import ClustersScreen, cluster_row

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)

HEALTHY = {
    "context": "build-east",
    "server": "https://10.0.0.1:6443",
    "reachable": True,
    "version": "v1.31.2",
    "last_error": None,
    "last_error_at": None,
    "last_success_at": "2026-11-24T08:29:55+00:00",
    "expires_at": None,
}
DOWN = {
    **HEALTHY,
    "context": "build-west",
    "reachable": False,
    "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
    "last_error_at": "2026-11-24T08:29:00+00:00",
    "last_success_at": "2026-11-24T06:30:00+00:00",
}


@pytest.mark.parametrize(
    ("health", "cells", "styles"),
    [
        (
            HEALTHY,
            ["build", "✓ yes", "https://10.0.0.1:6443", "v1.31.2", "—", "5s ago", "—"],
            {1: "green"},
        ),
        (
            DOWN,
            [
                "build",
                "✗ no",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "ConnectionRefusedError: [Errno 111] Connection refused (1m0s ago)",
                "2h0m0s ago",
                "—",
            ],
            {1: "bold red", 4: "red"},
        ),
        (
            {**HEALTHY, "reachable": None, "version": None, "last_success_at": None},
            ["build", "? not probed", "https://10.0.0.1:6443", "—", "—", "—", "—"],
            {1: "dim"},
        ),
        (
            {**HEALTHY, "expires_at": "2026-11-24T10:30:00+00:00"},
            ["build", "✓ yes", "https://10.0.0.1:6443", "v1.31.2", "—", "5s ago", "in 2h0m0s"],
            {6: "bold yellow"},
        ),
        (
            {**HEALTHY, "expires_at": "2026-12-24T08:30:00+00:00"},
            ["build", "✓ yes", "https://10.0.0.1:6443", "v1.31.2", "—", "5s ago", "in 720h0m0s"],
            {6: ""},
        ),
        (
            {**HEALTHY, "expires_at": "2026-11-24T08:00:00+00:00"},
            [
                "build",
                "✓ yes",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "—",
                "5s ago",
                "expired 30m0s ago",
            ],
            {6: "bold red"},
        ),
        (
            {
                **HEALTHY,
                "expires_at": "2026-11-26T08:30:00+00:00",
                "rotation": {"due_at": "2026-11-25T16:30:00+00:00", "failures": 0},
            },
            [
                "build",
                "✓ yes",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "—",
                "5s ago",
                "in 48h0m0s · renews in 32h0m0s",
            ],
            {6: ""},
        ),
        (
            {
                **HEALTHY,
                "expires_at": "2026-11-24T10:30:00+00:00",
                "rotation": {
                    "failures": 3,
                    "last_error": "TokenRequest refused: 403 Forbidden",
                    "retry_at": "2026-11-24T08:30:20+00:00",
                },
            },
            [
                "build",
                "✓ yes",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "—",
                "5s ago",
                "in 2h0m0s · renewal failing (3): TokenRequest refused: 403 Forbidden, "
                "next try in 20s",
            ],
            {6: "bold yellow"},
        ),
        (
            {
                **HEALTHY,
                "expires_at": "2026-11-26T08:25:00+00:00",
                "rotation": {
                    "expires_at": "2026-11-26T08:25:00+00:00",
                    "last_rotated": "2026-11-24T08:25:00+00:00",
                    "due_at": "2026-11-25T16:25:00+00:00",
                    "failures": 0,
                },
            },
            [
                "build",
                "✓ yes",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "—",
                "5s ago",
                "in 47h55m0s · renewed 5m0s ago, renews in 31h55m0s",
            ],
            {6: ""},
        ),
        (
            {
                **HEALTHY,
                # The token in use is the old one: the renewed one never reached the mount.
                "expires_at": "2026-11-24T10:30:00+00:00",
                "rotation": {
                    "expires_at": "2026-11-26T08:20:00+00:00",
                    "last_rotated": "2026-11-24T08:20:00+00:00",
                    "due_at": "2026-11-25T16:20:00+00:00",
                    "failures": 0,
                    "last_error": "the renewed token is in Secret prow/k:build but ...",
                },
            },
            [
                "build",
                "✓ yes",
                "https://10.0.0.1:6443",
                "v1.31.2",
                "—",
                "5s ago",
                "in 2h0m0s · renewed 10m0s ago, renews in 31h50m0s: "
                "the renewed token is in Secret prow/k:build but ...",
            ],
            {6: "bold yellow"},
        ),
        (
            {"executor": "docker"},
            ["build", "✓ local (docker)", "—", "—", "—", "—", "—"],
            {1: "green"},
        ),
        (
            {"executor": "host", "reachable": True},
            ["build", "✓ local (host)", "—", "—", "—", "—", "—"],
            {1: "green"},
        ),
        (
            {"executor": None, "reachable": False, "last_error": "this process runs no executors"},
            ["build", "✗ no", "—", "—", "this process runs no executors", "—", "—"],
            {1: "bold red"},
        ),
    ],
    ids=[
        "healthy",
        "unreachable",
        "not-probed",
        "expires-soon",
        "expires-later",
        "expired",
        "renewed-here",
        "renewal-failing",
        "renewed",
        "renewed-not-mounted",
        "local",
        "local-from-clusterhealth",
        "no-executor",
    ],
)
def test_cluster_row(health: dict[str, Any], cells: list[str], styles: dict[int, str]) -> None:
    row = cluster_row("build", health, NOW)
    assert [cell.plain for cell in row] == cells
    for index, style in styles.items():
        shown = {str(span.style) for span in row[index].spans} | {str(row[index].style)}
        assert style in shown


async def test_rows_follow_the_source() -> None:
    async with open_store("memory") as store:
        source = StoreSource(store, clusters={"build-east": HEALTHY, "build-west": DOWN})
        screen = ClustersScreen(source, now=lambda: NOW, every=0.05)
        app = ScreenHost(screen)
        async with app.run_test(size=(160, 20)) as pilot:
            table: DataTable[Any] = screen.query_one(DataTable)
            await until(pilot, lambda: table.row_count == 2)
            assert [str(k.value) for k in table.rows] == ["build-east", "build-west"]
            assert "1 unreachable" in str(screen.query_one("#clusters-status").render())

            # The timer re-reads: the west cluster recovers, a new one appears.
            calls = source.cluster_calls
            source.health = {
                "build-east": HEALTHY,
                "build-west": {**DOWN, "reachable": True},
                "default": {"executor": "docker"},
            }
            await until(pilot, lambda: source.cluster_calls > calls + 1)
            await until(pilot, lambda: table.row_count == 3)
            assert table.get_row("build-west")[1].plain == "✓ yes"
            assert "unreachable" not in str(screen.query_one("#clusters-status").render())

            source.health = {"default": {"executor": "docker"}}
            await pilot.press("r")
            await until(pilot, lambda: table.row_count == 1)
            await pilot.press("escape")
            await pilot.pause()
            assert app.results == [None]

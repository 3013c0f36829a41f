"""SVG snapshots of the detail, log and cluster screens, with fixed data and a
frozen clock (update them with `pytest --snapshot-update` after a deliberate
change, and look at the diff)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from textual.pilot import Pilot
from tuiscreens_helpers import FIXTURES, StoreHost, load_job, until

from minprow.model import ProwJobState
from minprow.tui.screens.clusters import ClustersScreen
from minprow.tui.screens.detail import DetailScreen
from minprow.tui.screens.logs import LogScreen

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
SIZE = (120, 60)
SnapCompare = Callable[..., bool]

CLUSTERS: dict[str, dict[str, Any]] = {
    "build-east": {
        "context": "build-east",
        "server": "https://10.0.0.1:6443",
        "reachable": False,
        "version": "v1.31.2",
        "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
        "last_error_at": "2026-11-24T08:29:40+00:00",
        "last_success_at": "2026-11-24T07:58:00+00:00",
        "expires_at": "2026-11-24T14:00:00+00:00",
    },
    "build-west": {
        "context": "build-west",
        "server": "https://build-west.acme.dev",
        "reachable": True,
        "version": "v1.30.5",
        "last_error": None,
        "last_error_at": None,
        "last_success_at": "2026-11-24T08:29:58+00:00",
        "expires_at": "2027-02-01T00:00:00+00:00",
    },
    "default": {"executor": "docker"},
}


async def build_log(follow: bool) -> AsyncIterator[bytes]:
    yield (FIXTURES / "build-log.txt").read_bytes()


def test_detail_screen(snap_compare: SnapCompare) -> None:
    job = load_job("presubmit_pending")
    job.status.state = ProwJobState.TRIGGERED
    job.status.pending_time = None
    job.status.description = (
        "waiting: max_concurrency 2 of pull-minprow-unit reached (2 running or older)"
    )
    app = StoreHost(
        lambda source: DetailScreen(job, source, now=lambda: NOW), [job], clusters=CLUSTERS
    )

    async def ready(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_log_screen(snap_compare: SnapCompare) -> None:
    job = load_job("presubmit_pending")
    job.status.state = ProwJobState.FAILURE
    app = StoreHost(lambda source: LogScreen(job, source), [job], logs={job.name: build_log})

    async def search_failure(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        screen = app.screen
        assert isinstance(screen, LogScreen)
        await until(pilot, lambda: screen.ended and screen.log_widget.line_count == 12)
        await pilot.press("slash", *"resize", "enter")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 20), run_before=search_failure)


def test_clusters_screen(snap_compare: SnapCompare) -> None:
    app = StoreHost(lambda source: ClustersScreen(source, now=lambda: NOW), [], clusters=CLUSTERS)

    async def loaded(pilot: Pilot[Any]) -> None:
        await until(pilot, lambda: isinstance(app.screen, ClustersScreen))
        screen = app.screen
        assert isinstance(screen, ClustersScreen)
        await until(pilot, lambda: len(screen.health) == 3)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(180, 10), run_before=loaded)

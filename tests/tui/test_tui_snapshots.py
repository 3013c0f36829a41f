"""SVG snapshots of the app's main screens, on a fixed job set at a frozen `now`.

The other screens (detail, log, clusters) keep their own snapshots in
test_tui_screens_snapshots.py, next to their code. Run with `--snapshot-update`
after a deliberate change of the look, then read the new SVGs in
tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from fakes import VirtualClock
from textual.pilot import Pilot
from tuiapp_jobs import NOW, jobs

from minprow.config import Config
from minprow.store import JobStore, open_store
from minprow.tui.app import MinprowApp
from minprow.tui.sources.inprocess import InProcessSource

SIZE = (150, 32)


async def _filled() -> JobStore:
    store = open_store("memory")
    await store.start()
    for job in jobs():
        await store.create(job)
    return store


def make_app(tmp_path: Path) -> MinprowApp:
    # The store is filled in a loop of its own; the app then runs it in the
    # snapshot's loop (the memory backend holds nothing bound to a loop).
    store = asyncio.run(_filled())
    return MinprowApp(InProcessSource(store, None, Config, tmp_path), clock=VirtualClock(NOW))


async def _live(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, MinprowApp)
    await asyncio.wait_for(app.live.wait(), timeout=10)
    await pilot.pause()


def _then(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run(pilot: Pilot[Any]) -> None:
        await _live(pilot)
        await pilot.press(*keys)
        await pilot.pause()

    return run


SCREENS = [
    ("jobs", ()),
    ("filtered", ("slash", *"state:fail,err", "enter")),
    ("cursor-moved", ("down", "down", "down")),
    ("help", ("question_mark",)),
    ("confirm-rerun", ("down", "r")),
]


@pytest.mark.parametrize(("screen", "keys"), SCREENS, ids=[name for name, _ in SCREENS])
def test_screen(snap_compare: Any, tmp_path: Path, screen: str, keys: tuple[str, ...]) -> None:
    assert snap_compare(make_app(tmp_path), terminal_size=SIZE, run_before=_then(*keys))

"""The TUI over a real state directory, headless: with no minprow holding the
directory's lock (store/liveness.py) the header, a queued job's "why not running"
and a rerun's notification say that nothing will run it; once a minprow holds
the lock, they stop saying so, and start again when it lets go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakes import VirtualClock
from tuiscreens_helpers import ScreenHost, until
from tuisrc_helpers import make_job

from minprow.model import ProwJobState
from minprow.store import liveness, open_store
from minprow.tui.app import MinprowApp
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.screens.detail import DetailScreen
from minprow.tui.sources.statedir import StateDirSource

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
SIZE = (160, 30)
NOTICE = "no minprow is running against"
# The app and the detail screen ask the source again each second.
TRIES = 1000


@pytest.fixture
async def state_dir(tmp_path: Path) -> Path:
    async with open_store("sqlite", tmp_path) as store:
        await store.create(make_job("queued"))
        await store.create(make_job("started", state=ProwJobState.PENDING))
    return tmp_path


@contextmanager
def running(state_dir: Path) -> Iterator[None]:
    """A minprow running against `state_dir`, as far as its lock says."""
    holding, other = liveness.hold(state_dir, "minprow up", "http://localhost:8888")
    assert other is None
    try:
        yield
    finally:
        holding.release()


def summary(app: MinprowApp) -> str:
    return str(app.query_one("#summary").render())


def notices(app: Any) -> list[tuple[str, str]]:
    return [(n.severity, n.message) for n in app._notifications]


async def test_the_header_says_so_while_nothing_holds_the_directory(state_dir: Path) -> None:
    app = MinprowApp(StateDirSource(state_dir, interval=0.05), clock=VirtualClock(NOW))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await until(pilot, lambda: NOTICE in summary(app))
        assert f"{NOTICE} {state_dir}: start `minprow up`" in summary(app)
        with running(state_dir):
            await until(pilot, lambda: NOTICE not in summary(app), tries=TRIES)
        await until(pilot, lambda: NOTICE in summary(app), tries=TRIES)


@pytest.mark.parametrize(
    ("minprow", "severity", "said"),
    [
        (False, "warning", "Rerun of job-queued queued ("),
        (True, "information", "Rerun of job-queued created: "),
    ],
    ids=["nothing-running", "minprow-running"],
)
async def test_a_rerun_says_whether_it_will_wait(
    state_dir: Path, minprow: bool, severity: str, said: str
) -> None:
    app = MinprowApp(StateDirSource(state_dir, interval=0.05), clock=VirtualClock(NOW))
    with running(state_dir) if minprow else nullcontext():
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, app.live.is_set)
            await pilot.press("slash", *"job-queued", "enter", "r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("y")
            await until(pilot, lambda: any("Rerun of" in m for _, m in notices(app)))
    ((got_severity, message),) = [n for n in notices(app) if "Rerun of" in n[1]]
    assert (got_severity, said in message) == (severity, True)
    assert (NOTICE in message) is not minprow
    async with open_store("sqlite", state_dir) as store:
        assert sorted(job.spec.job for job in store.list()) == [
            "job-queued",
            "job-queued",
            "job-started",
        ]


@pytest.mark.parametrize(
    ("name", "then"),
    [("queued", "Triggered for"), ("started", "Until one does")],
    ids=["queued", "started"],
)
async def test_why_not_running_says_so_first(state_dir: Path, name: str, then: str) -> None:
    source = StateDirSource(state_dir, interval=0.05)
    async with open_store("sqlite", state_dir) as store:
        pj = store.get(name)
    screen = DetailScreen(pj, source, now=lambda: NOW, follow=False)
    app = ScreenHost(screen)
    async with app.run_test(size=(140, 60)) as pilot:

        def why() -> str:
            return str(screen.query_one("#why").render())

        await until(pilot, lambda: NOTICE.capitalize() in why())
        assert why().startswith(f"Why not running: {NOTICE.capitalize()} {state_dir}")
        assert then in why()
        with running(state_dir):
            await until(pilot, lambda: NOTICE.capitalize() not in why(), tries=TRIES)
        await until(pilot, lambda: NOTICE.capitalize() in why(), tries=TRIES)
    await source.close()


async def test_a_rerun_from_the_detail_screen_says_it_will_wait(state_dir: Path) -> None:
    source = StateDirSource(state_dir, interval=0.05)
    async with open_store("sqlite", state_dir) as store:
        pj = store.get("queued")
    screen = DetailScreen(pj, source, now=lambda: NOW, follow=False)
    app = ScreenHost(screen)
    async with app.run_test(size=(140, 60)) as pilot:
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: any("rerun" in m for _, m in notices(app)))
    ((severity, message),) = [n for n in notices(app) if "rerun" in n[1]]
    assert severity == "warning"
    assert message.startswith("rerun queued (")
    assert f"but it will wait: {NOTICE} {state_dir}" in message
    await source.close()

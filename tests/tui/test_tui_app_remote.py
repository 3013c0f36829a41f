"""The same app attached to a server (`minprow tui --url`): MinprowApp over
RemoteSource, against the real minprow HTTP API on a real port over a real store.
The table fills from /prowjobs.js, follows the watch, and a rerun goes through the
API with the token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakes import VirtualClock
from textual.pilot import Pilot
from tuiapp_jobs import NOW, SPECS, Spec, jobs, m, make_job

from minprow.aio import SystemClock
from minprow.config import Config
from minprow.model import ProwJobState, ProwJobType
from minprow.runtime.api import add_api_routes
from minprow.store import JobStore, open_store
from minprow.tui.app import MinprowApp
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.sources.remote import RemoteSource
from tests.conftest import free_port

TOKEN = "tui-app-token"


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as started:
        for job in jobs():
            await started.create(job)
        yield started


@pytest.fixture
async def url(store: JobStore, tmp_path: Path) -> AsyncIterator[str]:
    app = web.Application()
    add_api_routes(
        app,
        store=store,
        clusters=None,
        config=Config,
        artifacts_dir=tmp_path,
        token=lambda: TOKEN,
        clock=SystemClock(),
        heartbeat=0.5,
    )
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def until(pilot: Pilot[Any], done: Callable[[], bool], *, tries: int = 500) -> None:
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("the app never got there")


async def test_the_app_over_a_server(url: str, store: JobStore) -> None:
    app = MinprowApp(RemoteSource(url, TOKEN, timeout=5.0), clock=VirtualClock(NOW))
    async with app.run_test(size=(160, 30)) as pilot:
        await until(pilot, lambda: len(app.jobs) == len(SPECS))
        assert app.sub_title == app.source.description
        await store.create(
            make_job(
                Spec(
                    "r1",
                    "pull-remote",
                    ProwJobType.PRESUBMIT,
                    ProwJobState.TRIGGERED,
                    pr=301,
                    author="remy",
                    started_ago=m(0),
                )
            )
        )
        await until(pilot, lambda: [row.name for row in app.jobs.shown][:1] == ["r1"])
        await pilot.press("slash", *"author:bob state:failure", "enter", "r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: len(store) == len(SPECS) + 2)
        reruns = [
            job
            for job in store.list()
            if job.spec.job == "pull-unit" and job.status.state is ProwJobState.TRIGGERED
        ]
        assert len(reruns) == 1
        assert reruns[0].spec.refs == store.get("j04").spec.refs

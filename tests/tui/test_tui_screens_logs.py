"""LogScreen driven headless: a long fast log stays bounded and current; search,
first failure, top/bottom, follow that pauses when scrolled up."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tuiscreens_helpers import FIXTURES, ScreenHost, StoreSource, load_job, until

from minprow import pjutil
from minprow.aio import SystemClock
from minprow.config import Config
from minprow.executors.clusters import ClusterMap
from minprow.executors.host import HostExecutor
from minprow.model import ProwJob, ProwJobSpec, ProwJobState
from minprow.podutils import gcspaths
from minprow.podutils.render import render
from minprow.store import open_store
from minprow.tui.screens.logs import LogScreen
from minprow.tui.sources.inprocess import InProcessSource

LINES = 200_000


def finished(pj: ProwJob) -> ProwJob:
    pj.status.state = ProwJobState.FAILURE
    return pj


async def fast_log(follow: bool) -> AsyncIterator[bytes]:
    # As fast as a local stream can: 1,000 lines a chunk, never waiting.
    for start in range(0, LINES, 1000):
        yield b"".join(b"line %d of the build\n" % i for i in range(start, start + 1000))


SMALL = [
    "cloning acme/widgets",
    "go test ./...",
    "ok  \tacme/widgets/a\t0.1s",
    "--- FAIL: TestB (0.00s)",
    "    b_test.go:9: widget b is broken",
    "FAIL\tacme/widgets/b\t0.2s",
    *[f"cleanup step {i}" for i in range(100)],
    "widget b is broken, again",
    "exit status 1",
]


async def small_log(follow: bool) -> AsyncIterator[bytes]:
    yield "\n".join(SMALL).encode()


@pytest.mark.parametrize(
    ("state", "follows"),
    [(ProwJobState.PENDING, True), (ProwJobState.FAILURE, False)],
    ids=["running-follows", "finished-from-artifacts"],
)
async def test_long_fast_log_stays_bounded_and_current(state: ProwJobState, follows: bool) -> None:
    asked: list[bool] = []

    async def feed(follow: bool) -> AsyncIterator[bytes]:
        asked.append(follow)
        async for chunk in fast_log(follow):
            yield chunk

    pj = load_job("presubmit_pending")
    pj.status.state = state
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store, logs={pj.name: feed}))
        app = ScreenHost(screen)
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            log = screen.log_widget
            assert asked == [follows]
            assert log.line_count == 10_000
            assert log.lines[-1] == f"line {LINES - 1} of the build"
            assert log.lines[0] == f"line {LINES - 10_000} of the build"
            assert screen.dropped == LINES - 10_000
            assert log.is_vertical_scroll_end  # the last line is what is shown
            status = str(screen.query_one("#log-status").render())
            assert "end of log" in status
            assert f"{LINES - 10_000} older lines dropped" in status


async def test_search_failure_and_navigation() -> None:
    pj = finished(load_job("presubmit_pending"))
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store, logs={pj.name: small_log}))
        app = ScreenHost(screen)
        async with app.run_test(size=(100, 20)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            log = screen.log_widget
            assert log.lines == SMALL

            await pilot.press("G")
            assert log.scroll_y > 3
            await pilot.press("f")  # the first failure, "--- FAIL: TestB", is line 3
            assert log.scroll_y <= 3 < log.scroll_y + log.size.height
            await pilot.press("G", "g")
            assert log.scroll_y == 0

            await pilot.press("slash", *"broken", "enter")
            await pilot.pause()
            assert screen.matches == [4, len(SMALL) - 2]
            assert screen.match_index == 0
            status = str(screen.query_one("#log-status").render())
            assert "/broken: 1/2" in status
            await pilot.press("n")
            assert screen.match_index == 1
            last = len(SMALL) - 2
            assert log.scroll_y <= last < log.scroll_y + log.size.height
            await pilot.press("N")
            assert screen.match_index == 0
            await pilot.press("n", "n")
            assert screen.match_index == 0  # wraps around

            await pilot.press("G")
            assert log.is_vertical_scroll_end
            await pilot.press("escape")
            await pilot.pause()
            assert app.results == [None]


async def test_follow_pauses_when_scrolled_up_and_resumes_at_bottom() -> None:
    more = asyncio.Event()
    done = asyncio.Event()

    async def running(follow: bool) -> AsyncIterator[bytes]:
        yield b"".join(b"early %d\n" % i for i in range(200))
        await more.wait()
        yield b"".join(b"late %d\n" % i for i in range(200))
        await done.wait()

    pj = load_job("presubmit_pending")
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store, logs={pj.name: running}))
        app = ScreenHost(screen)
        async with app.run_test(size=(100, 20)) as pilot:
            log = screen.log_widget
            await until(pilot, lambda: log.line_count == 200)
            assert log.is_vertical_scroll_end
            assert "following" in str(screen.query_one("#log-status").render())

            await pilot.press("g")  # scrolled up: stop following
            more.set()
            await until(pilot, lambda: log.line_count == 400)
            assert log.scroll_y == 0
            await pilot.pause(0.1)
            assert "paused (G to follow)" in str(screen.query_one("#log-status").render())

            await pilot.press("G")
            assert log.is_vertical_scroll_end
            done.set()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert log.lines[-1] == "late 199"
            assert log.is_vertical_scroll_end


async def test_source_error_is_shown() -> None:
    pj = finished(load_job("presubmit_pending"))
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store))
        app = ScreenHost(screen)
        async with app.run_test() as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert f"no log for {pj.name}" in str(screen.query_one("#log-status").render())


async def test_leaving_while_following_stops_reading() -> None:
    stopped = asyncio.Event()

    async def endless(follow: bool) -> AsyncIterator[bytes]:
        try:
            yield b"started\n"
            await asyncio.Event().wait()
        finally:
            stopped.set()

    pj = load_job("presubmit_pending")
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store, logs={pj.name: endless}))
        app = ScreenHost(screen)
        async with app.run_test() as pilot:
            await until(pilot, lambda: screen.log_widget.line_count == 1)
            await pilot.press("escape")
            await until(pilot, stopped.is_set)
            assert app.results == [None]
            assert app.screen is not screen


async def test_next_match_follows_lines_that_came_and_went() -> None:
    more = asyncio.Event()

    def lines(start: int, stop: int) -> bytes:
        return b"".join(
            (b"needle %d\n" if i in (50, 90, 120) else b"hay %d\n") % i for i in range(start, stop)
        )

    async def running(follow: bool) -> AsyncIterator[bytes]:
        yield lines(0, 100)
        await more.wait()
        yield lines(100, 150)
        await asyncio.Event().wait()

    pj = load_job("presubmit_pending")
    async with open_store("memory") as store:
        screen = LogScreen(pj, StoreSource(store, logs={pj.name: running}), limit=100)
        app = ScreenHost(screen)
        async with app.run_test(size=(80, 20)) as pilot:
            log = screen.log_widget
            await until(pilot, lambda: log.line_count == 100)
            await pilot.press("slash", *"needle", "enter")
            await pilot.pause()
            # Following: the view shows the end, so the first match in view is line 90.
            assert (screen.matches, screen.match_index) == ([50, 90], 1)

            more.set()
            await until(pilot, lambda: screen.buffer.total == 150 and log.lines[-1] == "hay 149")
            assert screen.dropped == 50
            await pilot.press("n")
            assert screen.matches == [0, 40, 70]  # needle 50 is now the first line
            assert log.lines[screen.matches[screen.match_index]] == "needle 120"
            await pilot.press("N")
            assert log.lines[screen.matches[screen.match_index]] == "needle 90"


async def test_finished_job_log_from_its_artifacts_in_process(tmp_path: Path) -> None:
    # The in-process source reads an ended job's build-log.txt from the artifacts
    # directory, laid out as plank's upload leaves it.
    pj = finished(load_job("presubmit_pending"))
    assert pj.spec.decoration_config is not None
    pj.spec.decoration_config.gcs_configuration = None
    pj.metadata.resource_version = None
    build_log = (FIXTURES / "build-log.txt").read_bytes()
    where = tmp_path / gcspaths.job_path(pj) / "build-log.txt"
    where.parent.mkdir(parents=True)
    where.write_bytes(build_log)
    async with open_store("memory") as store:
        await store.create(pj)
        source = InProcessSource(store, None, Config, tmp_path, user="alice")
        screen = LogScreen(pj, source)
        app = ScreenHost(screen)
        async with app.run_test(size=(100, 8)) as pilot:
            await until(pilot, lambda: screen.ended)
            await pilot.pause()
            log = screen.log_widget
            assert log.lines == build_log.decode().splitlines()
            await pilot.press("g", "f")
            assert log.lines[4] == "--- FAIL: TestResize (0.03s)"
            assert log.scroll_y <= 4 < log.scroll_y + log.size.height


async def test_running_job_followed_through_a_real_executor(tmp_path: Path) -> None:
    # A real process on the host executor, its output followed by the in-process
    # source (the executor's `logs`) into the screen until the process ends.
    go = tmp_path / "go"
    script = (
        "for i in $(seq 1 300); do echo line $i; done; "
        f"while [ ! -f {go} ]; do sleep 0.05; done; echo 'FAIL: late'; exit 1"
    )
    spec = ProwJobSpec.model_validate(
        {
            "type": "periodic",
            "job": "follow-me",
            "agent": "kubernetes",
            "pod_spec": {
                "containers": [
                    {"name": "test", "image": "busybox", "command": ["sh", "-c", script]}
                ]
            },
            "decoration_config": {"timeout": "1h"},
        }
    )
    pj = pjutil.new_prowjob(spec, {}, {}, now=datetime.now(UTC), namespace="default")
    pj.status.state = ProwJobState.PENDING
    pj.status.build_id = "1"
    executor = HostExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())
    async with open_store("memory") as store:
        pj = await store.create(pj)
        await executor.start(pj, render(pj))
        try:
            source = InProcessSource(
                store, ClusterMap(fallback=executor), Config, tmp_path / "artifacts", user="alice"
            )
            screen = LogScreen(pj, source)
            app = ScreenHost(screen)
            async with app.run_test(size=(100, 20)) as pilot:
                log = screen.log_widget
                await until(pilot, lambda: log.line_count == 300)
                assert not screen.ended
                assert log.is_vertical_scroll_end
                go.touch()
                await until(pilot, lambda: screen.ended, tries=1000)
                assert log.lines[-1] == "FAIL: late"
                assert log.is_vertical_scroll_end
                await pilot.press("g", "f")
                assert log.scroll_y <= 300 < log.scroll_y + log.size.height
        finally:
            await executor.abort(pj.name, timedelta(seconds=1))
            await executor.cleanup(pj.name)

"""The job monitor driven headless by Pilot over a real memory JobStore (InProcessSource).

Covers what a user does all day: the table's order and look, typing a filter,
a change in the store appearing live, the mouse, help, and rerun / abort through
the confirmation dialog (which must write real ProwJobs to the store).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import VirtualClock
from textual import events
from textual.pilot import Pilot
from tuiapp_jobs import NOW, SPECS, Spec, jobs, m, make_job

from minprow.config import Config
from minprow.model import ProwJobState, ProwJobType
from minprow.podutils import destination_for, gcspaths
from minprow.store import JobStore, open_store
from minprow.tui.app import MinprowApp
from minprow.tui.screens.clusters import ClustersScreen
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.screens.detail import DetailScreen
from minprow.tui.screens.logs import LogScreen
from minprow.tui.sources.inprocess import InProcessSource
from minprow.tui.sources.statedir import StateDirSource
from minprow.tui.widgets.help import HelpScreen

SIZE = (160, 30)


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as started:
        for job in jobs():
            await started.create(job)
        yield started


@pytest.fixture
def app(store: JobStore, tmp_path: Path) -> MinprowApp:
    source = InProcessSource(store, None, Config, tmp_path)
    return MinprowApp(source, clock=VirtualClock(NOW))


async def until(pilot: Pilot[Any], done: Callable[[], bool], *, tries: int = 400) -> None:
    """Let the app run until `done()` holds (bounded: a few seconds at most)."""
    for _ in range(tries):
        if done():
            return
        await pilot.pause(0.01)
    raise AssertionError("the app never got there")


def shown(app: MinprowApp) -> list[str]:
    return [row.name for row in app.jobs.shown]


def summary(app: MinprowApp) -> str:
    return str(app.query_one("#summary").render())


def line(app: MinprowApp, y: int) -> str:
    return app.table.render_line(y).text


async def test_newest_first_with_state_symbols_and_durations(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.pause()
        by_age = sorted(SPECS, key=lambda spec: spec.started_ago)
        assert shown(app) == [spec.name for spec in by_age]
        assert line(app, 0).split()[:3] == ["STATE", "JOB", "TYPE"]
        # j02 (1 min ago, waiting) on top; j01 pending for 3 minutes and counting.
        assert line(app, 1).startswith("◌ triggered  pull-e2e-gce")
        assert "kubernetes/test-infra#101" in line(app, 2)
        assert "● pending" in line(app, 2)
        assert " 3m00s " in line(app, 2)
        assert "✓ success" in line(app, 3)
        assert " 4m00s " in line(app, 3)
        assert "✗ failure" in line(app, 4)


FILTERS = [
    ("state:failure", {"j04", "j10"}),
    ("state:fail,err", {"j04", "j05", "j10"}),
    ("type:periodic", {"j07", "j10"}),
    ("type:presubmit state:pending", {"j01", "j09"}),
    ("repo:kubernetes/kubernetes", {"j06", "j07", "j09", "j10"}),
    ("author:bob", {"j04", "j05"}),
    ("pr:101", {"j01", "j02", "j03"}),
    ("cluster:build02", {"j09", "j10"}),
    ("e2e", {"j02", "j05"}),
    ("unit alice", {"j01"}),
    ("#103", {"j08"}),
    ("nothing-matches-this", set()),
]


@pytest.mark.parametrize(("typed", "expected"), FILTERS, ids=[f for f, _ in FILTERS])
async def test_typing_a_filter_narrows_the_table(
    app: MinprowApp, typed: str, expected: set[str]
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash")
        await pilot.press(*typed)
        await until(pilot, lambda: app.jobs.filter.text == typed)
        assert set(shown(app)) == expected
        await until(pilot, lambda: f"({len(expected)} shown)" in summary(app))


async def test_escape_clears_the_filter_and_enter_keeps_it(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash", *"author:bob", "enter")
        assert set(shown(app)) == {"j04", "j05"}
        assert app.focused is app.table
        await pilot.press("slash", "escape")
        assert len(shown(app)) == len(SPECS)
        assert app.focused is app.table


async def test_a_change_in_the_store_appears_live(app: MinprowApp, store: JobStore) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        fresh = make_job(
            Spec(
                "j11",
                "pull-new",
                ProwJobType.PRESUBMIT,
                ProwJobState.TRIGGERED,
                pr=104,
                author="erin",
                started_ago=m(0),
            )
        )
        await store.create(fresh)
        await until(pilot, lambda: shown(app)[:1] == ["j11"])

        def finish(job: Any) -> Any:
            job.status.state = ProwJobState.SUCCESS
            job.status.completion_time = NOW
            return job

        await store.mutate("j01", finish)
        await until(pilot, lambda: "✓ success" in line(app, shown(app).index("j01") + 1))
        await store.delete("j09")
        await until(pilot, lambda: "j09" not in shown(app))
        # No job is pending any more (j01 passed, j09 went): the header's count goes.
        await until(pilot, lambda: "pending" not in summary(app))
        assert "✓ 4 success" in summary(app)


async def test_the_cursor_stays_on_its_job_when_rows_arrive(
    app: MinprowApp, store: JobStore
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("down", "down")
        chosen = app.table.selected
        assert chosen is not None
        assert chosen.name == "j03"
        await store.create(
            make_job(
                Spec(
                    "j12", "pull-x", ProwJobType.PRESUBMIT, ProwJobState.TRIGGERED, started_ago=m(0)
                )
            )
        )
        await until(pilot, lambda: "j12" in shown(app))
        assert app.table.selected is not None
        assert app.table.selected.name == "j03"


async def test_clicking_a_row_selects_it(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        # Line 0 is the header: the fourth job is on line 4 of the table.
        await pilot.click("#jobs", offset=(20, 4))
        assert app.table.selected is not None
        assert app.table.selected.name == shown(app)[3]


async def test_help_lists_the_keys(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_rerun_after_yes_creates_a_new_prowjob(app: MinprowApp, store: JobStore) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash", *"author:bob state:failure", "enter")
        assert shown(app) == ["j04"]
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: len(store) == len(SPECS) + 1)
        new = [job for job in store.list() if job.metadata.name not in {s.name for s in SPECS}]
        assert [job.spec.job for job in new] == ["pull-unit"]
        assert new[0].status.state is ProwJobState.TRIGGERED
        assert new[0].spec.refs == store.get("j04").spec.refs
        # The rerun shows up in the (still filtered) table: a fresh, triggered job.
        await pilot.press("slash", "ctrl+u", *"author:bob state:trig", "enter")
        await until(pilot, lambda: shown(app) == [new[0].metadata.name])


@pytest.mark.parametrize(
    ("answer", "state"),
    [("y", ProwJobState.ABORTED), ("n", ProwJobState.PENDING)],
    ids=["yes-aborts", "no-leaves-it"],
)
async def test_abort_asks_first(
    app: MinprowApp, store: JobStore, answer: str, state: ProwJobState
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash", *"pr:200", "enter", "a")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press(answer)
        await until(pilot, lambda: store.get("j09").status.state is state)
        await pilot.pause()
        assert store.get("j09").status.state is state


async def test_abort_of_a_finished_job_is_refused_without_asking(
    app: MinprowApp, store: JobStore
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash", *"state:success pr:101", "enter", "a")
        assert not isinstance(app.screen, ConfirmScreen)
        assert store.get("j03").status.state is ProwJobState.SUCCESS


async def test_running_durations_tick_and_finished_ones_stand_still(
    store: JobStore, tmp_path: Path
) -> None:
    clock = VirtualClock(NOW)
    app = MinprowApp(InProcessSource(store, None, Config, tmp_path), clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.pause()
        assert "3m00s" in app.export_screenshot()
        clock.advance(timedelta(seconds=75))
        # What the terminal shows, not what a fresh render would: the one-second
        # timer must redraw the running rows on screen (bounded wait).
        await until(pilot, lambda: "4m15s" in app.export_screenshot(), tries=400)
        assert "4m00s" in app.export_screenshot()  # j03 finished: it stands still


@pytest.mark.parametrize("how", ["enter", "double-click"], ids=["enter", "double-click"])
async def test_opening_a_job_shows_its_details_live(
    app: MinprowApp, store: JobStore, how: str
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("slash", *"pr:200", "enter")
        if how == "enter":
            await pilot.press("enter")
        else:
            await pilot.double_click("#jobs", offset=(20, 1))
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))
        detail = app.screen
        assert isinstance(detail, DetailScreen)
        assert detail.job.metadata.name == "j09"

        def fail(job: Any) -> Any:
            job.status.state = ProwJobState.FAILURE
            job.status.completion_time = NOW
            return job

        await store.mutate("j09", fail)
        await until(pilot, lambda: detail.job.status.state is ProwJobState.FAILURE)
        await pilot.press("escape")
        assert app.screen is not detail


async def test_c_shows_the_clusters_the_jobs_name(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, ClustersScreen))
        screen = app.screen
        assert isinstance(screen, ClustersScreen)
        await until(pilot, lambda: set(screen.health) == {"default", "build01", "build02"})
        # This app's source runs no executors: every cluster says so.
        assert {entry["reachable"] for entry in screen.health.values()} == {False}


LOGS = [
    ("j04", b"ok 1 - builds\nnot ok 2 - unit tests\n", None),
    ("j02", None, "no log"),
]


@pytest.mark.parametrize(("name", "uploaded", "error"), LOGS, ids=["uploaded", "none-yet"])
async def test_l_shows_the_selected_jobs_log(
    app: MinprowApp,
    store: JobStore,
    tmp_path: Path,
    name: str,
    uploaded: bytes | None,
    error: str | None,
) -> None:
    if uploaded is not None:
        # Where the job's build log lands in the GCS layout, under the artifacts dir.
        job = store.get(name)
        destination = destination_for(job, default_dir=tmp_path)
        destination.put_bytes(gcspaths.join(gcspaths.job_path(job), "build-log.txt"), uploaded)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        pr = store.get(name).spec.refs.pulls[0].number  # type: ignore[union-attr,index]
        job_name = store.get(name).spec.job
        await pilot.press("slash", *f"pr:{pr} job:{job_name}", "enter", "l")
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        screen = app.screen
        assert isinstance(screen, LogScreen)
        assert screen.job.metadata.name == name
        await until(pilot, lambda: screen.ended or screen.error is not None)
        if error is None:
            await until(pilot, lambda: screen.log_widget.line_count >= 2)
            assert screen.error is None
        else:
            assert screen.error is not None
            assert error in screen.error


async def test_a_source_that_fails_is_shown_in_the_header(tmp_path: Path) -> None:
    # A state directory no minprow has written: the source says so; the app shows it.
    app = MinprowApp(StateDirSource(tmp_path), clock=VirtualClock(NOW))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "holds no minprow job store" in summary(app))
        assert "⚠" in summary(app)
        assert len(app.jobs) == 0


async def test_keys_typed_in_one_burst_with_slash_all_reach_the_filter(app: MinprowApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, app.live.is_set)
        # Straight into the app's queue, with no pause between keys: a paste-fast typist.
        driver = app._driver
        assert driver is not None
        for key, char in [
            ("slash", "/"),
            *((c, c) for c in "author"),
            ("colon", ":"),
            *((c, c) for c in "bob"),
            ("enter", "\r"),
        ]:
            driver.send_message(events.Key(key, char))
        await until(pilot, lambda: app.jobs.filter.text == "author:bob")
        assert set(shown(app)) == {"j04", "j05"}
        assert not isinstance(app.screen, ConfirmScreen)
        await until(pilot, lambda: app.focused is app.table)

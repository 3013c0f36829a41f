"""DetailScreen driven headless over a real JobStore: sections, live updates, why
not running, rerun and abort through the confirm dialog, the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.markup import to_content
from textual.style import Style
from textual.widgets import Static
from tuiscreens_helpers import ScreenHost, StoreSource, load_job, until

from minprow.config import Config
from minprow.model import ProwJob, ProwJobState
from minprow.store import JobStore, open_store
from minprow.tui.screens.confirm import ConfirmScreen
from minprow.tui.screens.detail import DetailScreen
from minprow.tui.screens.logs import LogScreen
from minprow.tui.sources.inprocess import InProcessSource

NOW = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
HEALTH = {"build-east": {"context": "build-east", "server": "https://10.0.0.1", "reachable": True}}


def text(screen: DetailScreen, widget: str) -> str:
    return str(screen.query_one(f"#{widget}").render())


async def stored(store: JobStore, state: ProwJobState = ProwJobState.PENDING) -> ProwJob:
    pj = load_job("presubmit_pending")
    pj.metadata.resource_version = None
    pj.status.state = state
    return await store.create(pj)


@pytest.mark.parametrize(
    ("widget", "shown"),
    [
        ("refs", "acme/widgets"),
        ("refs", "#42 Make widgets faster by octocat, head 9f8e7d6c5b4a"),
        ("refs", "base main at 1a2b3c4d5e6f"),
        ("refs", "extra acme/test-infra"),
        ("spec", "golang:1.22"),
        ("spec", "make test WHAT=./..."),
        ("spec", "1h0m0s (grace period 30s)"),
        ("spec", "/test pull-minprow-unit"),
        ("spec", "build-east"),
        ("timings", "2026-11-24 08:00:20 UTC"),
        ("timings", "30m0s (running)"),
        ("timings", "queued for      20s"),
        ("history", "github-reporter: ◌ triggered"),
        (
            "artifacts",
            "gs://acme-prow-artifacts/pr-logs/pull/acme_widgets/42/pull-minprow-unit/1861234567890",
        ),
    ],
    ids=[
        "repo",
        "pull",
        "base",
        "extra-refs",
        "image",
        "command",
        "timeout",
        "rerun-command",
        "cluster",
        "pending-time",
        "duration-ticks",
        "queued",
        "reported",
        "artifacts",
    ],
)
async def test_sections(widget: str, shown: str) -> None:
    async with open_store("memory") as store:
        pj = await stored(store)
        screen = DetailScreen(pj, StoreSource(store, clusters=HEALTH), now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test(size=(140, 60)) as pilot:
            await pilot.pause()
            assert shown in text(screen, widget)


async def test_links_point_at_github() -> None:
    async with open_store("memory") as store:
        pj = await stored(store)
        screen = DetailScreen(pj, StoreSource(store), now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test(size=(140, 60)) as pilot:
            await pilot.pause()
            refs = screen.query_one("#refs", Static).content
            assert isinstance(refs, str)
            spans = to_content(refs).spans
            links = {Style.parse(s.style).link for s in spans if isinstance(s.style, str)} - {None}
            assert links == {
                "https://github.com/acme/widgets",
                "https://github.com/acme/widgets/tree/main",
                "https://github.com/acme/widgets/commit/1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
                "https://github.com/acme/widgets/pull/42",
                "https://github.com/octocat",
                "https://github.com/acme/widgets/pull/42/commits/9f8e7d6c5b4a39281706f5e4d3c2b1a098f7e6d5",
                "https://github.com/acme/test-infra",
                "https://github.com/acme/test-infra/tree/master",
            }


async def test_why_not_running_follows_the_store_and_cluster_health() -> None:
    down = {"build-east": {"reachable": False, "last_error": "connection refused"}}
    async with open_store("memory") as store:
        pj = await stored(store, ProwJobState.TRIGGERED)
        screen = DetailScreen(pj, StoreSource(store, clusters=down), now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test(size=(140, 60)) as pilot:
            await until(pilot, lambda: "unreachable" in text(screen, "why"))

            def hold(job: ProwJob) -> ProwJob:
                job.status.description = "waiting: plank max_concurrency 1 reached (1 running)"
                return job

            await store.mutate(pj.name, hold)
            await until(pilot, lambda: "concurrency limit" in text(screen, "why"))

            def start(job: ProwJob) -> ProwJob:
                job.status.state = ProwJobState.PENDING
                job.status.pending_time = NOW
                job.status.description = "Job triggered."
                return job

            await store.mutate(pj.name, start)
            await until(pilot, lambda: screen.job.status.state is ProwJobState.PENDING)
            # Still pending on an unreachable cluster: that is the reason shown.
            assert "unreachable" in text(screen, "why")
            assert "seen while this screen was open" in text(screen, "history")
            assert [s for _, s, _ in screen.seen] == [ProwJobState.PENDING]


@pytest.mark.parametrize(
    ("key", "answer", "created", "state"),
    [
        ("r", "y", 2, ProwJobState.PENDING),
        ("r", "n", 1, ProwJobState.PENDING),
        ("a", "y", 1, ProwJobState.ABORTED),
        ("a", "escape", 1, ProwJobState.PENDING),
    ],
    ids=["rerun", "rerun-declined", "abort", "abort-declined"],
)
async def test_rerun_and_abort_ask_first(
    key: str, answer: str, created: int, state: ProwJobState
) -> None:
    async with open_store("memory") as store:
        pj = await stored(store)
        # The in-process source: rerun and abort as `minprow up`'s TUI does them.
        source = InProcessSource(store, None, Config, Path("/nonexistent"), user="alice")
        screen = DetailScreen(pj, source, now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test(size=(140, 60)) as pilot:
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press(answer)
            await until(pilot, lambda: app.screen is screen)
            await until(pilot, lambda: len(store.list()) == created)
            await until(pilot, lambda: screen.job.status.state is state)
            await pilot.pause()
            jobs = store.list()
            assert len(jobs) == created
            if created == 2:
                (new,) = [j for j in jobs if j.name != pj.name]
                assert new.spec == pj.spec
                assert new.status.state is ProwJobState.TRIGGERED
                assert new.status.description == f"alice successfully reran {pj.name}."
            if state is ProwJobState.ABORTED:
                assert (store.get(pj.name).status.description or "").startswith("Aborted by alice")


async def test_abort_of_an_ended_job_is_refused() -> None:
    async with open_store("memory") as store:
        pj = await stored(store, ProwJobState.SUCCESS)
        screen = DetailScreen(pj, StoreSource(store), now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test() as pilot:
            await pilot.press("a")
            await pilot.pause()
            assert app.screen is screen
            assert store.get(pj.name).status.state is ProwJobState.SUCCESS


async def test_l_opens_the_log_and_escape_comes_back() -> None:
    async def log(follow: bool) -> AsyncIterator[bytes]:
        yield b"hello from the job\n"

    async with open_store("memory") as store:
        pj = await stored(store)
        screen = DetailScreen(pj, StoreSource(store, logs={pj.name: log}), now=lambda: NOW)
        app = ScreenHost(screen)
        async with app.run_test() as pilot:
            await pilot.press("l")
            await until(pilot, lambda: isinstance(app.screen, LogScreen))
            log_screen = app.screen
            assert isinstance(log_screen, LogScreen)
            await until(pilot, lambda: log_screen.log_widget.lines == ["hello from the job"])
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("escape")
            await pilot.pause()
            assert app.results == [None]


async def test_fed_by_the_app_with_follow_off() -> None:
    # The app already has a change feed: it hands each new version to update_job.
    async with open_store("memory") as store:
        pj = await stored(store)
        screen = DetailScreen(pj, StoreSource(store), now=lambda: NOW, follow=False)
        app = ScreenHost(screen)
        async with app.run_test(size=(140, 60)) as pilot:
            await pilot.pause()
            assert "Why not running" not in text(screen, "why")
            late = pj.model_copy(deep=True)
            late.status.start_time = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
            late.status.pending_time = late.status.start_time
            screen.update_job(late)
            await pilot.pause()
            assert "past its timeout and grace period (1h0m30s)" in text(screen, "why")
            ended = late.model_copy(deep=True)
            ended.status.state = ProwJobState.FAILURE
            ended.status.completion_time = NOW
            ended.status.description = "Job failed: exit code 2."
            screen.update_job(ended)
            other = ended.model_copy(deep=True)
            other.metadata.name = "another-job"
            other.status.state = ProwJobState.SUCCESS
            screen.update_job(other)  # not this screen's job: ignored
            await pilot.pause()
            assert [s for _, s, _ in screen.seen] == [ProwJobState.FAILURE]
            assert "Job failed: exit code 2." in text(screen, "why")
            assert "duration        1h30m0s" in text(screen, "timings")

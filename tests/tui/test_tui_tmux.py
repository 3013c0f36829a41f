"""`minprow tui --state-dir D` in a real terminal: tmux runs it, capture-pane reads it.

The store is a real sqlite state directory written by this test, the process is
the installed CLI, and the screen is what a user's terminal would show: the
table, a job another process adds appearing live, a typed filter, and `q`.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from terminal import Terminal, tmux, wait_for
from tuiapp_jobs import Spec, jobs, m, make_job

from minprow.model import ProwJobState, ProwJobType
from minprow.store import open_store


def write_jobs(state_dir: Path, *specs: Spec) -> None:
    async def write() -> None:
        async with open_store("sqlite", state_dir) as store:
            for job in [make_job(spec) for spec in specs] if specs else jobs():
                await store.create(job)

    asyncio.run(write())


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    write_jobs(tmp_path)
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "PYTHONPATH": os.getcwd()}
    term = Terminal(
        tmux(), [sys.executable, "-m", "minprow", "tui", "--state-dir", str(tmp_path)], env
    )
    try:
        yield term
    finally:
        term.close()


def test_minprow_tui_in_a_real_terminal(terminal: Terminal, tmp_path: Path) -> None:
    wait_for(
        lambda: all(part in terminal.screen() for part in ("ci-periodic-scale", "/ filter")),
        "the job table and the footer",
        terminal,
    )
    screen = terminal.screen()
    assert "10 jobs" in screen
    assert "✗ failure" in screen
    assert "kubernetes/test-infra#101" in screen
    assert "/ filter" in screen
    # Another process writes a job to the state directory: it shows up by itself.
    write_jobs(
        tmp_path,
        Spec(
            "j20",
            "pull-from-elsewhere",
            ProwJobType.PRESUBMIT,
            ProwJobState.PENDING,
            pr=777,
            author="zoe",
            started_ago=m(0),
        ),
    )
    wait_for(lambda: "pull-from-elsewhere" in terminal.screen(), "the new job", terminal)
    # In one burst, as a fast typist or tmux sends it: no key may get lost or
    # act as a binding (the `a` of "author" would ask to abort a job).
    terminal.keys("/author:bob", "Enter")
    wait_for(lambda: "ci-periodic-scale" not in terminal.screen(), "the filter apply", terminal)
    screen = terminal.screen()
    assert "(2 shown)" in screen
    assert "kubernetes/test-infra#102" in screen
    terminal.keys("q")
    wait_for(lambda: not terminal.alive(), "minprow tui exit on q", terminal)

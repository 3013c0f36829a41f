"""`minprow tui --state-dir D` in a real terminal: tmux runs it, capture-pane reads it.

The store is a real sqlite state directory written by this test, the process is
the installed CLI, and the screen is what a user's terminal would show: the
table, a job another process adds appearing live, a typed filter, and `q`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tuiapp_jobs import Spec, jobs, m, make_job

from minprow.model import ProwJobState, ProwJobType
from minprow.store import open_store

WIDTH, HEIGHT = 160, 30


def _tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tmux is required under CI (apt-get install -y tmux)")
        pytest.skip("tmux is not installed (apt-get install -y tmux)")
    return found


class Terminal:
    """One tmux server of our own (its own socket), one window running `command`."""

    def __init__(self, tmux: str, command: list[str], env: dict[str, str]) -> None:
        self.base = [tmux, "-L", f"minprow-test-{uuid.uuid4().hex[:8]}"]
        self.session = "tui"
        # COLUMNS and LINES in the test's environment (pytest's terminal) would
        # override the tmux window's size in the app, as they do in Python's
        # shutil.get_terminal_size.
        setenv = [f"{key}={value}" for key, value in env.items()]
        subprocess.run(
            [
                *self.base,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                self.session,
                "-x",
                str(WIDTH),
                "-y",
                str(HEIGHT),
                "env",
                "-u",
                "COLUMNS",
                "-u",
                "LINES",
                *setenv,
                *command,
            ],
            check=True,
        )
        # Without a client attached, tmux sizes the window by its default (80x24).
        subprocess.run(
            [*self.base, "resize-window", "-t", self.session, "-x", str(WIDTH), "-y", str(HEIGHT)],
            check=True,
        )

    def screen(self) -> str:
        done = subprocess.run(
            [*self.base, "capture-pane", "-p", "-t", self.session],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.base, "send-keys", "-t", self.session, *keys], check=True)

    def alive(self) -> bool:
        done = subprocess.run(
            [*self.base, "has-session", "-t", self.session], capture_output=True, check=False
        )
        return done.returncode == 0

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True, check=False)


def wait_for(check: Callable[[], bool], what: str, term: Terminal, timeout: float = 30) -> None:
    """Poll (bounded) until `check()`; on failure show the screen as it was."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"never saw {what}; the screen was:\n{term.screen()}")


def write_jobs(state_dir: Path, *specs: Spec) -> None:
    async def write() -> None:
        async with open_store("sqlite", state_dir) as store:
            for job in [make_job(spec) for spec in specs] if specs else jobs():
                await store.create(job)

    asyncio.run(write())


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    tmux = _tmux()
    write_jobs(tmp_path)
    env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "PYTHONPATH": os.getcwd()}
    term = Terminal(
        tmux, [sys.executable, "-m", "minprow", "tui", "--state-dir", str(tmp_path)], env
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

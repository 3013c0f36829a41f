"""`minprow tui` over a state directory no minprow is running against says so, in a
real terminal, and stops saying it once one runs (issue 15, item 7)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from terminal import Terminal, tmux, wait_for
from test_tui_tmux import write_jobs

from tests.conftest import free_port

NOTICE = "no minprow is running against"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    write_jobs(tmp_path / "state")
    env = {"TERM": "xterm-256color", "PYTHONPATH": os.getcwd()}
    # Wide enough that the notice fits on the header's line.
    term = Terminal(
        tmux(),
        [sys.executable, "-m", "minprow", "tui", "--state-dir", str(tmp_path / "state")],
        env,
    )
    try:
        yield term
    finally:
        term.close()


def _screen(terminal: Terminal) -> str:
    """The screen with its lines joined: a long notice may wrap."""
    return "".join(line.strip() for line in terminal.screen().splitlines())


def test_the_tui_says_when_nothing_runs_the_jobs(terminal: Terminal, tmp_path: Path) -> None:
    wait_for(lambda: NOTICE in _screen(terminal), "the no-minprow notice", terminal)
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "minprow",
            "serve",
            "--state-dir",
            str(tmp_path / "state"),
            "--port",
            str(free_port()),
            "--components",
            "plank",
            "--executor",
            "host",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: NOTICE not in _screen(terminal), "the notice gone", terminal)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
    wait_for(lambda: NOTICE in _screen(terminal), "the notice back once it stops", terminal)

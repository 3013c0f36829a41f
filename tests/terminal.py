"""A real terminal for tests: a tmux server of the test's own, its pane read back.

Used where what a user sees in a terminal is the point: the TUI, and the
interactive shell of `minprow run --shell`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable

import pytest

WIDTH, HEIGHT = 160, 30


def tmux() -> str:
    """The tmux binary; a skip without it (a failure under CI, which installs it)."""
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

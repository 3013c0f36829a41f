"""Ctrl-C in a real terminal (tmux): the TUI reads it as a key, and still it stops.

`minprow tui` quits at the first Ctrl-C, even from its filter box; `minprow up`
with its TUI stops at the first, says so once the TUI is gone, and exits at
once at the second while a clone it cannot interrupt is still in flight. The
shell around the command prints its exit code, so the terminal is seen to be
the shell's again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_helpers import SilentRemote
from terminal import Terminal, tmux, wait_for

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "run" / "interrupts"


def _terminal(command: list[str], then: str = "") -> Terminal:
    # bash, not sh: it outlives a Ctrl-C its child handled, and prints the code.
    line = " ".join(command) + f"; echo exited=$?; {then}sleep 60"
    env = {"TERM": "xterm-256color", "PYTHONPATH": os.getcwd()}
    return Terminal(tmux(), ["bash", "-c", line], env)


@pytest.fixture
def closing() -> Iterator[list[Terminal]]:
    terminals: list[Terminal] = []
    yield terminals
    for term in terminals:
        term.close()


@pytest.mark.parametrize("before", [[], ["/"]], ids=["table", "filter-box"])
def test_ctrl_c_quits_minprow_tui(
    tmp_path: Path, closing: list[Terminal], before: list[str]
) -> None:
    term = _terminal([sys.executable, "-m", "minprow", "tui", "--state-dir", str(tmp_path)])
    closing.append(term)
    wait_for(lambda: "/ filter" in term.screen(), "the TUI's footer", term)
    if before:
        term.keys(*before)
    term.keys("C-c")
    wait_for(lambda: "exited=0" in term.screen(), "minprow tui quitting on Ctrl-C", term)
    assert "/ filter" not in term.screen()  # its screen is gone: the shell's is back


def test_up_stops_at_ctrl_c_and_exits_at_once_at_the_second(
    tmp_path: Path, closing: list[Terminal]
) -> None:
    remote = SilentRemote()  # the job's clone hangs
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text((FIXTURES / "clone-hangs.yaml").read_text().replace("CLONE_URI", remote.url))
    state = tmp_path / "state"
    term = _terminal(
        [
            sys.executable, "-m", "minprow", "up", "--no-kind", "--executor", "host",
            "--config-path", str(FIXTURES / "config.yaml"), "--job-config-path", str(jobs),
            "--state-dir", str(state), "--port", str(free_port()),
        ]
    )  # fmt: skip
    closing.append(term)
    try:
        log = state / "minprow.log"  # where `up` logs while its TUI runs
        wait_for(
            lambda: log.is_file() and "cloning acme/widgets" in log.read_text(),
            "the clone in flight",
            term,
        )
        wait_for(lambda: "periodic-clone-hangs" in term.screen(), "the job in the TUI", term)
        term.keys("C-c")
        wait_for(
            lambda: "minprow up: stopping; press Ctrl-C again to exit at once" in term.screen(),
            "up stopping after its TUI quit",
            term,
        )
        assert "/ filter" not in term.screen()  # said once the TUI is gone, not over it
        assert "exited=" not in term.screen()  # the clone's thread holds it
        term.keys("C-c")
        wait_for(lambda: "exited=130" in term.screen(), "up exiting at the second Ctrl-C", term)
        assert "minprow up: SIGINT while stopping: exiting now" in term.screen()
    finally:
        remote.close()


def test_signals_that_end_up_while_its_tui_shows_leave_the_terminal_usable(
    tmp_path: Path, closing: list[Terminal]
) -> None:
    """SIGINT then SIGTERM at once: the exit comes while the TUI still holds the
    terminal raw, and puts it back (canonical mode, echo) for the shell."""
    remote = SilentRemote()
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text((FIXTURES / "clone-hangs.yaml").read_text().replace("CLONE_URI", remote.url))
    term = _terminal(
        [
            sys.executable, "-m", "minprow", "up", "--no-kind", "--executor", "host",
            "--config-path", str(FIXTURES / "config.yaml"), "--job-config-path", str(jobs),
            "--state-dir", str(tmp_path / "state"), "--port", str(free_port()),
        ],
        # The terminal's modes once `up` is gone: "icanon" and "echo", or "-icanon"...
        then="stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; ",
    )  # fmt: skip
    closing.append(term)
    try:
        wait_for(lambda: "periodic-clone-hangs" in term.screen(), "the job in the TUI", term)
        pane = subprocess.run(
            [*term.base, "list-panes", "-t", term.session, "-F", "#{pane_pid}"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        up = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", pane], capture_output=True, text=True, check=True
        ).stdout.split()[0]
        os.kill(int(up), signal.SIGINT)
        os.kill(int(up), signal.SIGTERM)
        wait_for(lambda: "exited=" in term.screen(), "up exiting", term)
        screen = term.screen()
        assert "minprow up: SIGTERM while stopping: exiting now" in screen
        assert "exited=143" in screen
        lines = screen.split()
        assert "icanon" in lines
        assert "echo" in lines
    finally:
        remote.close()

"""SIGINT and SIGTERM in a real child process: the first stops, the next ends it now.

The child (interrupts_child.py) is stuck in the ways a command gets stuck: a stop
that never ends, an event loop blocked in a call, a step before anything listens.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = Path(__file__).with_name("interrupts_child.py")
INT, TERM = signal.SIGINT, signal.SIGTERM


@pytest.mark.parametrize(
    ("mode", "deadline", "signals", "code", "said"),
    [
        ("listening", None, [INT, INT], 130, "child: SIGINT while stopping: exiting now"),
        ("listening", None, [INT, TERM], 143, "child: SIGTERM while stopping: exiting now"),
        ("listening", None, [TERM, TERM], 143, "child: SIGTERM while stopping: exiting now"),
        ("listening", 1.0, [TERM], 143, "child: did not stop within 1s: exiting now"),
        ("blocked", None, [INT, INT], 130, "child: SIGINT while stopping: exiting now"),
        ("preparing", None, [INT], 130, "child: stopping; press Ctrl-C again"),
        ("preparing", None, [TERM], 143, "child: stopping; press Ctrl-C again"),
    ],
    ids=[
        "second-ctrl-c",
        "sigterm-after-ctrl-c",
        "second-sigterm",
        "a-single-sigterm-ends-it-at-the-deadline",
        "second-ctrl-c-while-the-loop-is-blocked",
        "ctrl-c-before-anything-listens",
        "sigterm-before-anything-listens",
    ],
)
def test_the_process_ends(
    mode: str, deadline: float | None, signals: list[signal.Signals], code: int, said: str
) -> None:
    args = [sys.executable, str(CHILD), mode, *([str(deadline)] if deadline else [])]
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        for number, sig in enumerate(signals):
            child.send_signal(sig)
            if number < len(signals) - 1:
                if mode == "listening":
                    assert child.stdout.readline() == "stopping\n"
                else:
                    time.sleep(0.5)  # the handler has run; the loop cannot hear it
        sent = time.monotonic()
        out, err = child.communicate(timeout=15)
    finally:
        child.kill()
    assert child.returncode == code, err
    assert said in err
    assert "Traceback" not in err
    assert time.monotonic() - sent < (deadline or 0) + 5
    if mode == "blocked":
        assert "stopping" not in out  # it never got to it: the second signal did not wait

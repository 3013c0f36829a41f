"""Whether a minprow runs a state directory's jobs, as `minprow tui` asks it
(store/liveness.py): real flocks, and a real process killed while holding one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from minprow.store import liveness


def test_nothing_runs_an_empty_directory(tmp_path: Path) -> None:
    assert liveness.runner(tmp_path) is None


def test_the_holder_is_seen_until_it_lets_go(tmp_path: Path) -> None:
    holding, other = liveness.hold(tmp_path, "minprow up", "http://localhost:8888")
    assert (holding.held, other) == (True, None)
    assert liveness.runner(tmp_path) == liveness.Runner(
        os.getpid(), "minprow up", "http://localhost:8888"
    )
    # A second minprow on the same directory leaves the mark to the first.
    second, first = liveness.hold(tmp_path, "minprow serve", "http://localhost:9999")
    assert not second.held
    assert first is not None
    assert first.command == "minprow up"
    second.release()
    assert liveness.runner(tmp_path) is not None
    holding.release()
    assert liveness.runner(tmp_path) is None


def test_a_killed_minprow_is_not_running(tmp_path: Path) -> None:
    """The kernel drops the lock with the process; the file's words do not count."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from pathlib import Path
                from minprow.store import liveness
                holding, _ = liveness.hold(Path({str(tmp_path)!r}), "minprow up", "http://x")
                print("held", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        seen = liveness.runner(tmp_path)
        assert seen is not None
        assert seen.pid == holder.pid
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        assert liveness.runner(tmp_path) is None
        assert "minprow up" in (tmp_path / liveness.LOCK_FILE).read_text()
    finally:
        holder.kill()
        holder.wait(timeout=10)

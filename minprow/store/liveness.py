"""Whether a minprow runs the jobs of a state directory, for those who only read it.

`minprow tui` over a state directory reads the embedded store that another
process (`minprow up`, `minprow serve`) writes; a rerun it queues runs only if
that process's plank is there. Prow has no counterpart (its components always
run in the cluster), but a laptop's minprow comes and goes.

The process running plank on the store holds an exclusive `flock` on
`<state_dir>/minprow.lock` for as long as it runs, with one line of JSON in it
(pid, command, the URL it serves). A reader asks for a shared lock without
waiting: granted means nobody holds the exclusive one, so nothing runs. The
kernel drops the lock with the process, so a SIGKILLed minprow is not reported
as running, whatever its file still says.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path

from minprow.store import lockfile

LOCK_FILE = "minprow.lock"


@dataclass(frozen=True)
class Runner:
    """The process that runs a state directory's jobs, as it described itself."""

    pid: int
    command: str
    url: str

    def describe(self) -> str:
        return f"{self.command} (pid {self.pid}, {self.url})"


class Holding:
    """The lock of a running minprow; `release()` (or the process's end) lets it go."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def hold(state_dir: Path, command: str, url: str) -> tuple[Holding, Runner | None]:
    """Mark `state_dir` as run by this process. When another already holds it, the
    mark is left to that one: an unheld Holding and who it is."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK_FILE
    line = json.dumps({"pid": os.getpid(), "command": command, "url": url}) + "\n"
    fd = lockfile.take(path, line, 0o644)
    if fd is None:
        return Holding(None), _read(path)
    return Holding(fd), None


def runner(state_dir: Path) -> Runner | None:
    """Who runs `state_dir`'s jobs now; None when nothing does."""
    path = state_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read(path) or Runner(0, "minprow", "unknown")
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _read(path: Path) -> Runner | None:
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        data = json.loads(path.read_text())
        return Runner(int(data["pid"]), str(data["command"]), str(data["url"]))
    return None

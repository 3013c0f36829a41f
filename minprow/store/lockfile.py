"""A lock file held by one process: an exclusive `flock` on it while it lives, with a
line saying who holds it.

Both the webhook inbox (one consumer per state directory) and the liveness mark
of a running minprow (store/liveness.py) need it. The kernel drops a flock with
the process however it ends, so a lock file never outlives its holder, whatever
its text still says.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


def take(path: Path, holder: str, mode: int = 0o600) -> int | None:
    """Hold `path` (created with `mode` when missing) and write `holder` into it: the
    descriptor to close to let go, or None when another process holds it. OSError
    when the file cannot be opened."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, holder.encode(), 0)
    return fd

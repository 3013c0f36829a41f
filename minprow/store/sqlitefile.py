"""minprow's SQLite files (the job store's, the webhook inbox's): how they are
opened, and their WAL checkpoints, off the event loop.

`connect` opens a file as both use it: autocommit (transactions are explicit
BEGIN ... COMMIT), WAL with `synchronous=NORMAL` (a commit is durable against a
crash of the process, not of the machine: see minprow/store/sqlite.py), a
busy timeout for another process's write lock, and no automatic checkpoints.

In WAL mode SQLite copies the log back into the database file (and fsyncs it)
in a checkpoint, by default inside whichever commit crosses 1,000 pages: 5-7
ms, and far more on a slow disk, spent on the event loop by a write that
should take tens of microseconds. So a connection that writes from the loop
turns automatic checkpoints off (`PRAGMA wal_autocheckpoint = 0`) and tells a
`Checkpointer` of each commit; every `every` commits it runs a PASSIVE
checkpoint, which never blocks writers, on a worker thread with a connection of
its own. Nothing is lost if one fails or never runs: the WAL keeps every
commit until a checkpoint succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 256


def connect(
    path: Path, migrate: Callable[[sqlite3.Connection], None] | None = None
) -> sqlite3.Connection:
    """`path` opened for writing from the event loop, its schema brought up to date
    by `migrate` (the caller's); closed again when either fails."""
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA busy_timeout = 5000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA wal_autocheckpoint = 0")
        if migrate is not None:
            migrate(db)
    except BaseException:
        db.close()
        raise
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE (the write lock at once: no upgrade deadlock between two
    writers), COMMIT when the block ends, ROLLBACK when it raises."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class Checkpointer:
    """PASSIVE checkpoints of `path` on a worker thread, every `every` commits."""

    def __init__(self, path: Path, every: int = CHECKPOINT_EVERY) -> None:
        self.path = path
        self._every = every
        self._commits = 0
        self._db: sqlite3.Connection | None = None
        self._running: asyncio.Future[None] | None = None

    def committed(self) -> None:
        """Count one commit; start a checkpoint when it is due and none runs."""
        self._commits += 1
        if self._commits % self._every == 0 and self._running is None:
            loop = asyncio.get_running_loop()
            self._running = loop.run_in_executor(None, self._checkpoint)
            self._running.add_done_callback(self._done)

    async def close(self) -> None:
        """Wait for a running checkpoint, then close its connection."""
        if self._running is not None:
            await asyncio.wait([self._running])
        if self._db is not None:
            self._db.close()
            self._db = None

    def _checkpoint(self) -> None:
        if self._db is None:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _done(self, done: asyncio.Future[None]) -> None:
        self._running = None
        error = None if done.cancelled() else done.exception()
        if error is not None:
            _log.warning("WAL checkpoint of %s failed, will retry: %s", self.path, error)

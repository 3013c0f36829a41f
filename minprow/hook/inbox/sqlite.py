"""The embedded inbox: deliveries in `webhooks.db`, next to the job store's file.

Durability is the job store's (minprow/store/sqlite.py): WAL with
`synchronous=NORMAL`, so a delivery is acknowledged only after its COMMIT
returned, i.e. once it is in the WAL file the operating system holds. A SIGKILL
or a crash loses nothing acknowledged; only a power cut can lose the last few
commits. Checkpoints run on a worker thread (minprow/store/sqlitefile.py),
never inside the commit of a delivery waiting for its answer. The file is separate from `prowjobs.db` so the two never wait on each
other's write lock and each keeps its own schema version.

One process takes webhooks for a state dir: it holds an exclusive lock on
`webhooks.db.lock` for as long as the inbox is open (the kernel drops it when
the process dies, however it dies). A second `serve` with the hook on the same
state dir is refused at start, rather than replaying the first one's work.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from minprow.hook.inbox.entry import InboxEntry, InboxError
from minprow.store import lockfile
from minprow.store.sqlitefile import Checkpointer, connect, transaction

DB_FILE = "webhooks.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    received TEXT NOT NULL,
    done TEXT NOT NULL DEFAULT '',
    finished INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_unfinished ON deliveries (received) WHERE finished = 0;
CREATE INDEX deliveries_received ON deliveries (received);
CREATE TABLE payloads (
    id TEXT PRIMARY KEY,
    body BLOB NOT NULL
);
"""
# Payloads live apart from the rows that change: SQLite rewrites a whole row on
# UPDATE, and a delivery's row changes two or three times while it is handled.


def _time(when: datetime) -> str:
    # Fixed-width UTC with microseconds: text order is time order.
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _plugins(text: str) -> frozenset[str]:
    return frozenset(p for p in text.split(",") if p)


class SqliteInbox:
    """Deliveries in the SQLite file `path` (created on first open)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._lock: int | None = None
        self._checkpointer = Checkpointer(path)
        self._accepting: list[tuple[InboxEntry, asyncio.Future[bool]]] = []
        """Deliveries waiting for the commit of this turn of the loop."""

    @classmethod
    def in_dir(cls, state_dir: Path) -> SqliteInbox:
        return cls(state_dir / DB_FILE)

    @property
    def where(self) -> str:
        return str(self.path)

    async def open(self) -> list[InboxEntry]:
        db = self._connect()
        with self._errors():
            rows = db.execute(
                "SELECT d.id, d.event, d.received, d.done, p.body FROM deliveries d"
                " JOIN payloads p ON p.id = d.id WHERE d.finished = 0 ORDER BY d.received, d.rowid"
            ).fetchall()
        return [
            InboxEntry(d, event, bytes(payload), _parse_time(received), _plugins(done), True)
            for d, event, received, done, payload in rows
        ]

    async def accept(self, entry: InboxEntry) -> bool:
        # Group commit: the deliveries accepted in one turn of the event loop share
        # one transaction. A commit costs more than an insert (its WAL frames are
        # written out), and past capacity tens of deliveries arrive per turn; each
        # is still answered only after the COMMIT holding it returned.
        loop = asyncio.get_running_loop()
        kept: asyncio.Future[bool] = loop.create_future()
        self._accepting.append((entry, kept))
        if len(self._accepting) == 1:
            loop.call_soon(self._commit_accepted)
        return await kept

    def _commit_accepted(self) -> None:
        batch, self._accepting = self._accepting, []
        try:
            results = self._insert(entry for entry, _ in batch)
        except Exception as err:
            for _, kept in batch:
                if not kept.done():
                    kept.set_exception(err)
            return
        for (_, kept), result in zip(batch, results, strict=True):
            if not kept.done():  # not a request given up meanwhile
                kept.set_result(result)

    def _insert(self, entries: Iterable[InboxEntry]) -> list[bool]:
        """Insert `entries` in one transaction; for each, whether it is new (the first
        of two with one id is)."""
        with self._errors(), transaction(self._connect()) as db:
            kept = [self._insert_one(db, entry) for entry in entries]
        self._checkpointer.committed()
        return kept

    @staticmethod
    def _insert_one(db: sqlite3.Connection, entry: InboxEntry) -> bool:
        cursor = db.execute(
            "INSERT INTO deliveries (id, event, received, done) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (id) DO NOTHING",
            (
                entry.delivery_id,
                entry.event_type,
                _time(entry.received),
                ",".join(sorted(entry.done)),
            ),
        )
        if cursor.rowcount != 1:
            return False
        db.execute(
            "INSERT INTO payloads (id, body) VALUES (?, ?)",
            (entry.delivery_id, entry.body or b""),
        )
        return True

    async def progress(self, delivery_id: str, done: frozenset[str]) -> None:
        with self._errors():
            self._connect().execute(
                "UPDATE deliveries SET done = ? WHERE id = ? AND finished = 0",
                (",".join(sorted(done)), delivery_id),
            )
            self._checkpointer.committed()

    async def finish(self, delivery_id: str) -> None:
        with self._errors(), transaction(self._connect()) as db:
            db.execute("UPDATE deliveries SET finished = 1 WHERE id = ?", (delivery_id,))
            db.execute("DELETE FROM payloads WHERE id = ?", (delivery_id,))
        self._checkpointer.committed()

    async def load(self, delivery_id: str) -> bytes:
        with self._errors():
            row = (
                self._connect()
                .execute("SELECT body FROM payloads WHERE id = ?", (delivery_id,))
                .fetchone()
            )
        if row is None or row[0] is None:
            raise InboxError(f"{self.path}: delivery {delivery_id} is not waiting")
        return bytes(row[0])

    async def claim(self, entry: InboxEntry) -> bool:
        return True  # this process holds the file lock: every delivery in it is its own

    async def adopt(self, now: datetime) -> list[InboxEntry]:
        return []  # no other process can have taken deliveries here while this one runs

    async def prune(self, before: datetime) -> int:
        with self._errors():
            cursor = self._connect().execute(
                "DELETE FROM deliveries WHERE finished = 1 AND received < ?", (_time(before),)
            )
            return cursor.rowcount

    async def close(self) -> None:
        if self._accepting:
            self._commit_accepted()  # nothing waiting for its answer is left behind
        await self._checkpointer.close()
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise InboxError(f"cannot create {self.path.parent}: {err.strerror}") from err
        self._take_lock()
        with self._errors():
            # Autocommit: a statement outside BEGIN ... COMMIT is its own transaction.
            self._db = connect(self.path, self._migrate)
        return self._db

    def _take_lock(self) -> None:
        if self._lock is not None:
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = lockfile.take(lock_path, str(os.getpid()))
            holder = "" if fd is not None else lock_path.read_text()[:32].strip()
        except OSError as err:
            raise InboxError(f"cannot open {lock_path}: {err.strerror}") from err
        if fd is None:
            raise InboxError(
                f"another minprow (pid {holder or 'unknown'}) takes webhooks for "
                f"{self.path.parent}; stop it, or give this one its own --state-dir"
            )
        self._lock = fd

    def _migrate(self, db: sqlite3.Connection) -> None:
        (version,) = db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise InboxError(
                f"{self.path} has schema version {version}, newer than this minprow's "
                f"{SCHEMA_VERSION}; upgrade minprow or use another --state-dir"
            )
        if version == 0:
            with transaction(db):
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise InboxError(f"{self.path}: {exc}") from exc

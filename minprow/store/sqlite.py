"""The embedded backend: ProwJobs in one SQLite file, `prowjobs.db` under a state dir.

It stands in for etcd when there is no cluster. One row per ProwJob holds the
object's JSON plus the fields other processes query by (state, job, type,
org/repo/pull, cluster); a `meta` row holds the store-wide revision, and a
`changes` table is the bounded change log (etcd's history, with tombstones for
deletions) that `changes_since` reads, so `minprow tui --state-dir D` in another
process follows the writes of the server. The schema is versioned with
`PRAGMA user_version`.

Durability. The journal is WAL with `synchronous=NORMAL`. A write is acknowledged
(the coroutine returns) only after its transaction's COMMIT returned, and in WAL
mode a committed transaction is in the WAL file, i.e. handed to the operating
system: a process killed by SIGKILL, or crashing, loses no acknowledged write, and
the next open replays the WAL. What NORMAL gives up against FULL is the fsync per
commit, so only a power loss or kernel crash can lose the last transactions (the
file stays consistent even then). FULL would cost an fsync, milliseconds, per
write, several times the per-write budget; a ProwJob lost to a power cut is
re-triggered by its event source, one lost to a process crash would not be.

Blocking. Statements run synchronously inside the async methods: each write is a
few indexed row operations on a local file, tens of microseconds, and a hop to a
worker thread would cost more than the write itself. Nothing on the write path
scans a table. `busy_timeout` bounds the wait when another process holds the
write lock (for well under a millisecond per write). The one slow step of WAL,
the checkpoint that copies the log back into the database file (and fsyncs it,
5-7 ms every ~250 writes when SQLite does it inside a commit), is taken off the
event loop: automatic checkpoints are off for this connection, and a worker
thread with its own connection runs a PASSIVE checkpoint, which never blocks
writers, every 256 writes (minprow/store/sqlitefile.py).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from minprow.model import ProwJob
from minprow.store._codec import JobDecoder, identity_for_create, restamp, stamp
from minprow.store.errors import (
    AlreadyExists,
    Conflict,
    NotFound,
    StoreError,
    WatchExpired,
)
from minprow.store.events import EventType, WatchEvent
from minprow.store.sqlitefile import Checkpointer, connect, transaction

DB_FILE = "prowjobs.db"
SCHEMA_VERSION = 1
_COMPACT_EVERY = 64

_SCHEMA = """
CREATE TABLE meta (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    revision INTEGER NOT NULL,
    compacted INTEGER NOT NULL
);
INSERT INTO meta (id, revision, compacted) VALUES (0, 0, 0);
CREATE TABLE prowjobs (
    name TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    uid TEXT NOT NULL,
    created TEXT NOT NULL,
    state TEXT NOT NULL,
    job TEXT NOT NULL,
    type TEXT NOT NULL,
    org TEXT,
    repo TEXT,
    pull INTEGER,
    cluster TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX prowjobs_state ON prowjobs (state);
CREATE INDEX prowjobs_job ON prowjobs (job);
CREATE INDEX prowjobs_repo ON prowjobs (org, repo, pull);
CREATE TABLE changes (
    revision INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);
"""

_Columns = tuple[str, str, str, str | None, str | None, int | None, str]


def state_root() -> Path:
    """Where minprow keeps state by default: `$XDG_STATE_HOME/minprow`, or
    `~/.local/state/minprow` when that is unset (each project's store is below it:
    runtime/defaults.py)."""
    base = os.environ.get("XDG_STATE_HOME")
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".local" / "state"
    return root / "minprow"


def _columns(job: ProwJob) -> _Columns:
    refs = job.spec.refs
    pulls = refs.pulls if refs is not None else None
    return (
        job.status.state.value,
        job.spec.job,
        job.spec.type.value,
        refs.org if refs is not None else None,
        refs.repo if refs is not None else None,
        pulls[0].number if pulls else None,
        job.spec.cluster_alias,
    )


def _wire_time(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SqliteBackend:
    """Backend storing ProwJobs in `path` (a SQLite file, created on first open)."""

    def __init__(self, path: Path, *, change_log_size: int = 10_000) -> None:
        self.path = path
        self._log_size = change_log_size
        self._db: sqlite3.Connection | None = None
        self._decoder = JobDecoder()
        self._checkpointer = Checkpointer(path)

    @classmethod
    def in_dir(cls, state_dir: Path, *, change_log_size: int = 10_000) -> SqliteBackend:
        return cls(state_dir / DB_FILE, change_log_size=change_log_size)

    async def open(self) -> tuple[list[ProwJob], int]:
        with self._errors():
            db = self._connect()
            db.execute("BEGIN")
            try:
                (revision,) = db.execute("SELECT revision FROM meta").fetchone()
                jobs = [self._decoder.decode(text) for (text,) in db.execute(_SELECT_ALL)]
            finally:
                db.execute("COMMIT")
            return jobs, revision

    async def create(self, job: ProwJob) -> ProwJob:
        uid, created = identity_for_create(job)
        with self._errors(), self._write() as db:
            revision = self._next_revision(db)
            text = stamp(job, revision=revision, uid=uid, created=created)
            try:
                db.execute(
                    _INSERT,
                    (job.metadata.name, revision, uid, _wire_time(created), *_columns(job), text),
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyExists(job.metadata.name) from exc
            self._log_change(db, revision, EventType.ADDED, job.metadata.name, text)
        return self._decoder.decode(text)

    async def update(self, job: ProwJob) -> ProwJob:
        name = job.metadata.name
        with self._errors(), self._write() as db:
            row = db.execute(
                "SELECT revision, uid, created FROM prowjobs WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise NotFound(name)
            stored, uid, created = row
            if job.metadata.resource_version != str(stored):
                raise Conflict(name, expected=job.metadata.resource_version, actual=str(stored))
            revision = self._next_revision(db)
            text = stamp(job, revision=revision, uid=uid, created=datetime.fromisoformat(created))
            db.execute(_UPDATE, (revision, *_columns(job), text, name))
            self._log_change(db, revision, EventType.MODIFIED, name, text)
        return self._decoder.decode(text)

    async def delete(self, name: str, resource_version: str | None = None) -> ProwJob:
        with self._errors(), self._write() as db:
            row = db.execute(
                "SELECT revision, data FROM prowjobs WHERE name = ?", (name,)
            ).fetchone()
            if row is None:
                raise NotFound(name)
            stored, text = row
            if resource_version is not None and resource_version != str(stored):
                raise Conflict(name, expected=resource_version, actual=str(stored))
            revision = self._next_revision(db)
            tombstone = restamp(text, revision)
            db.execute("DELETE FROM prowjobs WHERE name = ?", (name,))
            self._log_change(db, revision, EventType.DELETED, name, tombstone)
        return self._decoder.decode(tombstone)

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        with self._errors():
            db = self._connect()
            db.execute("BEGIN")
            try:
                (compacted,) = db.execute("SELECT compacted FROM meta").fetchone()
                if revision < compacted:
                    raise WatchExpired(
                        f"{self.path}: revision {revision} is compacted; "
                        f"changes are kept from {compacted} on"
                    )
                rows = db.execute(
                    "SELECT revision, type, data FROM changes WHERE revision > ? ORDER BY revision",
                    (revision,),
                ).fetchall()
            finally:
                db.execute("COMMIT")
        return [
            WatchEvent(EventType(kind), self._decoder.decode(text), rev) for rev, kind, text in rows
        ]

    async def close(self) -> None:
        await self._checkpointer.close()
        if self._db is not None:
            self._db.close()
            self._db = None

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = connect(self.path, self._migrate)
        return self._db

    def _migrate(self, db: sqlite3.Connection) -> None:
        with transaction(db):  # one process creates the schema; the others wait
            (version,) = db.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {version}, newer than this minprow's "
                    f"{SCHEMA_VERSION}; upgrade minprow or use another --state-dir"
                )
            if version == 0:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with transaction(self._connect()) as db:
            yield db
        self._checkpointer.committed()

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    @staticmethod
    def _next_revision(db: sqlite3.Connection) -> int:
        (revision,) = db.execute("SELECT revision FROM meta").fetchone()
        return int(revision) + 1

    def _log_change(
        self, db: sqlite3.Connection, revision: int, kind: EventType, name: str, text: str
    ) -> None:
        db.execute(
            "INSERT INTO changes (revision, type, name, data) VALUES (?, ?, ?, ?)",
            (revision, kind.value, name, text),
        )
        db.execute("UPDATE meta SET revision = ?", (revision,))
        horizon = revision - self._log_size
        if horizon > 0 and revision % _COMPACT_EVERY == 0:
            db.execute("DELETE FROM changes WHERE revision <= ?", (horizon,))
            db.execute("UPDATE meta SET compacted = max(compacted, ?)", (horizon,))


_SELECT_ALL = "SELECT data FROM prowjobs"
_INSERT = (
    "INSERT INTO prowjobs (name, revision, uid, created, state, job, type, org, repo, pull,"
    " cluster, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE = (
    "UPDATE prowjobs SET revision = ?, state = ?, job = ?, type = ?, org = ?, repo = ?,"
    " pull = ?, cluster = ?, data = ? WHERE name = ?"
)

"""The JobStore: ProwJobs cached and indexed in memory in front of a persistent backend.

`open_store("sqlite", state_dir)` (the embedded default) or `open_store("memory")`
returns an unstarted store: `async with open_store(...) as store: ...`.
"""

from __future__ import annotations

from pathlib import Path

from minprow.store._codec import copy_job
from minprow.store._watch import Watch
from minprow.store.backend import Backend
from minprow.store.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    NotFound,
    StoreError,
    WatchExpired,
)
from minprow.store.events import EventType, WatchEvent
from minprow.store.jobstore import JobStore, Mutation
from minprow.store.memory import MemoryBackend
from minprow.store.sqlite import DB_FILE, SqliteBackend, default_state_dir

STORE_KINDS = ("sqlite", "memory")


def open_store(kind: str = "sqlite", state_dir: Path | None = None) -> JobStore:
    """A JobStore over the named backend; sqlite keeps `prowjobs.db` in `state_dir`
    (default: `default_state_dir()`). Start it (or `async with` it) before use."""
    if kind == "memory":
        return JobStore(MemoryBackend())
    if kind == "sqlite":
        return JobStore(SqliteBackend.in_dir(state_dir or default_state_dir()))
    raise ValueError(f"unknown job store {kind!r}; expected one of {', '.join(STORE_KINDS)}")


__all__ = [
    "DB_FILE",
    "STORE_KINDS",
    "AlreadyExists",
    "Backend",
    "Conflict",
    "EventType",
    "Invalid",
    "JobStore",
    "MemoryBackend",
    "Mutation",
    "NotFound",
    "SqliteBackend",
    "StoreError",
    "Watch",
    "WatchEvent",
    "WatchExpired",
    "copy_job",
    "default_state_dir",
    "open_store",
]

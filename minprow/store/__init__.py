"""The JobStore: ProwJobs cached and indexed in memory in front of a persistent backend.

`open_store("sqlite", state_dir)` (the embedded default), `open_store("memory")` or
`open_store("kube", url=..., namespace=...)` (ProwJob custom resources) returns an
unstarted store: `async with open_store(...) as store: ...`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

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
from minprow.store.sqlite import DB_FILE, SqliteBackend, state_root

if TYPE_CHECKING:
    from minprow.store.kube import ApiClientFactory

STORE_KINDS = ("sqlite", "memory", "kube")


def open_store(
    kind: str = "sqlite",
    state_dir: Path | None = None,
    *,
    api_client_factory: ApiClientFactory | None = None,
    url: str | None = None,
    token: str | None = None,
    ca_file: str | None = None,
    namespace: str = "default",
) -> JobStore:
    """A JobStore over the named backend; sqlite keeps `prowjobs.db` in `state_dir`
    (each command derives it from the project: runtime/defaults.py); kube talks to the API server of
    `api_client_factory`, or at `url` with `token` and `ca_file`, and keeps the
    ProwJobs in `namespace` (config's `prowjob_namespace`). Start it (or
    `async with` it) before use."""
    if kind == "kube":
        # Imported here: the kubernetes client costs every other store its import time.
        from minprow.store.kube import KubeBackend, api_client_for

        if api_client_factory is None:
            if url is None:
                raise ValueError("the kube job store needs api_client_factory or url")
            api_client_factory = api_client_for(url, token=token, ca_file=ca_file)
        return JobStore(KubeBackend(api_client_factory, namespace))
    if kind == "memory":
        return JobStore(MemoryBackend())
    if kind == "sqlite":
        if state_dir is None:
            raise ValueError("the sqlite job store needs a state directory")
        return JobStore(SqliteBackend.in_dir(state_dir))
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
    "open_store",
    "state_root",
]

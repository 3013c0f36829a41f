"""An in-memory backend: for tests and throwaway runs.

It behaves as the persistent backends do — the same revisions, preconditions,
server-owned metadata and bounded change log — and stores the objects as JSON
text, so what it hands back went through the same serialisation as a real write.
Its state outlives `close()`: opening the same instance again is a "restart".
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from minprow.model import ProwJob
from minprow.store._codec import JobDecoder, identity_for_create, restamp, stamp
from minprow.store.errors import AlreadyExists, Conflict, NotFound, WatchExpired
from minprow.store.events import EventType, WatchEvent


@dataclass(slots=True)
class _Record:
    revision: int
    uid: str
    created: datetime
    text: str


class MemoryBackend:
    """Backend keeping ProwJobs in process memory; `change_log_size` changes are retained."""

    def __init__(self, *, change_log_size: int = 10_000) -> None:
        self._records: dict[str, _Record] = {}
        self._log: deque[tuple[int, EventType, str]] = deque()
        self._log_size = change_log_size
        self._revision = 0
        self._compacted = 0
        self._decoder = JobDecoder()

    async def open(self) -> tuple[list[ProwJob], int]:
        return [self._decoder.decode(r.text) for r in self._records.values()], self._revision

    async def create(self, job: ProwJob) -> ProwJob:
        uid, created = identity_for_create(job)
        if job.metadata.name in self._records:
            raise AlreadyExists(job.metadata.name)
        return self._write(job, uid, created, EventType.ADDED)

    async def update(self, job: ProwJob) -> ProwJob:
        name = job.metadata.name
        record = self._records.get(name)
        if record is None:
            raise NotFound(name)
        if job.metadata.resource_version != str(record.revision):
            raise Conflict(
                name, expected=job.metadata.resource_version, actual=str(record.revision)
            )
        return self._write(job, record.uid, record.created, EventType.MODIFIED)

    async def delete(self, name: str, resource_version: str | None = None) -> ProwJob:
        record = self._records.get(name)
        if record is None:
            raise NotFound(name)
        if resource_version is not None and resource_version != str(record.revision):
            raise Conflict(name, expected=resource_version, actual=str(record.revision))
        revision = self._revision + 1
        text = restamp(record.text, revision)
        del self._records[name]
        self._log_change(revision, EventType.DELETED, text)
        return self._decoder.decode(text)

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        if revision < self._compacted:
            raise WatchExpired(
                f"revision {revision} is compacted; changes are kept from {self._compacted} on"
            )
        return [
            WatchEvent(kind, self._decoder.decode(text), rev)
            for rev, kind, text in self._log
            if rev > revision
        ]

    async def close(self) -> None:
        """Nothing to release; the state stays for a later `open`."""

    def _write(self, job: ProwJob, uid: str, created: datetime, kind: EventType) -> ProwJob:
        revision = self._revision + 1
        text = stamp(job, revision=revision, uid=uid, created=created)
        self._records[job.metadata.name] = _Record(revision, uid, created, text)
        self._log_change(revision, kind, text)
        return self._decoder.decode(text)

    def _log_change(self, revision: int, kind: EventType, text: str) -> None:
        self._revision = revision
        self._log.append((revision, kind, text))
        while len(self._log) > self._log_size:
            self._compacted = self._log.popleft()[0]

"""The persistence interface every JobStore backend implements.

A backend is the source of truth (etcd behind the Kubernetes API, in Prow's case);
the JobStore in front of it is a cache with indexes and a change feed. Backends
share Kubernetes' semantics, which the one contract suite in tests/store/ checks
against each of them:

- every write bumps one store-wide, strictly increasing revision (etcd's
  revision); an object's `metadata.resourceVersion` is the revision of its last
  write, as a decimal string;
- `update` and a `delete` with a precondition are compare-and-swap on
  resourceVersion: stale raises `Conflict`, a missing object `NotFound`;
- `uid` and `creationTimestamp` are set on create (when unset) and are immutable
  afterwards: `update` keeps the stored values whatever the caller sends;
- a bounded change log (with tombstones for deletions) serves `changes_since`, so
  another process can follow the writes; a revision older than the log raises
  `WatchExpired`, and the follower lists again with `open`.

Objects a backend returns are fresh, never shared with the caller's argument.
"""

from __future__ import annotations

from typing import Protocol

from minprow.model import ProwJob
from minprow.store.events import WatchEvent


class Backend(Protocol):
    async def open(self) -> tuple[list[ProwJob], int]:
        """Connect (first call) and return every stored ProwJob and the current revision.

        The list and the revision are one consistent snapshot. Calling it again
        re-lists: that is how a follower recovers from `WatchExpired`.
        """
        ...

    async def create(self, job: ProwJob) -> ProwJob:
        """Store a new ProwJob; `AlreadyExists` if the name is taken.

        `metadata.resourceVersion` must be unset (`Invalid` otherwise); the stored
        object gets the new revision, and a uid and creationTimestamp when unset.
        """
        ...

    async def update(self, job: ProwJob) -> ProwJob:
        """Replace a ProwJob if its resourceVersion is the stored one (`Conflict` if not)."""
        ...

    async def delete(self, name: str, resource_version: str | None = None) -> ProwJob:
        """Remove a ProwJob, if given only at that resourceVersion; returns its last state."""
        ...

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        """Every change after `revision`, in revision order (`WatchExpired` if compacted)."""
        ...

    async def close(self) -> None:
        """Release the backend's resources; a later `open` reconnects."""
        ...

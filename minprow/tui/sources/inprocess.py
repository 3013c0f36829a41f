"""The in-process JobSource: the TUI inside `minprow up`, over the JobStore itself.

The app shares the loop with hook, plank and the rest, so the store's own change
feed is read directly (`store.list()` then `store.watch(revision)`: an informer's
list+watch, as Deck's job list is fed from its ProwJob informer in
pkg/deck/jobs/jobs.go). Rerun, abort and logs go through the same job actions the
HTTP API uses, so a rerun from the TUI is the ProwJob a rerun from Deck makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minprow import pjutil
from minprow.config import Config
from minprow.executors.clusterhealth import cluster_health
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob, ProwJobState
from minprow.store import EventType, JobStore, NotFound, StoreError, WatchExpired
from minprow.tui.source import EventKind, JobEvent, SourceError

USER = "minprow tui"
"""Who reruns and aborts from the in-process TUI, in the job's description."""

_KINDS: dict[EventType, EventKind] = {
    EventType.ADDED: "ADDED",
    EventType.MODIFIED: "MODIFIED",
    EventType.DELETED: "DELETED",
}


class InProcessSource:
    """The jobs of `store` (started, in this loop), run by the executors of `clusters`."""

    def __init__(
        self,
        store: JobStore,
        clusters: ClusterMap | None,
        config: Callable[[], Config],
        artifacts_dir: Path,
    ) -> None:
        self._store = store
        self._clusters = clusters
        self._config = config
        self._artifacts_dir = artifacts_dir

    @property
    def description(self) -> str:
        return "in-process"

    async def snapshot(self) -> tuple[list[ProwJob], int]:
        return self._store.list(), self._store.revision

    async def changes(self, since: int) -> AsyncIterator[JobEvent]:
        # The jobs the app has, so a re-list can tell it which ones went meanwhile.
        known = {job.metadata.name: job for job in self._store.list()}
        while True:
            try:
                async with self._store.watch(since) as watch:
                    async for event in watch:
                        name = event.object.metadata.name
                        if event.type is EventType.DELETED:
                            known.pop(name, None)
                        else:
                            known[name] = event.object
                        yield JobEvent(_KINDS[event.type], event.object, event.revision)
                return  # the store closed: the feed is over
            except WatchExpired:
                # The app fell behind the store's bounded queue: list again. Jobs
                # deleted meanwhile are reported as such, or the table would keep them.
                since = self._store.revision
                fresh = {job.metadata.name: job for job in self._store.list()}
                for name in known.keys() - fresh.keys():
                    yield JobEvent("DELETED", known[name], since)
                known = fresh
                for job in fresh.values():
                    yield JobEvent("ADDED", job, since)

    async def logs(self, name: str, *, follow: bool) -> AsyncIterator[bytes]:
        raise SourceError(f"no log for {name} yet")
        yield b""

    async def rerun(self, name: str) -> str:
        try:
            old = self._store.get(name)
            new = pjutil.rerun(
                old,
                now=datetime.now(UTC),
                user=USER,
                namespace=self._config().prowjob_namespace or None,
            )
            created = await self._store.create(new)
        except StoreError as err:
            raise SourceError(f"cannot rerun {name}: {err}") from err
        return created.metadata.name

    async def abort(self, name: str) -> None:
        def mark(job: ProwJob) -> ProwJob | None:
            if job.status.state.is_final:
                return None
            job.status.state = ProwJobState.ABORTED
            job.status.description = f"Aborted by {USER}."
            return job

        try:
            await self._store.mutate(name, mark)
        except (NotFound, StoreError) as err:
            raise SourceError(f"cannot abort {name}: {err}") from err

    async def clusters(self) -> dict[str, dict[str, Any]]:
        # The clusters jobs name count too, as in the API's /api/v1/clusters.
        used = {job.spec.cluster_alias for job in self._store.list()}
        return await cluster_health(self._clusters, used)

    async def close(self) -> None:
        """Nothing to release: the store belongs to `minprow up`, which closes it."""

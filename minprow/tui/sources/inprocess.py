"""The in-process JobSource: the TUI inside `minprow up`, over the JobStore itself.

The app shares the loop with hook, plank and the rest, so the store's own change
feed is read directly (`store.list()` then `store.watch(revision)`: an informer's
list+watch, as Deck's job list is fed from its ProwJob informer in
pkg/deck/jobs/jobs.go). Rerun and abort go through `store.actions` and logs through
`executors.joblog`, as in the HTTP API: a rerun from the TUI is the ProwJob a rerun
from Deck makes, and a log is found where the API finds it.
"""

from __future__ import annotations

import contextlib
import getpass
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from minprow.aio import Clock, SystemClock
from minprow.config import Config
from minprow.executors import joblog
from minprow.executors.base import ExecutorError
from minprow.executors.clusterhealth import cluster_health
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob
from minprow.store import JobStore, NotFound, StoreError, actions
from minprow.tui.source import THROUGH, JobEvent, SourceError
from minprow.tui.sources._follow import follow_store


class InProcessSource:
    """The jobs of `store` (started, in this loop), run by the executors of `clusters`."""

    def __init__(
        self,
        store: JobStore,
        clusters: ClusterMap | None,
        config: Callable[[], Config],
        artifacts_dir: Path,
        *,
        clock: Clock | None = None,
        user: str | None = None,
    ) -> None:
        """`user` is who reruns and aborts (in the jobs' descriptions); by default
        the login name of whoever runs `minprow up`."""
        self._store = store
        self._clock: Clock = clock or SystemClock()
        self._user = user or _login()
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
        try:
            async for event in follow_store(self._store, since, known):
                yield event
        except StoreError as err:  # closed under us (minprow up is stopping)
            raise SourceError(f"the job store's change feed failed: {err}") from err

    async def logs(self, name: str, *, follow: bool) -> AsyncIterator[bytes]:
        try:
            job = self._store.get(name)
            source = await joblog.job_log(job, self._clusters, self._artifacts_dir, follow=follow)
        except (NotFound, joblog.NoLog) as err:
            raise SourceError(str(err)) from err
        async with contextlib.aclosing(source) as chunks:
            try:
                async for chunk in chunks:
                    yield chunk
            except ExecutorError as err:
                raise SourceError(f"the log of {name} ended early: {err}") from err

    async def rerun(self, name: str) -> str:
        namespace = self._config().prowjob_namespace or None
        try:
            created = await actions.rerun(
                self._store, name, by=self._user, now=self._clock.now(), namespace=namespace
            )
        except StoreError as err:  # NotFound among them
            raise SourceError(f"cannot rerun {name}: {err}") from err
        return created.metadata.name

    async def abort(self, name: str) -> None:
        try:
            await actions.abort(self._store, name, by=self._user, through=THROUGH)
        except StoreError as err:  # AlreadyFinished among them: its message says so
            raise SourceError(f"cannot abort {name}: {err}") from err

    def idle(self) -> str | None:
        return None  # the process showing it runs the jobs

    async def clusters(self) -> dict[str, dict[str, Any]]:
        # The clusters jobs name count too, as in the API's /api/v1/clusters.
        used = {job.spec.cluster_alias for job in self._store.list()}
        return await cluster_health(self._clusters, used)

    async def close(self) -> None:
        """Nothing to release: the store belongs to `minprow up`, which closes it."""


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return "minprow up"

"""The state-directory JobSource: `minprow tui --state-dir D` over the embedded store
that another minprow process (`minprow up`, `minprow serve` with sqlite) writes.

Prow has no counterpart (Deck reads the ProwJobs through the API server); this is
a second informer on the same SQLite file. The file is opened as a JobStore of its
own; SQLite has no cross-process notification, so a guarded task calls the store's
`refresh()` every `interval` (half a second by default): one indexed
`SELECT ... WHERE revision > ?` that finds nothing most of the time (about a
hundred microseconds, measured in the tests' figures), and that otherwise applies
the other process's changes to the cache and publishes them on the store's own
change feed, which `changes` reads. When the other process's change log has moved
past this cache (compacted), `refresh()` re-lists and the feed expires: the source
reports the deletions it missed and starts over with ADDED events.

Rerun and abort are the shared job actions (`store.actions`) written to the same
file: the other process's plank picks them up on its own refresh. Whether there
is such a process is its lock on the state directory (store/liveness.py); when
there is none, the app says so. Logs: a finished
job's build log from the artifacts (`D/artifacts`, or where its decoration
uploads); a running job's output from the local executor that has it (host
processes under `D/workspaces/host`, Docker containers labelled for the job),
else a SourceError that says to attach with `--url`.
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
from collections.abc import AsyncGenerator
from pathlib import Path
from typing import Any

from minprow.aio import Clock, GuardedTask, SystemClock
from minprow.executors import joblog
from minprow.executors.base import Executor, ExecutorError
from minprow.executors.clusterhealth import cluster_health
from minprow.executors.clusters import ClusterMap
from minprow.executors.host import HostExecutor
from minprow.model import ProwJob
from minprow.store import (
    DB_FILE,
    JobStore,
    NotFound,
    StoreError,
    actions,
    liveness,
    open_store,
)
from minprow.tui.source import THROUGH, JobEvent, SourceError
from minprow.tui.sources._follow import follow_store

log = logging.getLogger("minprow.tui")

REFRESH_INTERVAL = 0.5
"""Seconds between looks for another process's writes: quick enough to feel live."""


class StateDirSource:
    """The jobs of the minprow state directory `state_dir`, followed as they change."""

    def __init__(
        self,
        state_dir: Path,
        *,
        interval: float = REFRESH_INTERVAL,
        clock: Clock | None = None,
        user: str | None = None,
    ) -> None:
        self._dir = Path(state_dir)
        self._interval = interval
        self._clock = clock or SystemClock()
        self._user = user or _login()
        self._store: JobStore | None = None
        self._opening = asyncio.Lock()
        self._refresher: GuardedTask | None = None
        self._executors: list[Executor] | None = None
        self._listed: tuple[int, dict[str, ProwJob]] | None = None

    @property
    def description(self) -> str:
        return str(self._dir)

    async def snapshot(self) -> tuple[list[ProwJob], int]:
        store = await self._started()
        jobs, revision = store.list(), store.revision
        self._listed = (revision, {job.metadata.name: job for job in jobs})
        return jobs, revision

    async def changes(self, since: int) -> AsyncGenerator[JobEvent, None]:
        store = await self._started()
        # The jobs the app has, so a re-list can tell it which ones went meanwhile:
        # those of the snapshot `since` comes from (the feed starts at its first
        # `anext`, after the cache may have moved on).
        listed, self._listed = self._listed, None
        if listed is not None and listed[0] == since:
            known = listed[1]
        else:
            known = {job.metadata.name: job for job in store.list()}
        try:
            async for event in follow_store(store, since, known):
                yield event
        except StoreError as err:
            raise SourceError(f"{self._dir}: the job store cannot be followed: {err}") from err

    async def logs(self, name: str, *, follow: bool) -> AsyncGenerator[bytes, None]:
        job = self._job(await self._started(), name)
        source = await self._log_source(job, follow=follow)
        async with contextlib.aclosing(source) as chunks:
            try:
                async for chunk in chunks:
                    yield chunk
            except ExecutorError as err:
                raise SourceError(f"the log of {name} ended early: {err}") from err

    async def rerun(self, name: str) -> str:
        store = await self._started()
        try:
            created = await actions.rerun(store, name, by=self._user, now=self._clock.now())
        except NotFound as err:
            raise SourceError(f"cannot rerun {name}: no such job in {self._dir}") from err
        except StoreError as err:
            raise SourceError(f"cannot rerun {name}: {err}") from err
        return created.metadata.name

    async def abort(self, name: str) -> None:
        store = await self._started()
        try:
            await actions.abort(store, name, by=self._user, through=THROUGH)
        except NotFound as err:
            raise SourceError(f"cannot abort {name}: no such job in {self._dir}") from err
        except StoreError as err:  # AlreadyFinished among them: its message says so
            raise SourceError(f"cannot abort {name}: {err}") from err

    def idle(self) -> str | None:
        if liveness.runner(self._dir) is not None:
            return None
        return (
            f"no minprow is running against {self._dir}: start `minprow up` (or `minprow "
            "serve`) there to run queued jobs"
        )

    async def clusters(self) -> dict[str, dict[str, Any]]:
        """The clusters the jobs name, as this machine runs them: the embedded store
        belongs to a minprow that runs its jobs locally, on Docker when it answers."""
        store = await self._started()
        executors = await self._local_executors()
        used = {job.spec.cluster_alias for job in store.list()}
        return await cluster_health(ClusterMap(fallback=executors[-1]), used)

    async def close(self) -> None:
        if self._refresher is not None:
            await self._refresher.stop()
            self._refresher = None
        if self._store is not None:
            await self._store.close()
            self._store = None

    # Internals.

    async def _started(self) -> JobStore:
        async with self._opening:
            if self._store is not None:
                return self._store
            if not (self._dir / DB_FILE).is_file():
                raise SourceError(
                    f"{self._dir} holds no minprow job store ({DB_FILE} is missing): start "
                    f"`minprow up --state-dir {self._dir}`, or attach to a server with --url"
                )
            store = open_store("sqlite", self._dir)
            try:
                await store.start()
            except StoreError as err:
                raise SourceError(f"cannot open the job store in {self._dir}: {err}") from err
            self._store = store
            self._refresher = GuardedTask(
                "tui-statedir-refresh", self._follow, initial_backoff=self._interval
            )
            self._refresher.start()
            return store

    async def _follow(self) -> None:
        """Apply the other process's writes to the cache (and so to the change feed)."""
        while True:
            store = self._store
            if store is None:
                return
            try:
                await store.refresh()
            except StoreError as err:  # a locked or vanished file: say so, try again
                log.warning("%s: cannot read the other process's changes: %s", self._dir, err)
            await self._clock.sleep(self._interval)

    def _job(self, store: JobStore, name: str) -> ProwJob:
        try:
            return store.get(name)
        except NotFound as err:
            raise SourceError(f"no job {name!r} in {self._dir}") from err

    async def _log_source(self, job: ProwJob, *, follow: bool) -> AsyncGenerator[bytes, None]:
        artifacts = self._dir / "artifacts"
        for executor in await self._local_executors():
            if await joblog.running_on(job, ClusterMap(fallback=executor)) is not None:
                return await joblog.job_log(
                    job, ClusterMap(fallback=executor), artifacts, follow=follow
                )
        try:
            return await joblog.job_log(job, None, artifacts, follow=follow)
        except joblog.NoLog as err:
            if job.status.state.is_final:
                raise SourceError(str(err)) from err
            raise SourceError(
                f"{job.metadata.name} is {job.status.state} and its process is not on this "
                "machine (neither a host process nor a Docker container of it): it runs in "
                "another cluster; attach to its server with `minprow tui --url` to read its log"
            ) from err

    async def _local_executors(self) -> list[Executor]:
        """The executors that can find another process's jobs on this machine: host
        processes by their workspace files, then Docker containers by their labels."""
        if self._executors is None:
            artifacts = self._dir / "artifacts"
            found: list[Executor] = [
                HostExecutor(self._dir / "workspaces" / "host", artifacts, self._clock)
            ]
            docker = await _docker_executor(self._dir, artifacts, self._clock)
            if docker is not None:
                found.append(docker)
            self._executors = found
        return self._executors


async def _docker_executor(state_dir: Path, artifacts: Path, clock: Clock) -> Executor | None:
    """The Docker executor when the SDK is installed and the engine answers, else None."""
    try:
        # Lazy: the SDK is heavy, and only the log of a running job needs it.
        import docker

        from minprow.executors.docker import DockerExecutor
    except ImportError:
        return None

    def ping() -> bool:
        client = docker.from_env(timeout=5)
        try:
            return bool(client.ping())
        finally:
            client.close()

    try:
        if not await asyncio.to_thread(ping):
            return None
    except Exception as err:  # the SDK raises several kinds for "no engine here"
        log.info("no Docker engine for running jobs' logs: %s", err)
        return None
    return DockerExecutor(
        workspaces_dir=state_dir / "workspaces" / "docker", artifacts_dir=artifacts, clock=clock
    )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password file
        return "someone"

"""A job's log, wherever it is now: its executor's output while the process exists,
the `build-log.txt` of its artifacts once it has been uploaded.

Corresponds to Deck's log handler (pkg/deck/main.go `handleLog`, which asks the
build cluster's pod log while the job runs and the spyglass artifact once it has
finished). One implementation for every front end: the HTTP API's log endpoint
and the TUI's in-process and state-directory sources.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path

from minprow.executors.base import Executor, ExecutorError, Phase
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJob
from minprow.podutils import destination_for, gcspaths
from minprow.podutils.upload import UploadError

log = logging.getLogger("minprow.joblog")

BUILD_LOG = "build-log.txt"


class NoLog(Exception):
    """The job has no log to show: no process holds it and no build log was uploaded."""


async def job_log(
    job: ProwJob, clusters: ClusterMap | None, artifacts_dir: Path, *, follow: bool
) -> AsyncGenerator[bytes, None]:
    """The job's output as chunks of bytes, or NoLog when there is none.

    While the job is unfinished and its executor has its process, the executor's
    `logs` (with `follow`, until the process ends). Once finished, the uploaded
    build log (under `artifacts_dir` unless the job's decoration names its own
    place). A finished job whose log was not uploaded yet falls back to what its
    process left. The choice is made before this returns, so a caller can answer
    "no log" before it starts streaming; errors of the stream itself
    (ExecutorError) come while iterating. Close the generator when done
    (`contextlib.aclosing`)."""
    name = job.metadata.name
    executor = await running_on(job, clusters)
    if executor is not None and not job.status.state.is_final:
        return _relay(executor.logs(name, follow=follow))
    stored = await build_log(job, artifacts_dir)
    if stored is not None:
        return _once(stored)
    if executor is not None:
        return _relay(executor.logs(name, follow=False))
    raise NoLog(f"prowjob {name!r} has no log: neither its process nor a {BUILD_LOG}")


async def running_on(job: ProwJob, clusters: ClusterMap | None) -> Executor | None:
    """The executor that has the job's process (running or ended, not cleaned up)."""
    executor = clusters.get(job.spec.cluster_alias) if clusters else None
    if executor is None:
        return None
    try:
        seen = await executor.observe(job.metadata.name)
    except ExecutorError as err:
        log.info("cannot observe %s for its log: %s", job.metadata.name, err)
        return None
    return None if seen.phase is Phase.MISSING else executor


async def build_log(job: ProwJob, artifacts_dir: Path) -> bytes | None:
    """The job's uploaded `build-log.txt`, or None when it is not (yet) there."""

    def read() -> bytes:
        destination = destination_for(job, default_dir=artifacts_dir)
        return destination.get_bytes(gcspaths.join(gcspaths.job_path(job), BUILD_LOG))

    try:
        return await asyncio.to_thread(read)
    except (UploadError, ValueError, KeyError, OSError):
        return None


async def _once(data: bytes) -> AsyncGenerator[bytes, None]:
    yield data


async def _relay(source: AsyncIterator[bytes]) -> AsyncGenerator[bytes, None]:
    """The executor's chunks, its own iterator closed with ours (it may hold a stream)."""
    try:
        async for chunk in source:
            if chunk:
                yield chunk
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()

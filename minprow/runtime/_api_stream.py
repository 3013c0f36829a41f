"""The API's streams: the watch of the JobStore's change feed and a job's log.

The watch speaks a Kubernetes watch as newline-delimited JSON
(`{"type", "revision", "object"}` a line), as the list+watch of a client-go
informer when no `since` is given. A job's log corresponds to Deck's `/log`
(pkg/deck/main.go `handleLog`): a running job's output from its executor, a
finished job's `build-log.txt` from where its artifacts went. A stream ends
when its source does, when the client goes away, or when the server shuts down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import TypeVar, cast

from aiohttp import web

from minprow.executors.base import Executor, ExecutorError, Phase
from minprow.model import ProwJob
from minprow.podutils import destination_for, gcspaths
from minprow.podutils.upload import UploadError
from minprow.runtime._api_wire import ApiContext, dumps, error, no_cache, shown
from minprow.store import NotFound, StoreError, WatchExpired

log = logging.getLogger("minprow.api")

T = TypeVar("T")
POLL = 0.25
"""Seconds between checks that the client is still there."""
BUILD_LOG = "build-log.txt"
_BATCH = 256
"""Jobs of the initial list written at once."""
_DONE = object()


async def _next(source: AsyncIterator[T]) -> T | object:
    try:
        return await anext(source)
    except StopAsyncIteration:
        return _DONE


async def pump(
    request: web.Request, source: AsyncIterator[T], ctx: ApiContext, heartbeat: float | None
) -> AsyncGenerator[T | None, None]:
    """The items of `source`, and None after `heartbeat` quiet seconds; ends with the
    source, when the client disconnects or when the server shuts down."""
    loop = asyncio.get_running_loop()
    pending: asyncio.Task[T | object] | None = None
    quiet_since = loop.time()
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next(source))
            done, _ = await asyncio.wait({pending}, timeout=POLL)
            transport = request.transport
            if transport is None or transport.is_closing() or ctx.closing.is_set():
                return
            if pending in done:
                item, pending = pending.result(), None
                if item is _DONE:
                    return
                quiet_since = loop.time()
                yield cast(T, item)
            elif heartbeat is not None and loop.time() - quiet_since >= heartbeat:
                quiet_since = loop.time()
                yield None
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending


async def watch(request: web.Request, ctx: ApiContext) -> web.StreamResponse:
    """`GET /api/v1/watch[?since=REV]`: change events as NDJSON lines."""
    raw = request.query.get("since")
    try:
        since = int(raw) if raw not in (None, "") else None
    except ValueError:
        return error(400, f"since={raw!r} is not a revision (a whole number)")
    try:
        feed = ctx.store.watch(since)
    except StoreError as err:
        return error(503, f"the job store cannot be watched: {err}")
    # Registered first, listed at once after: nothing falls between the two.
    initial = [] if since is not None else list(ctx.store.list())
    response = web.StreamResponse(
        headers={**no_cache(), "Content-Type": "application/x-ndjson", "X-Accel-Buffering": "no"}
    )
    try:
        await response.prepare(request)
        for start in range(0, len(initial), _BATCH):
            batch = initial[start : start + _BATCH]
            await response.write(
                b"".join(_line("ADDED", int(j.metadata.resource_version or 0), j) for j in batch)
            )
        async with contextlib.aclosing(pump(request, feed, ctx, ctx.heartbeat)) as events:
            async for event in events:
                if event is None:
                    await response.write(b"\n")
                else:
                    await response.write(_line(str(event.type), event.revision, event.object))
    except WatchExpired as expired:
        with contextlib.suppress(ConnectionError):
            await response.write((dumps({"type": "ERROR", "reason": str(expired)}) + "\n").encode())
    except ConnectionError:
        pass
    finally:
        feed.close()
    return response


def _line(kind: str, revision: int, job: ProwJob) -> bytes:
    return (dumps({"type": kind, "revision": revision, "object": shown(job)}) + "\n").encode()


async def job_log(request: web.Request, ctx: ApiContext) -> web.StreamResponse:
    """`GET /api/v1/prowjobs/{name}/log[?follow=true]`: the job's output as text."""
    name = request.match_info["name"]
    follow = request.query.get("follow", "").lower() in ("true", "1", "yes")
    try:
        job = ctx.store.get(name)
    except NotFound as err:
        return error(404, str(err))
    executor = await _running_on(ctx, job)
    if executor is not None and not job.status.state.is_final:
        return await _stream_log(request, ctx, executor, name, follow=follow)
    stored = await _build_log(ctx, job)
    if stored is not None:
        return web.Response(body=stored, content_type="text/plain", charset="utf-8")
    if executor is not None:  # finished, its log not uploaded (yet): what the process left
        return await _stream_log(request, ctx, executor, name, follow=False)
    return error(404, f"prowjob {name!r} has no log: neither its process nor a {BUILD_LOG}")


async def _running_on(ctx: ApiContext, job: ProwJob) -> Executor | None:
    """The executor that has the job's process (running or ended, not cleaned up)."""
    executor = ctx.clusters.get(job.spec.cluster_alias) if ctx.clusters else None
    if executor is None:
        return None
    try:
        seen = await executor.observe(job.metadata.name)
    except ExecutorError as err:
        log.info("cannot observe %s for its log: %s", job.metadata.name, err)
        return None
    return None if seen.phase is Phase.MISSING else executor


async def _build_log(ctx: ApiContext, job: ProwJob) -> bytes | None:
    def read() -> bytes:
        destination = destination_for(job, default_dir=ctx.artifacts_dir)
        return destination.get_bytes(gcspaths.join(gcspaths.job_path(job), BUILD_LOG))

    try:
        return await asyncio.to_thread(read)
    except (UploadError, ValueError, KeyError):
        return None


async def _stream_log(
    request: web.Request, ctx: ApiContext, executor: Executor, name: str, *, follow: bool
) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={**no_cache(), "Content-Type": "text/plain; charset=utf-8"}
    )
    source = executor.logs(name, follow=follow)
    try:
        await response.prepare(request)
        async with contextlib.aclosing(pump(request, source, ctx, None)) as chunks:
            async for chunk in chunks:
                if chunk:
                    await response.write(chunk)
    except ConnectionError:
        pass
    except ExecutorError as err:
        with contextlib.suppress(ConnectionError):
            await response.write(f"\n[minprow: the log ended early: {err}]\n".encode())
    finally:
        aclose = getattr(source, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
    return response

"""The API's streams: the watch of the JobStore's change feed and a job's log.

The watch speaks a Kubernetes watch as newline-delimited JSON
(`{"type", "revision", "object"}` a line), as the list+watch of a client-go
informer when no `since` is given; jobs Deck hides (`hidden`, `deck.hidden_repos`)
are left out as from `/prowjobs.js`. Events are written in batches: after one, every
other event already at hand goes in the same write (a burst of webhooks costs one
write per burst, not per change). A watch that cannot go on (its revision compacted,
or ahead of a store that started over) ends as kube-apiserver ends one: a last
`{"type": "ERROR", "object": Status}` line with `code` 410 and `reason` "Expired"
(and a top-level "reason" message, as older minprow clients read it); the client
lists again. A stream that just ends (the server shuts down) is resumed from the
client's last revision. A job's log corresponds to Deck's `/log`
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

import pydantic_core
from aiohttp import web

from minprow.executors import joblog
from minprow.executors.base import ExecutorError
from minprow.model import ProwJob
from minprow.runtime._api_wire import (
    REVISION_HEADER,
    ApiContext,
    error,
    is_visible,
    no_cache,
    shown,
    visible,
)
from minprow.store import NotFound, StoreError, WatchExpired

log = logging.getLogger("minprow.api")

T = TypeVar("T")
POLL = 0.25
"""Seconds between checks that the client is still there."""
_BATCH = 256
"""Jobs of the initial list written at once."""
_MAX_EVENTS = 1024
"""Change events written at once, at most (a write's size stays bounded)."""
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
    if since is not None and since > ctx.store.revision:
        # A revision this store never reached: it started over (a memory store
        # restarted). Tell the client to list again, as for a compacted one.
        return _expired(
            f"revision {since} is ahead of the store's {ctx.store.revision}; "
            "the server started over: list again"
        )
    try:
        feed = ctx.store.watch(since)
    except StoreError as err:
        return error(503, f"the job store cannot be watched: {err}")
    config = ctx.config()
    # Registered first, listed at once after: nothing falls between the two.
    revision = ctx.store.revision
    initial = [] if since is not None else visible(ctx.store.list(), config)
    response = web.StreamResponse(
        headers={
            **no_cache(),
            "Content-Type": "application/x-ndjson",
            "X-Accel-Buffering": "no",
            REVISION_HEADER: str(revision if since is None else since),
        }
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
                    continue
                lines = b"".join(
                    _line(e.type.value, e.revision, e.object)
                    for e in (event, *feed.ready(_MAX_EVENTS))
                    if is_visible(e.object, config)
                )
                if lines:
                    await response.write(lines)
    except WatchExpired as expired:
        with contextlib.suppress(ConnectionError):
            await response.write(_error_line(str(expired)))
    except ConnectionError:
        pass
    finally:
        feed.close()
    return response


def _expired(reason: str) -> web.Response:
    """A watch that cannot start: one ERROR line, as when it expires on the way."""
    return web.Response(
        body=_error_line(reason),
        headers={**no_cache(), "Content-Type": "application/x-ndjson"},
    )


def _error_line(message: str) -> bytes:
    """kube-apiserver's ERROR event for a watch from a revision it no longer has
    (`apierrors.NewResourceExpired`: a Status with code 410, reason Expired)."""
    status = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Expired",
        "code": 410,
    }
    return pydantic_core.to_json({"type": "ERROR", "object": status, "reason": message}) + b"\n"


def _line(kind: str, revision: int, job: ProwJob) -> bytes:
    # pydantic_core's encoder writes UTF-8 bytes directly, compact and unescaped
    # like `dumps`: a third of json.dumps(...).encode()'s time on a ProwJob.
    line = pydantic_core.to_json({"type": kind, "revision": revision, "object": shown(job)})
    return line + b"\n"


async def job_log(request: web.Request, ctx: ApiContext) -> web.StreamResponse:
    """`GET /api/v1/prowjobs/{name}/log[?follow=true]`: the job's output as text."""
    name = request.match_info["name"]
    follow = request.query.get("follow", "").lower() in ("true", "1", "yes")
    try:
        job = ctx.store.get(name)
        source = await joblog.job_log(job, ctx.clusters, ctx.artifacts_dir, follow=follow)
    except (NotFound, joblog.NoLog) as err:
        return error(404, str(err))
    response = web.StreamResponse(
        headers={**no_cache(), "Content-Type": "text/plain; charset=utf-8"}
    )
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
        await source.aclose()
    return response

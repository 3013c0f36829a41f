"""The HTTP API on the process's one port: Deck's `/prowjobs.js`, reads, a watch, writes.

Corresponds to the job endpoints of Prow's Deck (pkg/deck/main.go:
`handleProwJobs`, `handleLog`, `handleRerun`, `handleAbort`) and to a
Kubernetes list+watch, for the TUI and for anything that reads Deck's JSON:

| method | path | what |
| --- | --- | --- |
| GET | `/prowjobs.js[?omit=...][&var=NAME]` | `{"items": [...]}`, newest first, as Deck |
| GET | `/api/v1/clusters` | each build cluster's health, by name |
| GET | `/api/v1/prowjobs/{name}` | one ProwJob (404 when unknown) |
| GET | `/api/v1/watch[?since=REV]` | NDJSON change events (see `_api_stream`) |
| GET | `/api/v1/prowjobs/{name}/log[?follow=true]` | the job's output as text |
| POST | `/api/v1/prowjobs/{name}/rerun` | a new run of the job (token) |
| POST | `/api/v1/prowjobs/{name}/abort` | abort a job not finished (token) |

Every ProwJob shown has its secret-like env values redacted (`_api_wire`).
`/prowjobs.js` and the watch answer the store revision they start from in the
`X-Minprow-Revision` header: a client lists, then watches `since` it, and misses
nothing in between.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from minprow.aio import Clock
from minprow.config import Config
from minprow.executors.clusterhealth import cluster_health
from minprow.executors.clusters import ClusterMap
from minprow.logs import redact
from minprow.runtime import _api_stream, _api_write
from minprow.runtime._api_wire import (
    REVISION_HEADER,
    ApiContext,
    dumps,
    error,
    json_response,
    newest_first,
    no_cache,
    parse_omit,
    shown,
    visible,
)
from minprow.store import JobStore, NotFound

HEARTBEAT = 15.0
"""Seconds of silence after which a watch sends a blank line, so proxies keep it open."""
_JS_NAME = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_Handler = Callable[[web.Request, ApiContext], Awaitable[web.StreamResponse]]


def add_api_routes(
    app: web.Application,
    *,
    store: JobStore,
    clusters: ClusterMap | None,
    config: Callable[[], Config],
    artifacts_dir: Path,
    token: Callable[[], str | None],
    clock: Clock,
    heartbeat: float = HEARTBEAT,
    credentials: Callable[[], Mapping[str, Mapping[str, Any]]] | None = None,
) -> None:
    """Add the API's routes to `app` (see the module docstring). `token` is a getter
    (re-read on every write request); None means the writes are refused."""
    ctx = ApiContext(
        store=store,
        clusters=clusters,
        config=config,
        artifacts_dir=artifacts_dir,
        token=token,
        clock=clock,
        heartbeat=heartbeat,
        credentials=credentials,
    )

    def bound(handler: _Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            return await handler(request, ctx)

        return handle

    routes: tuple[tuple[str, str, _Handler], ...] = (
        ("GET", "/prowjobs.js", _prowjobs_js),
        ("GET", "/api/v1/prowjobs/{name}", _get),
        ("GET", "/api/v1/clusters", _clusters),
        ("GET", "/api/v1/watch", _api_stream.watch),
        ("GET", "/api/v1/prowjobs/{name}/log", _api_stream.job_log),
        ("POST", "/api/v1/prowjobs/{name}/rerun", _api_write.rerun),
        ("POST", "/api/v1/prowjobs/{name}/abort", _api_write.abort),
    )
    for method, path, handler in routes:
        app.router.add_route(method, path, bound(handler))

    async def _end_streams(_: web.Application) -> None:
        ctx.closing.set()

    app.on_shutdown.append(_end_streams)


async def _prowjobs_js(request: web.Request, ctx: ApiContext) -> web.Response:
    """Deck's `/prowjobs.js`: every job not hidden, newest first."""
    omit = parse_omit(request.query.get("omit", ""))
    name = request.query.get("var", "")
    if name and not _JS_NAME.match(name):
        return error(400, f"var={name!r} is not a JavaScript identifier")
    # The list and its revision are read with no await between: they agree.
    revision = ctx.store.revision
    jobs = newest_first(visible(ctx.store.list(), ctx.config()))
    # Serialising 10,000 jobs takes about half a second: off the loop that runs
    # hook and plank (the jobs are immutable snapshots, safe to read in a thread).
    body = await asyncio.to_thread(lambda: dumps({"items": [shown(job, omit) for job in jobs]}))
    headers = {**no_cache(), REVISION_HEADER: str(revision)}
    if not name:
        return web.Response(text=body, content_type="application/json", headers=headers)
    return web.Response(
        text=f"var {name} = {body};", content_type="application/javascript", headers=headers
    )


async def _get(request: web.Request, ctx: ApiContext) -> web.Response:
    name = request.match_info["name"]
    try:
        return json_response(shown(ctx.store.get(name)))
    except NotFound as err:
        return error(404, str(err))


async def _clusters(request: web.Request, ctx: ApiContext) -> web.Response:
    """Each build cluster's health: the mapped ones and those the jobs name."""
    used = {job.spec.cluster_alias for job in ctx.store.list()}
    health = await cluster_health(ctx.clusters, used)
    # The renewal of each cluster's token, where serve renews it (never the token).
    for name, rotation in (ctx.credentials() if ctx.credentials else {}).items():
        entry = dict(rotation)
        if isinstance(entry.get("last_error"), str):
            entry["last_error"] = redact(entry["last_error"])  # as the health's own
        health.setdefault(name, {})["rotation"] = entry
    return json_response(health)

"""Hook's HTTP server: `POST /hook`, `GET /healthz`, `GET /metrics`.

Corresponds to Prow's pkg/hook/server.go (`ServeHTTP`, `demuxEvent`) and the
webhook checks of pkg/github/webhooks.go (`ValidateWebhook`). A delivery is
checked (size, headers, JSON, `X-Hub-Signature-256` against the tokens for its
repo), de-duplicated by `X-GitHub-Delivery`, parsed, answered at once as Prow
does, and handed to the dispatcher to run the plugins in the background.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from minprow.aio.clock import Clock, SystemClock
from minprow.config import Config
from minprow.github.events import MalformedEvent, parse_event
from minprow.github.hmac import SIGNATURE_HEADER, HmacSecret, org_repo_of, verify
from minprow.hook.dedupe import DEFAULT_REMEMBERED, DeliveryLRU
from minprow.hook.dispatch import DEFAULT_CONCURRENCY, Delivery, Dispatcher
from minprow.hook.metrics import CONTENT_TYPE, HookMetrics
from minprow.hook.plugins.context import GitHubClient
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore

log = logging.getLogger("minprow.hook")

MAX_BODY = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MiB."""
DEFAULT_PORT = 8888
"""Prow's hook `--port`."""
RECEIVED = "Event received. Have a nice day."

DISPATCHER = web.AppKey("dispatcher", Dispatcher)
METRICS = web.AppKey("metrics", HookMetrics)


class _Hook:
    """The `/hook` handler and what it keeps between requests."""

    def __init__(
        self,
        secret: Callable[[], HmacSecret],
        dispatcher: Dispatcher,
        metrics: HookMetrics,
        max_body: int,
        remembered: int,
    ) -> None:
        self._secret = secret
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._max_body = max_body
        self._deliveries = DeliveryLRU(remembered)

    def _answer(self, status: int, text: str) -> web.Response:
        self._metrics.responses.labels(str(status)).inc()
        return web.Response(status=status, text=text + "\n")

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > self._max_body:
            return self._answer(413, f"Payload larger than {self._max_body} bytes.")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return self._answer(413, f"Payload larger than {self._max_body} bytes.")
        event_type = request.headers.get("X-GitHub-Event", "")
        delivery_id = request.headers.get("X-GitHub-Delivery", "")
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not event_type:
            return self._answer(400, "400 Bad Request: Missing X-GitHub-Event Header")
        if not delivery_id:
            return self._answer(400, "400 Bad Request: Missing X-GitHub-Delivery Header")
        if not signature:
            return self._answer(403, f"403 Forbidden: Missing {SIGNATURE_HEADER}")
        if request.content_type != "application/json":
            return self._answer(
                400, "400 Bad Request: Hook only accepts content-type: application/json"
            )
        try:
            payload = json.loads(body)
        except ValueError:
            return self._answer(400, "400 Bad Request: the payload is not JSON")
        if not isinstance(payload, Mapping):
            return self._answer(400, "400 Bad Request: the payload is not a JSON object")
        scope = org_repo_of(payload)
        if not verify(body, signature, self._secret().tokens_for(scope)):
            log.info(
                "rejected %s delivery %s for %s: invalid signature",
                event_type,
                delivery_id,
                scope or "(no repository)",
                extra={"component": "hook"},
            )
            return self._answer(403, "403 Forbidden: Invalid X-Hub-Signature-256")
        try:
            event = parse_event(event_type, body)
        except MalformedEvent as err:
            return self._answer(400, f"400 Bad Request: {err}")
        if self._deliveries.check_and_add(delivery_id):
            return self._answer(200, f"Delivery {delivery_id} already received; ignored.")
        self._metrics.webhooks.labels(event_type).inc()
        if event is not None:
            self._dispatcher.dispatch(_delivery(delivery_id, event_type, payload), event)
        return self._answer(200, RECEIVED)


def _delivery(delivery_id: str, event_type: str, payload: Mapping[str, Any]) -> Delivery:
    org = repo = ""
    repository = payload.get("repository")
    if isinstance(repository, Mapping):
        owner = repository.get("owner")
        if isinstance(owner, Mapping):
            org = str(owner.get("login") or "")
        repo = str(repository.get("name") or "")
    if not org:
        organization = payload.get("organization")
        if isinstance(organization, Mapping):
            org = str(organization.get("login") or "")
    return Delivery(delivery_id=delivery_id, event_type=event_type, org=org, repo=repo)


async def healthz(_: web.Request) -> web.Response:
    """`GET /healthz`: the process answers (also served by a process without the hook)."""
    return web.Response(text="OK")


async def _metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})


def make_app(
    *,
    secret: Callable[[], HmacSecret],
    registry: Registry,
    config: Callable[[], Config],
    store: JobStore,
    github: GitHubClient | None = None,
    clock: Clock | None = None,
    metrics: HookMetrics | None = None,
    max_body: int = MAX_BODY,
    concurrency: int = DEFAULT_CONCURRENCY,
    remembered_deliveries: int = DEFAULT_REMEMBERED,
    drain_timeout: float = 30.0,
) -> web.Application:
    """The hook application. `secret` is a getter (`HmacSecretFile.secret`, which
    re-reads the file when it changes); `config` the config getter whose
    `plugins` is plugins.yaml. Running handlers get `drain_timeout` seconds to
    finish when the application shuts down."""
    metrics = metrics or HookMetrics()
    dispatcher = Dispatcher(
        registry=registry,
        config=config,
        store=store,
        github=github,
        clock=clock or SystemClock(),
        metrics=metrics,
        concurrency=concurrency,
    )
    hook = _Hook(secret, dispatcher, metrics, max_body, remembered_deliveries)
    app = web.Application(client_max_size=max_body)
    app[DISPATCHER] = dispatcher
    app[METRICS] = metrics
    app.router.add_post("/hook", hook.handle)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", _metrics)

    async def _drain(app: web.Application) -> None:
        await app[DISPATCHER].drain(drain_timeout)

    app.on_shutdown.append(_drain)
    return app


async def serve(
    app: web.Application,
    *,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    started: asyncio.Event | None = None,
) -> None:
    """Serve `app` until cancelled, then shut down: no new requests, running
    handlers drained. `started` is set once the port is listening."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("hook listening on %s:%d", host, port, extra={"component": "hook"})
        if started is not None:
            started.set()
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()

"""Hook's HTTP server: `POST /hook`, `GET /healthz`, `GET /metrics`.

Corresponds to Prow's pkg/hook/server.go (`ServeHTTP`, `demuxEvent`) and the
webhook checks of pkg/github/webhooks.go (`ValidateWebhook`). A delivery is
checked (size, headers, JSON, `X-Hub-Signature-256` against the tokens for its
repo) and parsed. Where Prow answers at once and handles the event in memory
(so a crash loses what it acknowledged), minprow first keeps the delivery in
its durable inbox, which also recognises a delivery id it has seen, and only
then answers 200; the inbox's workers (consume.py) handle it. A delivery no
enabled plugin would handle is answered without being kept, the answer saying
so (plugins.yaml may not enable one for its repo); its id is remembered in
memory only.

`/healthz` answers 200 while the process runs, saying `degraded` when the
oldest waiting delivery has waited longer than `degraded_after`: a backlog is
reported, never turned into a failed probe, since restarting a pod that is
behind would only make it further behind.
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
from minprow.github.events import MalformedEvent, parse_payload
from minprow.github.hmac import SIGNATURE_HEADER, HmacSecret, org_repo_of, verify
from minprow.hook.consume import DEFAULT_WORKERS, Consumer
from minprow.hook.dedupe import DEFAULT_REMEMBERED, DeliveryLRU
from minprow.hook.dispatch import DEFAULT_CONCURRENCY, Delivery, Dispatcher
from minprow.hook.inbox import Inbox, InboxError, MemoryInbox
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

DEGRADED_AFTER = 60.0
"""Seconds the oldest waiting delivery may wait before `/healthz` says degraded."""

DISPATCHER = web.AppKey("dispatcher", Dispatcher)
CONSUMER = web.AppKey("consumer", Consumer)
METRICS = web.AppKey("metrics", HookMetrics)


class _Hook:
    """The `/hook` handler and what it keeps between requests."""

    def __init__(
        self,
        secret: Callable[[], HmacSecret],
        dispatcher: Dispatcher,
        inbox: Inbox,
        metrics: HookMetrics,
        max_body: int,
        remembered: int,
    ) -> None:
        self._secret = secret
        self._dispatcher = dispatcher
        self._inbox = inbox
        self._metrics = metrics
        self._max_body = max_body
        self._deliveries = DeliveryLRU(remembered)
        self._idle_said: set[tuple[str, str]] = set()

    def _idle(self, delivery: Delivery) -> str:
        """Why a delivery minprow handles starts nothing: no enabled plugin acts on it.
        Said in the answer (send-event prints it) and logged once per repo and type."""
        why = (
            f"No plugin enabled for {delivery.full_name or 'it'} acts on {delivery.event_type} "
            "events (see plugins.yaml), so nothing is done."
        )
        key = (delivery.full_name, delivery.event_type)
        if key not in self._idle_said and len(self._idle_said) < 1000:
            self._idle_said.add(key)
            log.info("webhook %s: %s", delivery.delivery_id, why, extra={"component": "hook"})
        return why

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
            event = parse_payload(event_type, payload)
        except MalformedEvent as err:
            return self._answer(400, f"400 Bad Request: {err}")
        delivery = Delivery.of(delivery_id, event_type, payload)
        calls = self._dispatcher.calls(delivery, event) if event is not None else []
        if event is None or not calls:
            # No plugin would act on it: nothing to keep, only the id to remember.
            if self._deliveries.check_and_add(delivery_id):
                return self._answer(200, f"Delivery {delivery_id} already received; ignored.")
            self._metrics.webhooks.labels(event_type).inc()
            if event is None:
                return self._answer(200, RECEIVED)
            return self._answer(200, f"{RECEIVED} {self._idle(delivery)}")
        try:
            kept = await self._inbox.accept(delivery_id, event_type, body, (delivery, event, calls))
        except InboxError as err:
            log.error(
                "cannot keep %s delivery %s, answering 503 so it can be redelivered: %s",
                event_type,
                delivery_id,
                err,
                extra={"component": "hook"},
            )
            return self._answer(
                503, "503 Service Unavailable: the delivery could not be kept; redeliver it"
            )
        if kept is None:
            return self._answer(200, f"Delivery {delivery_id} already received; ignored.")
        self._metrics.webhooks.labels(event_type).inc()
        return self._answer(200, RECEIVED)


async def healthz(_: web.Request) -> web.Response:
    """`GET /healthz`: the process answers (also served by a process without the hook)."""
    return web.Response(text="OK")


def inbox_health(inbox: Inbox, degraded_after: float) -> Callable[[web.Request], Any]:
    """`GET /healthz` of a process with the hook: OK, or degraded by a backlog."""

    async def health(_: web.Request) -> web.Response:
        age = inbox.oldest_age()
        if age <= degraded_after:
            return web.Response(text="OK")
        return web.Response(
            text=f"degraded: the oldest webhook delivery has waited {age:.0f} s "
            f"(over {degraded_after:g} s); {inbox.depth} waiting or being handled\n"
        )

    return health


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
    workers: int = DEFAULT_WORKERS,
    remembered_deliveries: int = DEFAULT_REMEMBERED,
    drain_timeout: float = 30.0,
    inbox: Inbox | None = None,
    degraded_after: float = DEGRADED_AFTER,
) -> web.Application:
    """The hook application. `secret` is a getter (`HmacSecretFile.secret`, which
    re-reads the file when it changes); `config` the config getter whose
    `plugins` is plugins.yaml. Deliveries are kept in `inbox` (in memory when
    none is given) and handled by `workers` at once; it is started with the
    application if it is not already. Running handlers get `drain_timeout`
    seconds to finish when the application shuts down."""
    clock = clock or SystemClock()
    metrics = metrics or HookMetrics()
    inbox = inbox or Inbox(MemoryInbox(remembered_deliveries), clock)
    metrics.follow_inbox(lambda: inbox.depth, inbox.oldest_age)
    dispatcher = Dispatcher(
        registry=registry,
        config=config,
        store=store,
        github=github,
        clock=clock,
        metrics=metrics,
        concurrency=concurrency,
    )
    consumer = Consumer(inbox, dispatcher, workers=workers)
    hook = _Hook(secret, dispatcher, inbox, metrics, max_body, remembered_deliveries)
    app = web.Application(client_max_size=max_body)
    app[DISPATCHER] = dispatcher
    app[CONSUMER] = consumer
    app[METRICS] = metrics
    app.router.add_post("/hook", hook.handle)
    app.router.add_get("/healthz", inbox_health(inbox, degraded_after))
    app.router.add_get("/metrics", _metrics)

    async def _start(app: web.Application) -> None:
        await app[CONSUMER].start()

    async def _drain(app: web.Application) -> None:
        await app[CONSUMER].stop(drain_timeout)

    app.on_startup.append(_start)
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

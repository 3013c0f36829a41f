"""Running plugin handlers for an accepted delivery, in the background.

Corresponds to the `handle*Event` functions of Prow's pkg/hook/events.go: each
enabled plugin's handler for the event type runs on its own, guarded, so one
that raises is logged with the delivery's id, type and repo and counted, and
never disturbs the other handlers or later events. At most `concurrency`
handlers run at once; the rest wait their turn. `drain()` lets the running
ones finish on shutdown (Prow's `GracefulShutdown`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from minprow.aio.clock import Clock
from minprow.config import Config
from minprow.github.events import Event
from minprow.hook.metrics import HookMetrics
from minprow.hook.plugins.context import GitHubClient, PluginContext
from minprow.hook.plugins.generic import GenericComment
from minprow.hook.plugins.registry import Handler, Registry
from minprow.store import JobStore

log = logging.getLogger("minprow.hook")

DEFAULT_CONCURRENCY = 64


@dataclass(frozen=True)
class Delivery:
    """One accepted webhook: its id (Prow's event GUID), type and repo."""

    delivery_id: str
    event_type: str
    org: str
    repo: str

    @property
    def full_name(self) -> str:
        return f"{self.org}/{self.repo}" if self.repo else self.org


class Dispatcher:
    """Schedules the handlers of the plugins enabled for a delivery's repo."""

    def __init__(
        self,
        *,
        registry: Registry,
        config: Callable[[], Config],
        store: JobStore,
        github: GitHubClient | None,
        clock: Clock,
        metrics: HookMetrics,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        if concurrency < 1:
            raise ValueError("handler concurrency must be at least 1")
        self.registry = registry
        self._config = config
        self._store = store
        self._github = github
        self._clock = clock
        self._metrics = metrics
        self._slots = asyncio.Semaphore(concurrency)
        self._running: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Handler calls scheduled and not yet finished."""
        return len(self._running)

    def dispatch(self, delivery: Delivery, event: Event) -> int:
        """Start every enabled handler for `event`; returns how many were started."""
        calls = self.registry.calls_for(
            delivery.event_type, event, delivery.org, delivery.repo, self._config().plugins
        )
        for plugin, handler, payload in calls:
            task = asyncio.create_task(
                self._run(plugin, handler, delivery, payload),
                name=f"hook:{plugin}:{delivery.event_type}:{delivery.delivery_id}",
            )
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        return len(calls)

    def _context(self, plugin: str, delivery: Delivery) -> PluginContext:
        fields = {
            "component": "hook",
            "plugin": plugin,
            "event_type": delivery.event_type,
            "event_guid": delivery.delivery_id,
            "org": delivery.org,
            "repo": delivery.repo,
        }
        return PluginContext(
            config=self._config,
            store=self._store,
            github=self._github,
            clock=self._clock,
            log=logging.LoggerAdapter(log.getChild(plugin), fields),
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            org=delivery.org,
            repo=delivery.repo,
        )

    async def _run(
        self, plugin: str, handler: Handler, delivery: Delivery, event: Event | GenericComment
    ) -> None:
        async with self._slots:
            ctx = self._context(plugin, delivery)
            started = time.perf_counter()
            try:
                await handler(ctx, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                self._metrics.handler_errors.labels(plugin, delivery.event_type).inc()
                ctx.log.exception(
                    "plugin %s failed handling %s event %s for %s",
                    plugin,
                    delivery.event_type,
                    delivery.delivery_id,
                    delivery.full_name,
                )
            finally:
                self._metrics.handling.labels(plugin, delivery.event_type).observe(
                    time.perf_counter() - started
                )

    async def drain(self, grace: float) -> int:
        """Wait up to `grace` seconds for running handlers, then cancel the rest;
        returns how many were cancelled."""
        if not self._running:
            return 0
        _, left = await asyncio.wait(set(self._running), timeout=grace)
        for task in left:
            task.cancel()
        if left:
            await asyncio.gather(*left, return_exceptions=True)
            log.warning("hook shut down with %d plugin handlers unfinished", len(left))
        return len(left)

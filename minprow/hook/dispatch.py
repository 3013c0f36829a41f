"""Running plugin handlers for an accepted delivery.

Corresponds to the `handle*Event` functions of Prow's pkg/hook/events.go: each
enabled plugin's handler for the event type runs on its own, guarded, so one
that raises is logged with the delivery's id, type and repo and counted, and
never disturbs the other handlers or later events. At most `concurrency`
handlers run at once; the rest wait their turn. `drain()` lets the running
ones finish on shutdown (Prow's `GracefulShutdown`).

`handle` is what the inbox's workers (minprow/hook/consume.py) await for each
delivery: it skips the plugins that already handled it before a crash, tells
the caller as each one finishes, and hands a replayed delivery's handlers the
GitHub client's replaying view, which does not post a comment twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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

Finished = Callable[[str], Awaitable[None]]
"""Told a call's `call_key` when its handler finishes (raised or not) while others still run."""


def call_key(plugin: str, payload: object) -> str:
    """How a delivery's progress names one handler call: the plugin, and whether
    it is the plugin's generic comment handler (a plugin may have both for one
    delivery: trigger reads an opened PR's event and its body as a comment)."""
    return f"{plugin}/generic_comment" if isinstance(payload, GenericComment) else plugin


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

    @classmethod
    def of(cls, delivery_id: str, event_type: str, payload: Mapping[str, Any]) -> Delivery:
        """The delivery's org and repo, from the payload's repository (or organization)."""
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
        return cls(delivery_id=delivery_id, event_type=event_type, org=org, repo=repo)


class Dispatcher:
    """Runs the handlers of the plugins enabled for a delivery's repo."""

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

    def calls(self, delivery: Delivery, event: Event) -> list[tuple[str, Handler, Any]]:
        """The handler calls `event` gets under the current plugins.yaml."""
        return self.registry.calls_for(
            delivery.event_type, event, delivery.org, delivery.repo, self._config().plugins
        )

    def dispatch(self, delivery: Delivery, event: Event) -> int:
        """Start every enabled handler for `event` in the background; returns how many."""
        calls = self.calls(delivery, event)
        for plugin, handler, payload in calls:
            self._start(plugin, handler, delivery, payload, self._github)
        return len(calls)

    async def handle(
        self,
        delivery: Delivery,
        event: Event,
        *,
        done: frozenset[str] = frozenset(),
        replayed_since: datetime | None = None,
        finished: Finished | None = None,
        calls: list[tuple[str, Handler, Any]] | None = None,
    ) -> int:
        """Run every enabled handler for `event` but those named in `done` (`call_key`),
        and wait for them; returns how many ran. With `replayed_since` (the
        delivery is handled again after a crash) handlers get the GitHub
        client's replaying view of that time. `calls` are the delivery's
        (`calls`), when hook worked them out as it took the delivery."""
        github = self._github
        if replayed_since is not None and github is not None:
            replaying = getattr(github, "replaying", None)
            if callable(replaying):
                github = replaying(replayed_since)
        if calls is None:
            calls = self.calls(delivery, event)
        calls = [c for c in calls if call_key(c[0], c[2]) not in done]
        outstanding = len(calls)

        def one_done(key: str) -> Finished:
            async def tell(_: str) -> None:
                # Only while others still run: the last one's news is the caller's finish.
                nonlocal outstanding
                outstanding -= 1
                if outstanding and finished is not None:
                    await finished(key)

            return tell

        tasks = [
            self._start(
                plugin, handler, delivery, payload, github, one_done(call_key(plugin, payload))
            )
            for plugin, handler, payload in calls
        ]
        results = await asyncio.gather(*tasks, return_exceptions=True)
        if any(isinstance(result, asyncio.CancelledError) for result in results):
            # Cut short (the process is stopping): not handled, so not finished.
            raise asyncio.CancelledError
        return len(tasks)

    def _start(
        self,
        plugin: str,
        handler: Handler,
        delivery: Delivery,
        payload: Event | GenericComment,
        github: GitHubClient | None,
        finished: Finished | None = None,
    ) -> asyncio.Task[None]:
        task = asyncio.create_task(
            self._run(plugin, handler, delivery, payload, github, finished),
            name=f"hook:{plugin}:{delivery.event_type}:{delivery.delivery_id}",
        )
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return task

    def _context(
        self, plugin: str, delivery: Delivery, github: GitHubClient | None
    ) -> PluginContext:
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
            github=github,
            clock=self._clock,
            log=logging.LoggerAdapter(log.getChild(plugin), fields),
            delivery_id=delivery.delivery_id,
            event_type=delivery.event_type,
            org=delivery.org,
            repo=delivery.repo,
        )

    async def _run(
        self,
        plugin: str,
        handler: Handler,
        delivery: Delivery,
        event: Event | GenericComment,
        github: GitHubClient | None,
        finished: Finished | None,
    ) -> None:
        async with self._slots:
            ctx = self._context(plugin, delivery, github)
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
        # Handled, even when it raised: a replay is for what a crash interrupted,
        # not a retry of a handler that fails the same way every time.
        if finished is not None:
            await finished(plugin)

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

"""Guarded, named, long-lived tasks with restart backoff and ordered shutdown.

Mirrors kopf's aiotasks: no component runs as a bare `asyncio.create_task`. A
`GuardedTask` logs a crash with its traceback and restarts the coroutine after an
exponential backoff (reset once it has run cleanly for a while); a crash with
the same error as the last one is not logged again; a `TaskGroup`
stops its tasks in the order they were added, each with a timeout, so the hook
stops taking work before the controllers stop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

log = logging.getLogger("minprow.aio")

Factory = Callable[[], Awaitable[None]]


class GuardedTask:
    """Run `factory()` until cancelled; restart it with backoff when it fails or returns."""

    def __init__(
        self,
        name: str,
        factory: Factory,
        *,
        initial_backoff: float = 1.0,
        max_backoff: float = 60.0,
        healthy_after: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._factory = factory
        self._initial = initial_backoff
        self._max = max_backoff
        self._healthy_after = healthy_after
        self.stop_timeout = stop_timeout
        self.restarts = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._guard(), name=self.name)

    async def _guard(self) -> None:
        backoff = self._initial
        last_error = ""
        while True:
            started = time.monotonic()
            try:
                await self._factory()
                if self._stopping:  # it swallowed the cancellation, but it did stop
                    return
                log.warning(
                    "task %s returned; restarting", self.name, extra={"component": self.name}
                )
            except asyncio.CancelledError:
                raise
            except Exception as err:
                if self._stopping:
                    return
                if time.monotonic() - started >= self._healthy_after:
                    last_error = ""  # it ran well meanwhile: a crash again is news
                if repr(err) != last_error:
                    log.exception(
                        "task %s failed; restarting (the same error again is not logged)",
                        self.name,
                        extra={"component": self.name},
                    )
                last_error = repr(err)
            if time.monotonic() - started >= self._healthy_after:
                backoff = self._initial
            self.restarts += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max)

    async def stop(self) -> None:
        """Cancel, then wait at most `stop_timeout`; a task that will not stop is abandoned
        (logged) so one stuck component cannot hold up the shutdown of the rest."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        task.cancel()
        # asyncio.wait, unlike wait_for, does not wait for a stuck task to acknowledge.
        done, _ = await asyncio.wait({task}, timeout=self.stop_timeout)
        if not done:
            log.error("task %s did not stop within %.3gs", self.name, self.stop_timeout)
        elif not task.cancelled() and task.exception() is not None:
            log.error("task %s failed while stopping", self.name, exc_info=task.exception())


class TaskGroup:
    """Guarded tasks started together and stopped one by one, in the order added."""

    def __init__(self) -> None:
        self.tasks: list[GuardedTask] = []

    def add(self, name: str, factory: Factory, **options: float) -> GuardedTask:
        task = GuardedTask(name, factory, **options)
        self.tasks.append(task)
        return task

    def start(self) -> None:
        for task in self.tasks:
            task.start()

    async def stop(self) -> None:
        for task in self.tasks:
            await task.stop()

"""Fakes shared by the component tests: a virtual clock.

`VirtualClock` satisfies `minprow.aio.Clock`. Its `sleep` never waits: it moves
virtual time forward, runs the test's `on_sleep` hooks (the rest of the world
acting between two ticks: a job finishing, a config reload), yields once to the
event loop, and raises `ClockStopped` instead of passing `stop_at`, which is how
a test ends a component's endless loop at a chosen virtual time.

Import it as `from fakes import VirtualClock` (tests/ is on sys.path through the
root conftest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
"""A Tuesday, 10:00 UTC: the virtual epoch of the component tests."""

Hook = Callable[[datetime], Awaitable[None] | None]


class ClockStopped(Exception):
    """A sleep would have gone past the clock's `stop_at`."""


class VirtualClock:
    def __init__(self, now: datetime = T0, *, stop_at: datetime | None = None) -> None:
        self.current = now
        self.stop_at = stop_at
        self.sleeps: list[float] = []
        """Every sleep asked for, in seconds."""
        self.on_sleep: list[Hook] = []

    def now(self) -> datetime:
        return self.current

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        target = self.current + timedelta(seconds=seconds)
        if self.stop_at is not None and target > self.stop_at:
            self.current = self.stop_at
            raise ClockStopped(f"virtual time reached {self.stop_at.isoformat()}")
        self.current = target
        for hook in self.on_sleep:
            result = hook(self.current)
            if result is not None:
                await result
        await asyncio.sleep(0)

    def advance(self, delta: timedelta) -> None:
        """Move time forward without anyone sleeping (downtime, a slow step)."""
        self.current += delta

    def run_until(self, stop_at: datetime) -> VirtualClock:
        """Set where the next loop run stops; returns the clock."""
        self.stop_at = stop_at
        return self

"""Asyncio building blocks shared by every component: the clock, guarded tasks, backoff."""

from minprow.aio.backoff import Backoff, Retry
from minprow.aio.clock import Clock, SystemClock
from minprow.aio.tasks import GuardedTask, TaskGroup

__all__ = ["Backoff", "Clock", "GuardedTask", "Retry", "SystemClock", "TaskGroup"]

"""Asyncio building blocks shared by every component: the clock and guarded tasks."""

from minprow.aio.clock import Clock, SystemClock
from minprow.aio.tasks import GuardedTask, TaskGroup

__all__ = ["Clock", "GuardedTask", "SystemClock", "TaskGroup"]

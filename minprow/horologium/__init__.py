"""Horologium: starts periodic jobs on their schedule (Prow's cmd/horologium).

A thin loop (`run`, one pass `tick`) around a pure step (`sync`) that takes the
periodics, each one's latest run and `now`; `CronAgent` keeps the cron
schedules' fired flags as Prow's cron agent (pkg/cron) does.
"""

from minprow.horologium.cron import CronAgent, next_fire
from minprow.horologium.loop import run, tick
from minprow.horologium.triggers import MAX_RETRIES, SyncResult, Trigger, latest_runs, new_run, sync

__all__ = [
    "MAX_RETRIES",
    "CronAgent",
    "SyncResult",
    "Trigger",
    "latest_runs",
    "new_run",
    "next_fire",
    "run",
    "sync",
    "tick",
]

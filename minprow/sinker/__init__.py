"""Sinker: garbage collection of old ProwJobs and of what their runs left (Prow's cmd/sinker).

A thin loop (`run`, one pass `sweep`, acting by `apply`) around a pure step
(`plan_cleanup`) that takes every ProwJob, every resource the executors
manage, the sinker config and `now`, and returns a `Cleanup`.
"""

from minprow.sinker.clean import (
    Cleanup,
    JobDeletion,
    JobReason,
    OrphanKey,
    Resource,
    ResourceCleanup,
    ResourceReason,
    finished,
    plan_cleanup,
)
from minprow.sinker.loop import Report, apply, run, sweep
from minprow.sinker.targets import Executors, Target, targets

__all__ = [
    "Cleanup",
    "Executors",
    "JobDeletion",
    "JobReason",
    "OrphanKey",
    "Report",
    "Resource",
    "ResourceCleanup",
    "ResourceReason",
    "Target",
    "apply",
    "finished",
    "plan_cleanup",
    "run",
    "sweep",
    "targets",
]

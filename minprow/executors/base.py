"""The executor protocol: how plank, sinker and `minprow run` drive a job's process.

One protocol, several implementations (docker, host, later kubernetes), each
keyed by the ProwJob's name so that starting twice starts once and a restarted
minprow finds again what it started (`list_managed`). Corresponds to what
Prow's plank does with pods through a build cluster's client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from minprow.model import ProwJob
from minprow.podutils.render import RunPlan


class Phase(StrEnum):
    """Where a job's process is, as a pod phase says it."""

    PENDING = "Pending"
    """Created, not running yet (pulling the image, cloning)."""
    RUNNING = "Running"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    MISSING = "Missing"
    """Nothing of this job exists in the executor (never started, or cleaned up)."""

    @property
    def is_final(self) -> bool:
        return self in (Phase.SUCCEEDED, Phase.FAILED)


@dataclass(frozen=True)
class Observation:
    """What an executor knows of one job's process right now."""

    phase: Phase
    exit_code: int | None = None
    reason: str = ""
    """Why it failed or is stuck (OOMKilled, image missing, ...), for the job's description."""
    started_at: datetime | None = None
    finished_at: datetime | None = None


@dataclass(frozen=True)
class Managed:
    """Something an executor started, found by its labels."""

    prowjob: str
    phase: Phase
    finished_at: datetime | None = None


class ExecutorError(Exception):
    """The executor could not do what was asked; retry later (the engine may be back)."""


class StartError(ExecutorError):
    """The job cannot start as specified (unknown image, bad spec): final, the job is an error."""


class Executor(Protocol):
    """Runs ProwJobs somewhere. Every method is keyed by the ProwJob's name."""

    @property
    def name(self) -> str:
        """Short name for logs and job descriptions (docker, host, ...)."""
        ...

    @property
    def workload(self) -> str:
        """What it runs a job as, for messages: `pod`, `container` or `process`."""
        ...

    @property
    def decoration_timeout_in_job(self) -> bool:
        """Whether the job's own entrypoint enforces the decoration timeout (a pod's, as
        Prow's); when False, plank stops the process at the timeout."""
        ...

    def unavailable(self) -> str | None:
        """Why it takes no new job right now (a build cluster that does not answer and
        is not due for another try), or None. Cheap: plank asks before any work."""
        ...

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        """Start the job's process (and its decoration); a no-op if it already exists.

        Raises StartError when the job can never start, ExecutorError when it
        might later."""
        ...

    async def observe(self, prowjob: str) -> Observation:
        """The current phase of the job's process."""
        ...

    def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        """The test container's output from the start; with `follow`, until it exits."""
        ...

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        """SIGTERM the job's process, then SIGKILL after `grace_period`; a no-op if it is gone."""
        ...

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        """After the process ended: write the decorated job's build log, metadata and
        artifacts to their destination. Idempotent; `job` is written as prowjob.json."""
        ...

    async def cleanup(self, prowjob: str) -> None:
        """Remove everything the job's run left (container, workspace); a no-op if gone."""
        ...

    async def list_managed(self) -> list[Managed]:
        """Everything this executor started and has not cleaned up."""
        ...

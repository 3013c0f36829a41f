"""Sinker's test helpers: ProwJobs described by how long ago they started and
finished (`J`), and a recording executor.

`RecordingExecutor` is minprow's own boundary (the Executor protocol): it holds
the "managed" resources a test puts there, and records each cleanup. Imported
by the tests as `from sinker_fakes import ...` (a name no other test dir uses).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from minprow.aio import Clock
from minprow.executors.base import ExecutorError, Managed, Observation, Phase
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.podutils.render import RunPlan


@dataclass(frozen=True)
class J:
    """A ProwJob for a table: times are how long before `now` (None: not yet)."""

    name: str
    started: timedelta
    completed: timedelta | None = None
    pending: timedelta | None = None
    state: ProwJobState | None = None
    type: ProwJobType = ProwJobType.PRESUBMIT
    job: str = "pull-unit"
    cluster: str | None = None

    def build(self, now: datetime) -> ProwJob:
        state = self.state or (
            ProwJobState.SUCCESS if self.completed is not None else ProwJobState.PENDING
        )
        status: dict[str, Any] = {"state": state.value, "startTime": now - self.started}
        if self.completed is not None:
            status["completionTime"] = now - self.completed
        if self.pending is not None:
            status["pendingTime"] = now - self.pending
        refs = None
        if self.type is not ProwJobType.PERIODIC:
            refs = {
                "org": "org",
                "repo": "repo",
                "base_ref": "main",
                "pulls": [{"number": 7, "author": "a", "sha": "b" * 40}],
            }
        return ProwJob.model_validate(
            {
                "metadata": {"name": self.name},
                "spec": {
                    "type": self.type.value,
                    "job": self.job,
                    "cluster": self.cluster,
                    "refs": refs,
                },
                "status": status,
            }
        )


def periodic(name: str, started: timedelta, completed: timedelta | None = None, **kw: Any) -> J:
    return J(
        name, started, completed, type=ProwJobType.PERIODIC, job=kw.pop("job", "nightly"), **kw
    )


@dataclass
class RecordingExecutor:
    name: str = "recording"
    workload: str = "pod"
    decoration_timeout_in_job: bool = False
    managed: dict[str, Phase] = field(default_factory=dict)
    cleaned: list[str] = field(default_factory=list)
    fail_list: Exception | None = None
    fail_cleanup: dict[str, Exception] = field(default_factory=dict)
    clock: Clock | None = None
    """When given, `cleaned_at` records the time of each cleanup."""
    cleaned_at: list[datetime] = field(default_factory=list)

    def unavailable(self) -> str | None:
        return None

    def manage(self, *prowjobs: str, phase: Phase = Phase.SUCCEEDED) -> RecordingExecutor:
        for name in prowjobs:
            self.managed[name] = phase
        return self

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        raise ExecutorError("sinker never starts jobs")

    async def observe(self, prowjob: str) -> Observation:
        return Observation(self.managed.get(prowjob, Phase.MISSING))

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        yield b""

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        raise ExecutorError("sinker never aborts jobs")

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        raise ExecutorError("sinker never collects")

    async def cleanup(self, prowjob: str) -> None:
        if prowjob in self.fail_cleanup:
            raise self.fail_cleanup[prowjob]
        self.cleaned.append(prowjob)
        if self.clock is not None:
            self.cleaned_at.append(self.clock.now())
        self.managed.pop(prowjob, None)

    async def list_managed(self) -> list[Managed]:
        if self.fail_list is not None:
            raise self.fail_list
        return [Managed(name, phase) for name, phase in self.managed.items()]

"""Helpers of plank's tests: a scripted executor and ProwJobs to reconcile.

Imported as `from plank_helpers import ...` (a name no other test directory uses).

The executor here is minprow's own boundary (the Executor protocol), scripted so
a test can put a job's process in any phase at any virtual time; the real
Docker and host executors drive plank in tests/runtime (test_run_job.py,
test_up_jobs.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from fakes import T0

from minprow.executors.base import Observation, Phase
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.plank import Plank
from minprow.podutils.render import RunPlan


@dataclass
class ScriptedExecutor:
    """Keeps each job's "process" as an Observation the test sets."""

    name: str = "scripted"
    workload: str = "pod"
    decoration_timeout_in_job: bool = False
    processes: dict[str, Observation] = field(default_factory=dict)
    starts: list[str] = field(default_factory=list)
    aborts: list[tuple[str, timedelta]] = field(default_factory=list)
    collected: list[ProwJob] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    plans: dict[str, RunPlan] = field(default_factory=dict)
    fail_start: Exception | None = None
    fail_collect: Exception | None = None
    fail_abort: Exception | None = None

    def unavailable(self) -> str | None:
        return None

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        if self.fail_start is not None:
            raise self.fail_start
        name = job.metadata.name
        if name not in self.processes:
            self.starts.append(name)
            self.plans[name] = plan
            self.processes[name] = Observation(Phase.PENDING)

    async def observe(self, prowjob: str) -> Observation:
        return self.processes.get(prowjob, Observation(Phase.MISSING))

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        yield b""

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        if self.fail_abort is not None:
            raise self.fail_abort
        self.aborts.append((prowjob, grace_period))
        if prowjob in self.processes:
            self.processes[prowjob] = Observation(Phase.FAILED, exit_code=143)

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        if self.fail_collect is not None:
            raise self.fail_collect
        self.collected.append(job)

    async def cleanup(self, prowjob: str) -> None:
        self.cleaned.append(prowjob)
        self.processes.pop(prowjob, None)

    async def list_managed(self) -> list[Any]:
        return []

    def set(self, name: str, phase: Phase, **fields: Any) -> None:
        self.processes[name] = Observation(phase, **fields)


def make_job(
    name: str,
    *,
    job: str = "pull-unit",
    type: ProwJobType = ProwJobType.PRESUBMIT,
    state: ProwJobState = ProwJobState.TRIGGERED,
    pull: int = 1,
    created: datetime = T0,
    cluster: str | None = None,
    max_concurrency: int | None = None,
    queue: str | None = None,
    decoration: dict[str, Any] | None = None,
    container: dict[str, Any] | None = None,
) -> ProwJob:
    refs: dict[str, Any] | None = None
    if type is not ProwJobType.PERIODIC:
        refs = {"org": "acme", "repo": "widgets", "base_ref": "main", "base_sha": "a" * 40}
        if type is ProwJobType.PRESUBMIT:
            refs["pulls"] = [{"number": pull, "author": "alice", "sha": "b" * 40}]
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    data: dict[str, Any] = {
        "metadata": {"name": name, "creationTimestamp": stamp},
        "spec": {
            "type": type.value,
            "job": job,
            "agent": "kubernetes",
            "cluster": cluster,
            "refs": refs,
            "max_concurrency": max_concurrency,
            "job_queue_name": queue,
            "decoration_config": decoration,
            "pod_spec": {"containers": [container or {"image": "busybox", "command": ["true"]}]},
        },
        "status": {"state": state.value, "startTime": stamp},
    }
    return ProwJob.model_validate(data)


MakePlank = Callable[..., Plank]

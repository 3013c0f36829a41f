"""Crier test helpers: ProwJobs, a recording reporter, a fake GitHub behind the
GitHub reporter's Protocol, and a way to wait until crier has nothing left to do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from minprow.crier import Crier, PermanentReportError
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.model.prowjob import ObjectMeta, ProwJobSpec, ProwJobStatus, Pull, Refs
from minprow.store import JobStore

ORG, REPO, PR, SHA, BASE_SHA = "acme", "widget", 7, "a" * 40, "b" * 40


def make_job(
    name: str = "job-1",
    *,
    job: str = "pull-widget-unit",
    type: ProwJobType = ProwJobType.PRESUBMIT,
    state: ProwJobState = ProwJobState.TRIGGERED,
    report: bool | None = True,
    pulls: int = 1,
    **spec: Any,
) -> ProwJob:
    refs = Refs(
        org=ORG,
        repo=REPO,
        base_ref="main",
        base_sha=BASE_SHA,
        pulls=[Pull(number=PR + i, author="alice", sha=SHA) for i in range(pulls)]
        if type in (ProwJobType.PRESUBMIT, ProwJobType.BATCH)
        else None,
    )
    return ProwJob(
        metadata=ObjectMeta(name=name),
        spec=ProwJobSpec(
            type=type,
            job=job,
            refs=refs,
            report=report,
            context=job,
            rerun_command=f"/test {job}",
            **spec,
        ),
        status=ProwJobStatus(state=state, url=f"https://prow.example/view/{name}"),
    )


async def set_state(
    store: JobStore, name: str, state: ProwJobState, description: str | None = None
) -> ProwJob:
    def change(job: ProwJob) -> ProwJob:
        job.status.state = state
        job.status.description = description
        if state.is_final:
            job.status.completion_time = job.status.start_time or _epoch()
        return job

    return await store.mutate(name, change)


def _epoch() -> Any:
    from fakes import T0

    return T0


@dataclass
class RecordingReporter:
    """A reporter that records what it reported and fails as told."""

    name: str = "recorder"
    types: tuple[ProwJobType, ...] = tuple(ProwJobType)
    reported: list[tuple[str, ProwJobState]] = field(default_factory=list)
    transient_failures: int = 0
    permanent: bool = False
    deleted: list[str] = field(default_factory=list)

    def should_report(self, job: ProwJob) -> bool:
        return job.spec.type in self.types

    async def report(self, job: ProwJob) -> None:
        if self.permanent:
            raise PermanentReportError("the commit is gone")
        if self.transient_failures:
            self.transient_failures -= 1
            raise ConnectionError("the network hiccupped")
        self.reported.append((job.name, job.status.state))


async def settle(crier: Crier, rounds: int = 3) -> None:
    """Wait until crier is idle for a few event-loop turns in a row (real time, short)."""
    quiet = 0
    for _ in range(2000):
        await asyncio.sleep(0.002)
        quiet = quiet + 1 if crier.idle else 0
        if quiet >= rounds:
            return
    raise AssertionError("crier did not settle")


@asynccontextmanager
async def running(crier: Crier) -> AsyncIterator[Crier]:
    task = asyncio.create_task(crier.run())
    try:
        await settle(crier)
        yield crier
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

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


class Unprocessable(Exception):
    """The fake's HTTP 422 (the real client raises its own class)."""


def is_unprocessable(err: Exception) -> bool:
    return isinstance(err, Unprocessable)


@dataclass(frozen=True)
class Status:
    sha: str
    state: str
    context: str
    description: str
    target_url: str


@dataclass(frozen=True)
class FakeUser:
    login: str


@dataclass
class FakeComment:
    id: int
    body: str
    user: FakeUser


@dataclass
class FakeGitHub:
    """GitHub behind the GitHub reporter's Protocol: statuses and issue comments,
    with GitHub's 422s for a missing commit and a description over 140 characters."""

    bot: str = "minprow-bot"
    statuses: list[Status] = field(default_factory=list)
    comments: list[FakeComment] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    missing_commits: set[str] = field(default_factory=set)
    _next_id: int = 100

    async def create_status(
        self,
        org: str,
        repo: str,
        sha: str,
        state: str,
        context: str,
        description: str,
        target_url: str,
        /,
    ) -> None:
        self.calls.append("create_status")
        if sha in self.missing_commits:
            raise Unprocessable(f"No commit found for SHA: {sha}")
        if len(description) > 140:
            raise Unprocessable("description is too long (maximum is 140 characters)")
        self.statuses.append(Status(sha, state, context, description, target_url))

    async def list_issue_comments(self, org: str, repo: str, number: int, /) -> list[FakeComment]:
        self.calls.append("list_issue_comments")
        return list(self.comments)

    async def create_comment(self, org: str, repo: str, number: int, body: str, /) -> None:
        self.calls.append("create_comment")
        self._next_id += 1
        self.comments.append(FakeComment(self._next_id, body, FakeUser(self.bot)))

    async def edit_comment(self, org: str, repo: str, comment_id: int, body: str, /) -> None:
        self.calls.append("edit_comment")
        for comment in self.comments:
            if comment.id == comment_id:
                comment.body = body

    async def delete_comment(self, org: str, repo: str, comment_id: int, /) -> None:
        self.calls.append("delete_comment")
        self.comments = [c for c in self.comments if c.id != comment_id]

    async def get_user(self) -> FakeUser:
        return FakeUser(self.bot)

    def states(self, context: str | None = None) -> list[str]:
        return [s.state for s in self.statuses if context in (None, s.context)]


@dataclass
class Webhook:
    """A real aiohttp server standing in for Slack's incoming webhook."""

    answers: list[int] = field(default_factory=list)
    """Statuses to answer with, in order; 200 once they run out."""
    received: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    async def _handle(self, request: Any) -> Any:
        from aiohttp import web

        status = self.answers.pop(0) if self.answers else 200
        if status == 200:
            self.received.append(await request.json())
        return web.Response(status=status, text="ok" if status == 200 else "no_service")


@asynccontextmanager
async def webhook_server(webhook: Webhook) -> AsyncIterator[Webhook]:
    from aiohttp import web

    app = web.Application()
    app.router.add_post("/services/T0/B0/secret-token", webhook._handle)
    runner = web.AppRunner(app, access_log=None)  # Slack's side logs nothing here
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    webhook.url = f"http://127.0.0.1:{port}/services/T0/B0/secret-token"
    try:
        yield webhook
    finally:
        await runner.cleanup()

"""The HTTP watch (`GET /api/v1/watch`, runtime/_api_stream.py) under a burst of writes
(issue 14): a real sqlite store with a small watch queue, so it overflows, and a real
HTTP client. The stream keeps up by replaying from the change log; it ends, with
kube-apiserver's 410 Status, only when that log no longer reaches back."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from minprow.aio import SystemClock
from minprow.config import Config
from minprow.model import ProwJob, ProwJobState
from minprow.runtime.api import add_api_routes
from minprow.store import JobStore, SqliteBackend, WatchEvent, copy_job

WAIT = 30.0
JOBS = 2_500
"""Jobs the burst creates, each then modified once: 5,000 events."""
BURST = 50
"""Writes made without yielding: far more than the watch queue holds."""


class CountingBackend(SqliteBackend):
    """The sqlite backend, counting the replays watchers ask of its change log."""

    replays = 0

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        self.replays += 1
        return await super().changes_since(revision)


def make_job(name: str) -> ProwJob:
    return ProwJob.model_validate(
        {
            "metadata": {"name": name, "labels": {"prow.k8s.io/job": "pull-unit"}},
            "spec": {
                "type": "periodic",
                "job": "pull-unit",
                "agent": "kubernetes",
                "pod_spec": {"containers": [{"image": "golang:1.22", "command": ["make"]}]},
            },
            "status": {"state": "triggered", "startTime": "2026-05-01T10:00:00Z"},
        }
    )


@contextlib.asynccontextmanager
async def serving(store: JobStore, tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    app = web.Application()
    add_api_routes(
        app,
        store=store,
        clusters=None,
        config=Config,
        artifacts_dir=tmp_path / "artifacts",
        token=lambda: None,
        clock=SystemClock(),
        heartbeat=0.2,
    )
    async with TestClient(TestServer(app)) as client:
        yield client


async def burst(store: JobStore, jobs: int) -> None:
    """`jobs` creates, each job modified (as plank would) in the next burst."""
    created: list[ProwJob] = []
    for start in range(0, jobs, BURST):
        for job in created:
            draft = copy_job(job)
            draft.status.state = ProwJobState.PENDING
            await store.update(draft)
        created = [await store.create(make_job(f"job-{n}")) for n in range(start, start + BURST)]
        await asyncio.sleep(0)  # the stream runs between bursts, as between webhooks
    for job in created:
        draft = copy_job(job)
        draft.status.state = ProwJobState.PENDING
        await store.update(draft)


async def read_events(resp: ClientResponse, count: int) -> list[dict[str, Any]]:
    """The next `count` events (heartbeats skipped); fails if the stream ends first."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(WAIT):
        while len(events) < count:
            line = await resp.content.readline()
            assert line, f"the stream ended after {len(events)} events"
            if line.strip():
                events.append(json.loads(line))
    return events


async def test_a_burst_reaches_the_watch_once_each_in_order_without_ending(
    tmp_path: Path,
) -> None:
    backend = CountingBackend(tmp_path / "prowjobs.db")
    async with JobStore(backend, watch_queue_size=16) as store, serving(store, tmp_path) as client:
        resp = await client.get("/api/v1/watch", params={"since": str(store.revision)})
        assert resp.status == 200
        reading = asyncio.create_task(read_events(resp, JOBS * 2))
        await burst(store, JOBS)
        events = await reading

        assert [e["type"] for e in events if e["type"] not in ("ADDED", "MODIFIED")] == []
        assert [e["revision"] for e in events] == list(range(1, JOBS * 2 + 1))
        assert backend.replays > 0  # the queue did overflow: the change log filled in
        assert await asyncio.wait_for(resp.content.readline(), WAIT) == b"\n"  # still open
        resp.close()


EXPIRED = {
    "kind": "Status",
    "apiVersion": "v1",
    "metadata": {},
    "status": "Failure",
    "reason": "Expired",
    "code": 410,
}


@pytest.mark.parametrize(
    ("since", "before", "after", "queued"),
    [("now", 0, 100, [1, 2, 3, 4]), ("0", 100, 0, [])],
    ids=["fell-behind-the-change-log", "since-compacted"],
)
async def test_a_watch_the_change_log_cannot_resume_ends_with_a_410_status(
    tmp_path: Path, since: str, before: int, after: int, queued: list[int]
) -> None:
    # The log keeps 20 changes, the queue 4: 100 writes leave the watcher behind both.
    backend = SqliteBackend(tmp_path / "prowjobs.db", change_log_size=20)
    async with JobStore(backend, watch_queue_size=4) as store, serving(store, tmp_path) as client:
        for n in range(before):
            await store.create(make_job(f"before-{n}"))
        params = {"since": str(store.revision) if since == "now" else since}
        resp = await client.get("/api/v1/watch", params=params)
        for n in range(after):  # no yield: the stream cannot read while these land
            await store.create(make_job(f"after-{n}"))

        body = await asyncio.wait_for(resp.content.read(), WAIT)  # to the stream's end
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]

        assert [e["revision"] for e in lines[:-1]] == queued  # what its queue held
        error = lines[-1]
        assert error["type"] == "ERROR"
        assert {k: v for k, v in error["object"].items() if k != "message"} == EXPIRED
        assert "compacted" in error["object"]["message"]
        assert error["reason"] == error["object"]["message"]  # as older clients read it

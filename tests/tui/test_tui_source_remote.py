"""RemoteSource (minprow/tui/sources/remote.py) against the real minprow HTTP API
(runtime.api.add_api_routes on a real port, over a real JobStore, the host executor
running the jobs): the snapshot, live changes, resuming after the server restarts
and re-listing when it started over, logs, rerun and abort with and without the
token, the clusters."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from tuisrc_helpers import WAIT, events, eventually, finish, make_job, read_all

from minprow.aio import SystemClock
from minprow.config import Config
from minprow.executors.clusters import ClusterMap
from minprow.executors.host import HostExecutor
from minprow.model import ProwJobState
from minprow.podutils import destination_for, gcspaths
from minprow.podutils.render import render
from minprow.runtime.api import add_api_routes
from minprow.store import JobStore, open_store
from minprow.tui.source import SourceError
from minprow.tui.sources.remote import RemoteSource
from tests.conftest import free_port

TOKEN = "the-api-token"


class Server:
    """The minprow API over `store` on a fixed port, so it can stop and come back."""

    def __init__(
        self,
        store: JobStore,
        tmp_path: Path,
        token: str | None = TOKEN,
        heartbeat: float = 0.3,
    ) -> None:
        self.store = store
        self.heartbeat = heartbeat
        self.watches = 0
        """How many watch requests came in."""
        self.artifacts = tmp_path / "artifacts"
        self.executor = HostExecutor(tmp_path / "workspaces", self.artifacts, SystemClock())
        self.token = token
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        @web.middleware
        async def count(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.path == "/api/v1/watch":
                self.watches += 1
            return await handler(request)

        app = web.Application(middlewares=[count])
        add_api_routes(
            app,
            store=self.store,
            clusters=ClusterMap(fallback=self.executor),
            config=Config,
            artifacts_dir=self.artifacts,
            token=lambda: self.token,
            clock=SystemClock(),
            heartbeat=self.heartbeat,
        )
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[JobStore]:
    async with open_store("sqlite", tmp_path / "state") as opened:
        yield opened


@pytest.fixture
async def server(store: JobStore, tmp_path: Path) -> AsyncIterator[Server]:
    running = Server(store, tmp_path)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        for managed in await running.executor.list_managed():
            await running.executor.abort(managed.prowjob, timedelta(seconds=1))
            await running.executor.cleanup(managed.prowjob)


def remote(server: Server, token: str | None = TOKEN) -> RemoteSource:
    return RemoteSource(server.url, token, timeout=2.0, first_backoff=0.05, max_backoff=0.2)


@pytest.fixture
async def source(server: Server) -> AsyncIterator[RemoteSource]:
    opened = remote(server)
    try:
        yield opened
    finally:
        await opened.close()


async def test_snapshot_is_deck_list_as_models_with_its_revision(
    server: Server, source: RemoteSource
) -> None:
    for name in ("a", "b"):
        await server.store.create(make_job(name))
    jobs, revision = await source.snapshot()
    assert sorted(j.metadata.name for j in jobs) == ["a", "b"]
    assert revision == server.store.revision
    pod_spec = jobs[0].spec.pod_spec
    assert pod_spec is not None
    assert pod_spec["containers"][0]["env"][0]["value"] == "<redacted>"
    assert source.description == server.url


async def test_changes_arrive_live_in_order(server: Server, source: RemoteSource) -> None:
    await server.store.create(make_job("a"))
    _, revision = await source.snapshot()
    feed = source.changes(revision)
    reading = asyncio.ensure_future(events(feed, 3))
    await server.store.create(make_job("b"))
    await server.store.mutate("a", finish)
    await server.store.delete("b")
    got = await reading
    assert [(e.type, e.job.metadata.name) for e in got] == [
        ("ADDED", "b"),
        ("MODIFIED", "a"),
        ("DELETED", "b"),
    ]
    assert got[1].job.status.state is ProwJobState.SUCCESS
    assert [e.revision for e in got] == list(range(revision + 1, revision + 4))
    await feed.aclose()


async def test_the_watch_resumes_after_the_server_restarts(
    server: Server, source: RemoteSource
) -> None:
    await server.store.create(make_job("a"))
    _, revision = await source.snapshot()
    feed = source.changes(revision)
    reading = asyncio.ensure_future(events(feed, 2))
    await server.store.create(make_job("before-restart"))
    await server.stop()
    await server.store.create(make_job("while-down"))
    await server.start()
    got = await reading
    assert [(e.type, e.job.metadata.name) for e in got] == [
        ("ADDED", "before-restart"),
        ("ADDED", "while-down"),
    ]
    await feed.aclose()


async def test_a_silent_watch_is_taken_for_lost_and_resumed(
    store: JobStore, tmp_path: Path
) -> None:
    # No heartbeat reaches the client (a proxy holding the stream): after its idle
    # timeout it reconnects from the last revision it saw, and misses nothing.
    server = Server(store, tmp_path, heartbeat=3600)
    await server.start()
    source = RemoteSource(server.url, idle_timeout=0.3, first_backoff=0.05, max_backoff=0.1)
    try:
        _, revision = await source.snapshot()
        feed = source.changes(revision)
        reading = asyncio.ensure_future(events(feed, 1))
        await eventually(lambda: server.watches >= 3, "the client reconnected twice")
        await store.create(make_job("late"))
        assert [e.job.metadata.name for e in await reading] == ["late"]
        await feed.aclose()
    finally:
        await source.close()
        await server.stop()


async def test_a_server_that_started_over_is_listed_again(
    server: Server, source: RemoteSource
) -> None:
    for name in ("gone", "kept", "x", "y"):
        await server.store.create(make_job(name))
    _, revision = await source.snapshot()
    feed = source.changes(revision)
    reading = asyncio.ensure_future(events(feed, 3 + 2))
    await server.stop()
    # The server comes back over a fresh store: its revisions are behind ours.
    async with open_store("memory") as fresh:
        await fresh.create(make_job("kept"))
        await fresh.create(make_job("new"))
        server.store = fresh
        await server.start()
        got = await reading
        await feed.aclose()
        await server.stop()
    assert [e.type for e in got] == ["DELETED"] * 3 + ["ADDED"] * 2
    assert {e.job.metadata.name for e in got[:3]} == {"gone", "x", "y"}
    assert {e.job.metadata.name for e in got[3:]} == {"kept", "new"}
    assert {e.revision for e in got} == {2}


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}  # fmt: skip


class ScriptedWatch:
    """A minprow API whose first watch sends one event then ends as `ending` says;
    a later watch sends one event after its `since`. It lists `a` at revision 4,
    then `a` and `c` at revision 9."""

    def __init__(self, ending: dict[str, Any] | None) -> None:
        self.ending = ending
        self.lists = 0
        self.watches: list[str] = []
        """The `since` of each watch request."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/prowjobs.js", self.prowjobs)
        app.router.add_get("/api/v1/watch", self.watch)
        return app

    async def prowjobs(self, _: web.Request) -> web.Response:
        self.lists += 1
        names, revision = (["a"], 4) if self.lists == 1 else (["a", "c"], 9)
        items = [make_job(name).to_wire() for name in names]
        return web.json_response({"items": items}, headers={"X-Minprow-Revision": str(revision)})

    async def watch(self, request: web.Request) -> web.StreamResponse:
        since = request.query["since"]
        self.watches.append(since)
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        first = len(self.watches) == 1
        name, revision = ("b", 5) if first else ("d", int(since) + 1)
        lines = [{"type": "ADDED", "revision": revision, "object": make_job(name).to_wire()}]
        if first and self.ending is not None:
            lines.append(self.ending)
        await response.write(b"".join(json.dumps(line).encode() + b"\n" for line in lines))
        return response  # the stream ends


RELISTED = [("ADDED", "b", 5), ("DELETED", "b", 9), ("ADDED", "a", 9), ("ADDED", "c", 9),
            ("ADDED", "d", 10)]  # fmt: skip
RESUMED = [("ADDED", "b", 5), ("ADDED", "d", 6)]


@pytest.mark.parametrize(
    ("ending", "expected", "watches", "lists"),
    [
        (
            {"type": "ERROR", "object": _status(410, "Expired", "too old resource version")},
            RELISTED,
            ["4", "9"],
            2,
        ),
        ({"type": "ERROR", "reason": "watcher fell behind"}, RELISTED, ["4", "9"], 2),
        (
            {"type": "ERROR", "object": _status(500, "InternalError", "etcd hiccup")},
            RESUMED,
            ["4", "5"],
            1,
        ),
        (None, RESUMED, ["4", "5"], 1),
    ],
    ids=["410-status", "pre-status-error-line", "other-status", "stream-just-ends"],
)
async def test_only_a_410_makes_the_source_list_again(
    ending: dict[str, Any] | None,
    expected: list[tuple[str, str, int]],
    watches: list[str],
    lists: int,
) -> None:
    # Otherwise it resumes from the last revision it got, as a client-go reflector.
    scripted = ScriptedWatch(ending)
    runner = web.AppRunner(scripted.app())
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    source = RemoteSource(f"http://127.0.0.1:{port}", first_backoff=0.01, max_backoff=0.05)
    try:
        _, revision = await source.snapshot()
        feed = source.changes(revision)
        got = await events(feed, len(expected))
        await feed.aclose()
    finally:
        await source.close()
        await runner.cleanup()
    assert [(e.type, e.job.metadata.name, e.revision) for e in got] == expected
    assert scripted.watches[:2] == watches
    assert scripted.lists == lists


async def test_log_of_a_running_job_is_followed(server: Server, source: RemoteSource) -> None:
    pj = await server.store.create(
        make_job(
            f"run-{uuid.uuid4().hex[:8]}",
            state=ProwJobState.PENDING,
            script="echo one; sleep 0.3; echo two",
        )
    )
    await server.executor.start(pj, render(pj))
    assert await read_all(source.logs(pj.name, follow=True)) == b"one\ntwo\n"


async def test_log_of_a_finished_job_comes_from_its_artifacts(
    server: Server, source: RemoteSource
) -> None:
    pj = await server.store.create(make_job("done", state=ProwJobState.FAILURE))
    destination = destination_for(pj, default_dir=server.artifacts)
    destination.put_bytes(gcspaths.join(gcspaths.job_path(pj), "build-log.txt"), b"FAIL: x\n")
    assert await read_all(source.logs("done", follow=True)) == b"FAIL: x\n"


@pytest.mark.parametrize(
    ("name", "state", "message"),
    [
        ("nope", None, "no log for nope: .*not found"),
        ("quiet", ProwJobState.SUCCESS, "no log for quiet: .*neither its process nor"),
    ],
    ids=["unknown-job", "finished-without-log"],
)
async def test_no_log_is_a_clear_error(
    server: Server, source: RemoteSource, name: str, state: ProwJobState | None, message: str
) -> None:
    if state is not None:
        await server.store.create(make_job(name, state=state))
    with pytest.raises(SourceError, match=message):
        await read_all(source.logs(name, follow=False))


async def test_rerun_and_abort_with_the_token(server: Server, source: RemoteSource) -> None:
    await server.store.create(make_job("busy", state=ProwJobState.PENDING))
    new_name = await source.rerun("busy")
    rerun = server.store.get(new_name)
    assert (rerun.spec.job, rerun.status.state) == ("job-busy", ProwJobState.TRIGGERED)
    await source.abort("busy")
    assert server.store.get("busy").status.state is ProwJobState.ABORTED
    with pytest.raises(SourceError, match="already finished"):
        await source.abort("busy")


@pytest.mark.parametrize(
    ("server_token", "client_token"),
    [(TOKEN, None), (TOKEN, "a-wrong-token"), (None, TOKEN)],
    ids=["no-token-given", "wrong-token", "server-has-no-token"],
)
async def test_writes_refused_say_to_pass_the_token(
    server: Server, server_token: str | None, client_token: str | None
) -> None:
    server.token = server_token
    await server.store.create(make_job("busy", state=ProwJobState.PENDING))
    source = remote(server, client_token)
    try:
        for write in (source.rerun, source.abort):
            with pytest.raises(SourceError, match="the server refused: pass --token-file"):
                await write("busy")
    finally:
        await source.close()
    assert len(server.store) == 1
    assert server.store.get("busy").status.state is ProwJobState.PENDING


async def test_clusters_come_from_the_server(server: Server, source: RemoteSource) -> None:
    await server.store.create(make_job("far", cluster="build01"))
    assert await source.clusters() == {
        "build01": {"executor": "host", "reachable": True},
        "default": {"executor": "host", "reachable": True},
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [("deck", "not a minprow server"), ("nowhere", "cannot reach")],
    ids=["deck-without-revision", "nothing-listening"],
)
async def test_a_server_that_cannot_be_followed_is_a_clear_error(url: str, message: str) -> None:
    app = web.Application()

    async def deck(_: web.Request) -> web.Response:
        return web.json_response({"items": []})

    app.router.add_get("/prowjobs.js", deck)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    if url == "deck":
        await web.TCPSite(runner, "127.0.0.1", port).start()
    source = RemoteSource(f"http://127.0.0.1:{port}", timeout=WAIT)
    try:
        with pytest.raises(SourceError, match=message):
            await source.snapshot()
    finally:
        await source.close()
        await runner.cleanup()

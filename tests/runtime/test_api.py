"""The HTTP API (minprow/runtime/api.py) over real HTTP, a real JobStore (memory and
sqlite) and, for running jobs' logs, the real host executor running `sh`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from minprow import pjutil
from minprow.aio import SystemClock
from minprow.config import Config
from minprow.executors.base import Phase
from minprow.executors.clusters import ClusterMap
from minprow.executors.host import HostExecutor
from minprow.kube.health import ClusterHealth
from minprow.model import ProwJob, ProwJobSpec, ProwJobState, Refs
from minprow.podutils import destination_for, gcspaths
from minprow.podutils.render import render
from minprow.runtime.api import add_api_routes
from minprow.store import JobStore, MemoryBackend, copy_job, open_store

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
TOKEN = "s3cr3t-api-token"
WAIT = 10.0


def make_job(
    name: str,
    *,
    started: datetime = T0,
    state: ProwJobState = ProwJobState.TRIGGERED,
    hidden: bool | None = None,
    env: list[dict[str, Any]] | None = None,
    script: str = "echo hello",
) -> ProwJob:
    container: dict[str, Any] = {
        "name": "test",
        "image": "busybox",
        "command": ["sh", "-c", script],
    }
    if env is not None:
        container["env"] = env
    spec = ProwJobSpec.model_validate(
        {
            "type": "periodic",
            "job": f"job-{name}",
            "agent": "kubernetes",
            "hidden": hidden,
            "pod_spec": {"containers": [container]},
            "decoration_config": {"timeout": "1h"},
        }
    )
    pj = pjutil.new_prowjob(
        spec, {"team": "a"}, {"note": "b"}, now=started, namespace="default", name=name
    )
    pj.status.state = state
    pj.status.build_id = "1234"
    if state.is_final:
        pj.status.completion_time = started + timedelta(minutes=1)
    return pj


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    store: JobStore
    artifacts: Path
    executor: HostExecutor
    token: list[str | None] = field(default_factory=lambda: [TOKEN])

    def auth(self, token: str = TOKEN) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    async with open_store(request.param, tmp_path / "state") as opened:
        yield opened


@contextlib.asynccontextmanager
async def serving(
    store: JobStore,
    tmp_path: Path,
    config: Config | None = None,
    routes: dict[str, str] | None = None,
) -> AsyncIterator[Api]:
    """The API over `store` on a real port, the host executor running every cluster
    (or, with `routes`, only the named ones: cluster -> "host" or "kube-like")."""
    artifacts = tmp_path / "artifacts"
    executor = HostExecutor(tmp_path / "workspaces", artifacts, SystemClock())
    holder: list[str | None] = [TOKEN]
    app = web.Application()
    add_api_routes(
        app,
        store=store,
        clusters=ClusterMap(fallback=executor)
        if routes is None
        else ClusterMap({name: _routed(kind, executor, tmp_path) for name, kind in routes.items()}),
        config=lambda: config or Config(),
        artifacts_dir=artifacts,
        token=lambda: holder[0],
        clock=SystemClock(),
        heartbeat=0.3,
    )
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield Api(client, store, artifacts, executor, holder)
    finally:
        await client.close()
        for managed in await executor.list_managed():
            await executor.abort(managed.prowjob, timedelta(seconds=1))
            await executor.cleanup(managed.prowjob)


class ReportingHostExecutor(HostExecutor):
    """The host executor with the `health()` a kubernetes executor has, so the clusters
    endpoint shows a ClusterHealth without a real API server."""

    def health(self) -> ClusterHealth:
        return ClusterHealth(
            context="build01",
            server="https://build01.example:6443",
            reachable=False,
            last_error="dial tcp: connection refused",
            last_error_at=T0,
        )


def _routed(kind: str, executor: HostExecutor, tmp_path: Path) -> HostExecutor:
    if kind == "kube-like":
        return ReportingHostExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())
    return executor


@pytest.fixture
async def api(store: JobStore, tmp_path: Path) -> AsyncIterator[Api]:
    async with serving(store, tmp_path) as made:
        yield made


async def read_line(resp: ClientResponse) -> bytes:
    return await asyncio.wait_for(resp.content.readline(), WAIT)


async def read_event(resp: ClientResponse) -> dict[str, Any]:
    while True:
        line = await read_line(resp)
        assert line, "the stream ended"
        if line.strip():
            event: dict[str, Any] = json.loads(line)
            return event


def assert_expired(event: dict[str, Any], message: str) -> None:
    """`event` is kube-apiserver's end of a watch too far behind: 410 Expired."""
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["kind"], status["apiVersion"], status["status"]) == ("Status", "v1", "Failure")
    assert (status["code"], status["reason"]) == (410, "Expired")
    assert message in status["message"]
    assert event["reason"] == status["message"]  # the line older minprow clients read


# /prowjobs.js


async def test_prowjobs_js_lists_newest_first_without_hidden_jobs(api: Api) -> None:
    for name, minutes, hidden in [("old", 0, None), ("new", 20, None), ("mid", 10, False)]:
        await api.store.create(
            make_job(name, started=T0 + timedelta(minutes=minutes), hidden=hidden)
        )
    await api.store.create(make_job("secret-job", started=T0 + timedelta(hours=1), hidden=True))
    resp = await api.client.get("/prowjobs.js")
    assert resp.status == 200
    assert resp.headers["Cache-Control"].startswith("no-cache")
    items = (await resp.json())["items"]
    assert [i["metadata"]["name"] for i in items] == ["new", "mid", "old"]
    assert items[0]["kind"] == "ProwJob"
    assert items[0]["spec"]["job"] == "job-new"


@pytest.mark.parametrize(
    ("omit", "gone"),
    [
        ("", set()),
        ("annotations", {"annotations"}),
        ("labels,annotations", {"labels", "annotations"}),
        ("decoration_config", {"decoration_config"}),
        ("pod_spec", {"pod_spec"}),
        (
            "annotations,labels,decoration_config,pod_spec,bogus",
            {"annotations", "labels", "decoration_config", "pod_spec"},
        ),
    ],
    ids=[
        "none",
        "annotations",
        "labels-and-annotations",
        "decoration",
        "pod-spec",
        "all-and-unknown",
    ],
)
async def test_prowjobs_js_omits_what_deck_omits(api: Api, omit: str, gone: set[str]) -> None:
    await api.store.create(make_job("a"))
    item = (await (await api.client.get("/prowjobs.js", params={"omit": omit})).json())["items"][0]
    meta, spec = item["metadata"], item["spec"]
    assert ("annotations" not in meta) == ("annotations" in gone)
    assert ("labels" not in meta) == ("labels" in gone)
    assert ("decoration_config" not in spec) == ("decoration_config" in gone)
    if "pod_spec" in gone:
        # Deck keeps one empty container per container.
        assert spec["pod_spec"] == {"containers": [{"name": "", "resources": {}}]}
    else:
        assert spec["pod_spec"]["containers"][0]["command"] == ["sh", "-c", "echo hello"]


@pytest.mark.parametrize(
    ("var", "status", "start"),
    [("allBuilds", 200, "var allBuilds = {"), ("a;alert(1)", 400, '{"error"')],
    ids=["identifier", "not-an-identifier"],
)
async def test_prowjobs_js_wraps_in_a_var_as_deck(
    api: Api, var: str, status: int, start: str
) -> None:
    await api.store.create(make_job("a"))
    resp = await api.client.get("/prowjobs.js", params={"var": var})
    assert resp.status == status
    text = await resp.text()
    assert text.startswith(start)
    if status == 200:
        assert text.endswith("};")
        assert resp.content_type == "application/javascript"


# GET one


@pytest.mark.parametrize(
    ("name", "status"), [("there", 200), ("nowhere", 404)], ids=["known", "unknown"]
)
async def test_get_one_prowjob(api: Api, name: str, status: int) -> None:
    await api.store.create(make_job("there"))
    resp = await api.client.get(f"/api/v1/prowjobs/{name}")
    assert resp.status == status
    body = await resp.json()
    if status == 200:
        assert body["metadata"]["name"] == "there"
        assert body["metadata"]["resourceVersion"]
    else:
        assert "nowhere" in body["error"]


# Secrets


ENV: list[dict[str, Any]] = [
    {"name": "GITHUB_TOKEN", "value": "ghp_abc"},
    {"name": "db_password", "value": "hunter2"},
    {"name": "API_KEY", "value": "k-123"},
    {"name": "GOOGLE_CREDENTIALS", "value": "{json}"},
    {"name": "MY_SECRET", "value": "x"},
    {"name": "FROM_SECRET_REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
    {"name": "GREETING", "value": "hello"},
]


@pytest.mark.parametrize(
    "path",
    ["/prowjobs.js", "/api/v1/prowjobs/leaky", "/api/v1/watch"],
    ids=["prowjobs-js", "get", "watch"],
)
async def test_secret_like_env_values_are_redacted_in_output_only(api: Api, path: str) -> None:
    await api.store.create(make_job("leaky", env=ENV, script="deploy --token=ghp_abc"))
    resp = await api.client.get(path)
    if path == "/api/v1/watch":
        shown = (await read_event(resp))["object"]
        resp.close()
    else:
        body = await resp.json()
        shown = body["items"][0] if "items" in body else body
    container = shown["spec"]["pod_spec"]["containers"][0]
    values = {e["name"]: e.get("value") for e in container["env"]}
    assert values == {
        "GITHUB_TOKEN": "<redacted>",
        "db_password": "<redacted>",
        "API_KEY": "<redacted>",
        "GOOGLE_CREDENTIALS": "<redacted>",
        "MY_SECRET": "<redacted>",
        "FROM_SECRET_REF": None,
        "GREETING": "hello",
    }
    assert container["env"][5]["valueFrom"] == ENV[5]["valueFrom"]
    assert "ghp_abc" not in json.dumps(shown)
    stored = api.store.get("leaky").spec.pod_spec
    assert stored is not None
    assert stored["containers"][0]["env"] == ENV


# Watch


async def test_watch_without_since_lists_then_streams_live_events(api: Api) -> None:
    await api.store.create(make_job("first"))
    resp = await api.client.get("/api/v1/watch")
    assert resp.status == 200
    assert resp.content_type == "application/x-ndjson"
    added = await read_event(resp)
    assert (added["type"], added["object"]["metadata"]["name"]) == ("ADDED", "first")
    assert added["revision"] == int(added["object"]["metadata"]["resourceVersion"])
    await api.store.create(make_job("second"))
    live = await read_event(resp)
    assert (live["type"], live["object"]["metadata"]["name"]) == ("ADDED", "second")

    def finish(pj: ProwJob) -> ProwJob:
        pj.status.state = ProwJobState.SUCCESS
        return pj

    await api.store.mutate("first", finish)
    modified = await read_event(resp)
    assert (modified["type"], modified["object"]["status"]["state"]) == ("MODIFIED", "success")
    await api.store.delete("second")
    deleted = await read_event(resp)
    assert (deleted["type"], deleted["object"]["metadata"]["name"]) == ("DELETED", "second")
    assert live["revision"] < modified["revision"] < deleted["revision"]
    resp.close()


async def test_watch_since_replays_only_later_changes(api: Api) -> None:
    first = await api.store.create(make_job("first"))
    await api.store.create(make_job("second"))
    since = int(first.metadata.resource_version or 0)
    resp = await api.client.get("/api/v1/watch", params={"since": str(since)})
    replayed = await read_event(resp)
    assert (replayed["type"], replayed["object"]["metadata"]["name"]) == ("ADDED", "second")
    await api.store.create(make_job("third"))
    live = await read_event(resp)
    assert live["object"]["metadata"]["name"] == "third"
    resp.close()


async def test_watch_sends_heartbeats_while_quiet(api: Api) -> None:
    resp = await api.client.get("/api/v1/watch", params={"since": str(api.store.revision)})
    assert await read_line(resp) == b"\n"
    assert await read_line(resp) == b"\n"
    resp.close()


async def test_watch_from_a_compacted_revision_ends_with_an_error_line(tmp_path: Path) -> None:
    async with JobStore(MemoryBackend(change_log_size=1)) as store, serving(store, tmp_path) as api:
        for name in ("a", "b", "c"):
            await store.create(make_job(name))
        resp = await api.client.get("/api/v1/watch", params={"since": "0"})
        assert_expired(await read_event(resp), "compacted")
        assert await read_line(resp) == b""  # the stream ends: the client lists again


async def test_shutdown_ends_open_watches(tmp_path: Path) -> None:
    async with open_store("memory") as store:
        async with serving(store, tmp_path) as api:
            resp = await api.client.get("/api/v1/watch")
            assert await read_line(resp) == b"\n"
            started = asyncio.get_running_loop().time()
        assert asyncio.get_running_loop().time() - started < 5
        assert not store._watchers


@pytest.mark.parametrize(
    ("hidden_repos", "listed"),
    [
        ([], ["plain", "in-org", "in-repo"]),
        (["hidden-org"], ["plain"]),
        (["hidden-org/repo"], ["plain", "in-org"]),
    ],
    ids=["none", "org", "repo"],
)
async def test_prowjobs_js_leaves_out_deck_hidden_repos(
    tmp_path: Path, hidden_repos: list[str], listed: list[str]
) -> None:
    config = Config(raw_sections={"deck": {"hidden_repos": hidden_repos}})
    async with open_store("memory") as store, serving(store, tmp_path, config) as api:
        await store.create(make_job("plain", started=T0 + timedelta(minutes=3)))
        for name, repo, minutes in [("in-org", "other", 2), ("in-repo", "repo", 1)]:
            pj = make_job(name, started=T0 + timedelta(minutes=minutes))
            pj.spec.extra_refs = [Refs(org="hidden-org", repo=repo, base_ref="main")]
            await store.create(pj)
        items = (await (await api.client.get("/prowjobs.js")).json())["items"]
        assert [i["metadata"]["name"] for i in items] == listed


@pytest.mark.parametrize("since", ["abc", "1.5"], ids=["word", "float"])
async def test_watch_rejects_a_bad_since(api: Api, since: str) -> None:
    resp = await api.client.get("/api/v1/watch", params={"since": since})
    assert resp.status == 400
    assert "since" in (await resp.json())["error"]


async def test_watch_is_closed_when_the_client_disconnects(api: Api) -> None:
    await api.store.create(make_job("first"))
    resp = await api.client.get("/api/v1/watch")
    await read_event(resp)
    # The store's registry of watchers is the only place a leaked watch would show.
    assert len(api.store._watchers) == 1
    resp.close()
    deadline = asyncio.get_running_loop().time() + WAIT
    while api.store._watchers:
        assert asyncio.get_running_loop().time() < deadline, "the watch was never closed"
        await asyncio.sleep(0.05)


# Logs


async def test_log_of_a_running_job_follows_its_process(api: Api) -> None:
    pj = await api.store.create(
        make_job(
            f"run-{uuid.uuid4().hex[:8]}",
            script="echo one; sleep 0.5; echo two",
            state=ProwJobState.PENDING,
        )
    )
    await api.executor.start(pj, render(pj))
    resp = await api.client.get(f"/api/v1/prowjobs/{pj.name}/log", params={"follow": "true"})
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert await asyncio.wait_for(resp.text(), WAIT) == "one\ntwo\n"


async def test_log_without_follow_returns_what_is_there(api: Api) -> None:
    pj = await api.store.create(
        make_job(
            f"run-{uuid.uuid4().hex[:8]}", script="echo one; sleep 30", state=ProwJobState.PENDING
        )
    )
    await api.executor.start(pj, render(pj))
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        resp = await api.client.get(f"/api/v1/prowjobs/{pj.name}/log")
        text = await asyncio.wait_for(resp.text(), WAIT)
        if text == "one\n":
            break
        assert asyncio.get_running_loop().time() < deadline, f"log was {text!r}"
        await asyncio.sleep(0.05)
    assert (await api.executor.observe(pj.name)).phase is Phase.RUNNING


async def test_log_of_a_finished_job_comes_from_its_build_log(api: Api) -> None:
    pj = await api.store.create(make_job("done", state=ProwJobState.SUCCESS))
    destination = destination_for(pj, default_dir=api.artifacts)
    destination.put_bytes(gcspaths.join(gcspaths.job_path(pj), "build-log.txt"), b"all good\n")
    resp = await api.client.get("/api/v1/prowjobs/done/log")
    assert resp.status == 200
    assert await resp.text() == "all good\n"


async def test_log_of_a_finished_job_not_uploaded_comes_from_its_process(api: Api) -> None:
    pj = make_job(f"run-{uuid.uuid4().hex[:8]}", script="echo done")
    await api.executor.start(pj, render(pj))
    deadline = asyncio.get_running_loop().time() + WAIT
    while not (await api.executor.observe(pj.name)).phase.is_final:
        assert asyncio.get_running_loop().time() < deadline, "the process never ended"
        await asyncio.sleep(0.05)
    pj.status.state = ProwJobState.SUCCESS
    await api.store.create(pj)
    resp = await api.client.get(f"/api/v1/prowjobs/{pj.name}/log", params={"follow": "true"})
    assert resp.status == 200
    assert await asyncio.wait_for(resp.text(), WAIT) == "done\n"


async def test_log_of_a_job_whose_process_is_gone_comes_from_its_build_log(api: Api) -> None:
    # A clone failure uploads build-log.txt before any process exists.
    pj = await api.store.create(make_job("clone-failed", state=ProwJobState.PENDING))
    destination = destination_for(pj, default_dir=api.artifacts)
    destination.put_bytes(gcspaths.join(gcspaths.job_path(pj), "build-log.txt"), b"clone failed\n")
    resp = await api.client.get("/api/v1/prowjobs/clone-failed/log")
    assert resp.status == 200
    assert await resp.text() == "clone failed\n"


@pytest.mark.parametrize(
    ("name", "state"),
    [("nowhere", None), ("never-ran", ProwJobState.TRIGGERED), ("lost", ProwJobState.FAILURE)],
    ids=["unknown-job", "no-process-yet", "finished-without-log"],
)
async def test_log_is_404_when_there_is_none(
    api: Api, name: str, state: ProwJobState | None
) -> None:
    if state is not None:
        await api.store.create(make_job(name, state=state))
    resp = await api.client.get(f"/api/v1/prowjobs/{name}/log")
    assert resp.status == 404
    assert name in (await resp.json())["error"]


# Rerun and abort


WRITES = ["rerun", "abort"]


@pytest.mark.parametrize("action", WRITES)
@pytest.mark.parametrize(
    ("configured", "header", "status", "message"),
    [
        (None, f"Bearer {TOKEN}", 403, "no API token configured"),
        (TOKEN, None, 401, "missing bearer token"),
        (TOKEN, f"Basic {TOKEN}", 401, "missing bearer token"),
        (TOKEN, "Bearer wrong", 401, "invalid API token"),
    ],
    ids=["none-configured", "missing", "not-bearer", "wrong"],
)
async def test_writes_need_the_token(
    api: Api, action: str, configured: str | None, header: str | None, status: int, message: str
) -> None:
    api.token[0] = configured
    await api.store.create(make_job("target"))
    headers = {"Authorization": header} if header else {}
    resp = await api.client.post(f"/api/v1/prowjobs/target/{action}", headers=headers)
    assert resp.status == status
    assert message in (await resp.json())["error"]
    assert len(api.store) == 1
    assert api.store.get("target").status.state is ProwJobState.TRIGGERED


async def test_rerun_creates_a_new_job_like_the_old(api: Api) -> None:
    old = await api.store.create(make_job("old", state=ProwJobState.FAILURE, env=ENV))
    resp = await api.client.post(
        "/api/v1/prowjobs/old/rerun", headers=api.auth(), json={"user": "alice"}
    )
    assert resp.status == 201
    body = await resp.json()
    new = api.store.get(body["metadata"]["name"])
    assert new.name != "old"
    assert new.status.state is ProwJobState.TRIGGERED
    assert new.status.description == "alice successfully reran old."
    assert new.spec.job == old.spec.job
    assert new.spec.pod_spec == old.spec.pod_spec
    assert body["spec"]["pod_spec"]["containers"][0]["env"][0]["value"] == "<redacted>"


async def test_abort_marks_a_running_job_aborted(api: Api) -> None:
    await api.store.create(make_job("busy", state=ProwJobState.PENDING))
    resp = await api.client.post(
        "/api/v1/prowjobs/busy/abort", headers=api.auth(), json={"user": "bob"}
    )
    assert resp.status == 200
    body = await resp.json()
    assert body["status"]["state"] == "aborted"
    stored = api.store.get("busy")
    assert stored.status.state is ProwJobState.ABORTED
    assert stored.status.description == "Aborted by bob through the API."
    assert stored.status.completion_time is None  # plank stops the process and completes it


@pytest.mark.parametrize(
    "state",
    [ProwJobState.SUCCESS, ProwJobState.FAILURE, ProwJobState.ABORTED, ProwJobState.ERROR],
    ids=lambda s: str(s),
)
async def test_abort_of_a_finished_job_is_a_conflict(api: Api, state: ProwJobState) -> None:
    await api.store.create(make_job("over", state=state))
    resp = await api.client.post("/api/v1/prowjobs/over/abort", headers=api.auth())
    assert resp.status == 409
    assert "already finished" in (await resp.json())["error"]
    assert api.store.get("over").status.state is state


@pytest.mark.parametrize("action", WRITES)
async def test_writes_to_an_unknown_job_are_404(api: Api, action: str) -> None:
    resp = await api.client.post(f"/api/v1/prowjobs/ghost/{action}", headers=api.auth())
    assert resp.status == 404


async def test_abort_without_a_user_names_the_api_client(api: Api) -> None:
    await api.store.create(make_job("busy"))
    resp = await api.client.post("/api/v1/prowjobs/busy/abort", headers=api.auth())
    assert resp.status == 200
    assert api.store.get("busy").status.description == "Aborted by an API client through the API."
    # The store's copy is what plank reads; the API answered from it.
    assert copy_job(api.store.get("busy")).status.state is ProwJobState.ABORTED


# Revisions: list, then watch from the list's revision


async def test_prowjobs_js_names_its_revision_and_a_watch_from_it_misses_nothing(
    api: Api,
) -> None:
    await api.store.create(make_job("listed"))
    resp = await api.client.get("/prowjobs.js")
    revision = int(resp.headers["X-Minprow-Revision"])
    assert revision == api.store.revision
    assert [j["metadata"]["name"] for j in (await resp.json())["items"]] == ["listed"]
    await api.store.create(make_job("after"))
    watch = await api.client.get("/api/v1/watch", params={"since": str(revision)})
    assert watch.headers["X-Minprow-Revision"] == str(revision)
    event = await read_event(watch)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "after")
    watch.close()


async def test_watch_ahead_of_the_store_ends_with_an_error_line(api: Api) -> None:
    # A client that followed a server whose memory store has since started over.
    resp = await api.client.get("/api/v1/watch", params={"since": str(api.store.revision + 50)})
    assert resp.status == 200  # as kube-apiserver: the watch starts, then ends at once
    assert_expired(await read_event(resp), "list again")
    assert await read_line(resp) == b""


async def test_watch_leaves_out_hidden_jobs(api: Api) -> None:
    resp = await api.client.get("/api/v1/watch", params={"since": str(api.store.revision)})
    await api.store.create(make_job("secret-job", hidden=True))
    await api.store.create(make_job("plain"))
    event = await read_event(resp)
    assert event["object"]["metadata"]["name"] == "plain"
    resp.close()


# Clusters


@pytest.mark.parametrize(
    ("routes", "job_clusters", "expected"),
    [
        (
            None,
            ["build02"],
            {
                "build02": {"executor": "host", "reachable": True},
                "default": {"executor": "host", "reachable": True},
            },
        ),
        (
            {"local": "host"},
            ["gone"],
            {
                "gone": {
                    "executor": None,
                    "reachable": False,
                    "last_error": "cluster 'gone' has no executor in minprow's cluster "
                    "mapping (known clusters: local)",
                },
                "local": {"executor": "host", "reachable": True},
            },
        ),
        (
            {"build01": "kube-like"},
            [],
            {
                "build01": {
                    "executor": "host",
                    "context": "build01",
                    "server": "https://build01.example:6443",
                    "reachable": False,
                    "version": None,
                    "last_error": "dial tcp: connection refused",
                    "last_error_at": T0.isoformat(),
                    "last_success_at": None,
                    "expires_at": None,
                }
            },
        ),
    ],
    ids=["fallback-runs-every-cluster", "a-job-names-an-unmapped-cluster", "executor-with-health"],
)
async def test_clusters_reports_each_build_cluster(
    store: JobStore,
    tmp_path: Path,
    routes: dict[str, str] | None,
    job_clusters: list[str],
    expected: dict[str, Any],
) -> None:
    for cluster in job_clusters:
        pj = make_job(f"on-{cluster}")
        pj.spec.cluster = cluster
        await store.create(pj)
    async with serving(store, tmp_path, routes=routes) as api:
        resp = await api.client.get("/api/v1/clusters")
        assert resp.status == 200
        assert await resp.json() == expected

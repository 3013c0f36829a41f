"""What only the kube backend does: objects written by others (`kubectl`, another
replica) reach the JobStore through the watch, and a watch answered with 410 Gone
lists again."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fakekube import FakeKubeThread
from kubernetes import client

from minprow.model import ProwJob, ProwJobState
from minprow.store import JobStore, WatchExpired, open_store
from minprow.store.kube import KubeBackend, api_client_for

G, V, NS, P = "prow.k8s.io", "v1", "prow-jobs", "prowjobs"


@pytest.fixture
def server() -> Iterator[FakeKubeThread]:
    with FakeKubeThread(window=5) as fake:
        yield fake


def _kubectl(server: FakeKubeThread) -> client.CustomObjectsApi:
    conf = client.Configuration()
    conf.host = server.url
    return client.CustomObjectsApi(client.ApiClient(conf))


def _wire(name: str) -> dict[str, Any]:
    return {
        "apiVersion": f"{G}/{V}",
        "kind": "ProwJob",
        "metadata": {"name": name},
        "spec": {"type": "periodic", "job": "ci-nightly"},
        "status": {"state": "triggered"},
    }


def _backend(server: FakeKubeThread) -> KubeBackend:
    return KubeBackend(api_client_for(server.url), NS, watch_read_timeout=0.5)


async def test_objects_created_with_kubectl_appear(server: FakeKubeThread) -> None:
    kubectl = _kubectl(server)
    await asyncio.to_thread(kubectl.create_namespaced_custom_object, G, V, NS, P, _wire("old"))
    async with JobStore(_backend(server)) as store:
        assert [j.name for j in store.list()] == ["old"]
        watch = store.watch()
        await asyncio.to_thread(kubectl.create_namespaced_custom_object, G, V, NS, P, _wire("new"))

        assert await store.refresh() == 1
        event = await anext(watch)
        assert (event.type, event.object.name, event.revision) == ("ADDED", "new", 2)
        assert store.get("new").status.state is ProwJobState.TRIGGERED
        watch.close()


async def test_a_watch_answered_410_gone_lists_again(server: FakeKubeThread) -> None:
    kubectl = _kubectl(server)
    async with JobStore(_backend(server)) as store:
        watch = store.watch()
        server.fake.held = True  # the backend's watch misses what follows
        for i in range(7):  # beyond the fake's window of 5: the backend's revision is gone
            await asyncio.to_thread(
                kubectl.create_namespaced_custom_object, G, V, NS, P, _wire(f"j{i}")
            )
        server.drop_watches()  # it reconnects from revision 0 and gets 410 Gone

        assert await store.refresh() == 7  # a full list
        assert {j.name for j in store.list()} == {f"j{i}" for i in range(7)}
        assert store.revision == 7
        with pytest.raises(WatchExpired, match="re-listed"):
            await anext(watch)
        await asyncio.to_thread(kubectl.create_namespaced_custom_object, G, V, NS, P, _wire("late"))
        assert await store.refresh() == 1  # and the re-started watch delivers again
        assert store.get("late").metadata.resource_version == "8"


async def test_relist_after_410_expires_followers_behind_it(server: FakeKubeThread) -> None:
    kubectl = _kubectl(server)
    backend = _backend(server)
    await backend.open()
    await backend.close()  # no watch running while the server compacts
    for i in range(7):  # beyond the fake's window of 5
        await asyncio.to_thread(
            kubectl.create_namespaced_custom_object, G, V, NS, P, _wire(f"j{i}")
        )
    jobs, revision = await backend.open()  # lists at 7, watches from 7
    assert (len(jobs), revision) == (7, 7)
    with pytest.raises(WatchExpired, match="compacted"):
        await backend.changes_since(1)
    assert await backend.changes_since(7) == []
    await backend.close()


async def test_open_store_kube(server: FakeKubeThread) -> None:
    async with open_store("kube", url=server.url, namespace=NS) as store:
        stored = await store.create(ProwJob.model_validate(_wire("a")))
        assert stored.metadata.namespace == NS
    with pytest.raises(ValueError, match="url"):
        open_store("kube")


async def test_a_quiet_namespace_syncs_by_bookmarks_not_by_timeout(server: FakeKubeThread) -> None:
    kubectl = _kubectl(server)
    # A sync timeout far beyond the wait below: only a bookmark can end the wait early.
    backend = KubeBackend(api_client_for(server.url), NS, sync_timeout=60, watch_read_timeout=0.5)
    _, revision = await backend.open()
    for i in range(3):  # writes elsewhere move the cluster's revision, not this namespace
        await asyncio.to_thread(
            kubectl.create_namespaced_custom_object, G, V, "elsewhere", P, _wire(f"o{i}")
        )
    assert await asyncio.wait_for(backend.changes_since(revision), timeout=10) == []
    await backend.close()


@pytest.mark.parametrize("reopen", [False, True], ids=["close", "close-then-reopen"])
async def test_close_is_quick_and_a_reopened_backend_watches_again(
    server: FakeKubeThread, reopen: bool
) -> None:
    backend = KubeBackend(api_client_for(server.url), NS, watch_read_timeout=30)
    await backend.open()
    # A read timeout of 30 s: close must not wait for it (nor for the thread).
    await asyncio.wait_for(backend.close(), timeout=1.0)
    if reopen:
        await backend.open()
        created = await asyncio.to_thread(
            _kubectl(server).create_namespaced_custom_object, G, V, NS, P, _wire("after")
        )
        events = await asyncio.wait_for(backend.changes_since(0), timeout=10)
        assert [e.revision for e in events] == [int(created["metadata"]["resourceVersion"])]
        await asyncio.wait_for(backend.close(), timeout=1.0)

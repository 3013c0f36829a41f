"""The fake API server's streams, driven by the real `kubernetes` client through a
kubeconfig: watches (resume, selectors, bookmarks, 410 Expired), graceful pod
deletion, pod log follow, and the failure switches (`unreachable`, `fail_next`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

NS = "test-pods"


@pytest.fixture
def server() -> Iterator[FakeKubeThread]:
    with FakeKubeThread(window=4, bookmark_interval=0.2) as fake:
        yield fake


@pytest.fixture
def core(server: FakeKubeThread, tmp_path: Path) -> client.CoreV1Api:
    path = write_kubeconfig(tmp_path / "kubeconfig", {"build": server.url})
    return client.CoreV1Api(api_client(path))


def _pod(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"containers": [{"name": "test", "image": "golang"}]},
    }


def _events(core: client.CoreV1Api, **query: Any) -> list[tuple[str, str, str]]:
    """Every event of a short watch: (type, name, resourceVersion)."""
    response = core.list_namespaced_pod(
        NS, watch=True, timeout_seconds=1, _preload_content=False, **query
    )
    out = []
    for line in response.read().decode().splitlines():
        event = json.loads(line)
        meta = event["object"].get("metadata") or {}
        out.append((event["type"], meta.get("name", ""), meta.get("resourceVersion", "")))
    return out


def test_watch_resumes_after_a_revision(core: client.CoreV1Api) -> None:
    a = core.create_namespaced_pod(NS, _pod("a"))
    core.patch_namespaced_pod("a", NS, {"metadata": {"labels": {"x": "1"}}})
    core.delete_namespaced_pod("a", NS)  # unscheduled: deleted at once
    first = int(a.metadata.resource_version)
    assert _events(core, resource_version=str(first)) == [
        ("MODIFIED", "a", str(first + 1)),
        ("DELETED", "a", str(first + 2)),
    ]


def test_watch_without_revision_starts_with_the_current_state(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod(NS, _pod("a"))
    core.create_namespaced_pod(NS, _pod("b"))
    assert [(t, n) for t, n, _ in _events(core)] == [("ADDED", "a"), ("ADDED", "b")]


def test_a_selector_watch_sees_objects_enter_and_leave(core: client.CoreV1Api) -> None:
    core.create_namespaced_pod(NS, _pod("a", {"app": "x"}))
    core.create_namespaced_pod(NS, _pod("b", {"app": "y"}))
    core.patch_namespaced_pod("b", NS, {"metadata": {"labels": {"app": "x"}}})
    core.patch_namespaced_pod("a", NS, {"metadata": {"labels": {"app": "y"}}})
    seen = [(t, n) for t, n, _ in _events(core, resource_version="0", label_selector="app=x")]
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("DELETED", "a")]


def test_bookmarks_carry_the_revision_past_filtered_events(
    core: client.CoreV1Api, server: FakeKubeThread
) -> None:
    start = core.list_namespaced_pod(NS).metadata.resource_version
    client.CoreV1Api(core.api_client).create_namespaced_pod("elsewhere", _pod("o"))
    events = _events(core, resource_version=start, allow_watch_bookmarks=True)
    assert events
    assert {t for t, _, _ in events} == {"BOOKMARK"}
    assert events[0][2] == str(server.fake.revision)


def test_the_client_watch_helper_follows_bookmarks(core: client.CoreV1Api) -> None:
    start = core.list_namespaced_pod(NS).metadata.resource_version
    core.create_namespaced_pod("elsewhere", _pod("o"))
    watcher = watch.Watch()
    stream = watcher.stream(
        core.list_namespaced_pod,
        NS,
        resource_version=start,
        allow_watch_bookmarks=True,
        timeout_seconds=1,
    )
    kinds = [event["type"] for event in stream]
    assert "BOOKMARK" in kinds
    assert int(watcher.resource_version) > int(start)


@pytest.mark.parametrize("how", ["window", "compact"], ids=str)
def test_a_watch_from_a_compacted_revision_gets_410(
    core: client.CoreV1Api, server: FakeKubeThread, how: str
) -> None:
    for i in range(6 if how == "window" else 2):  # the window keeps 4 events
        core.create_namespaced_pod(NS, _pod(f"p{i}"))
    if how == "compact":
        server.compact()
    response = core.list_namespaced_pod(
        NS, watch=True, resource_version="1", timeout_seconds=1, _preload_content=False
    )
    (line,) = response.read().decode().splitlines()
    event = json.loads(line)
    assert event["type"] == "ERROR"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


def test_graceful_deletion_waits_for_the_kubelet(
    core: client.CoreV1Api, server: FakeKubeThread
) -> None:
    created = core.create_namespaced_pod(NS, _pod("p"))
    server.set_pod_phase(NS, "p", "Running")
    server.fake.kubelet_confirms_deletion = False
    core.delete_namespaced_pod("p", NS, grace_period_seconds=30)
    terminating = core.read_namespaced_pod("p", NS)
    assert terminating.metadata.deletion_timestamp is not None
    assert terminating.metadata.deletion_grace_period_seconds == 30
    server.call(server.fake.confirm_deletion, NS, "p")
    with pytest.raises(ApiException) as gone:
        core.read_namespaced_pod("p", NS)
    assert gone.value.status == 404
    since = str(int(created.metadata.resource_version) + 1)  # after the Running status
    assert [t for t, _, _ in _events(core, resource_version=since)] == ["MODIFIED", "DELETED"]


def test_delete_collection_by_label(core: client.CoreV1Api) -> None:
    for name, app in (("a", "x"), ("b", "y"), ("c", "x")):
        core.create_namespaced_pod(NS, _pod(name, {"app": app}))
    core.delete_collection_namespaced_pod(NS, label_selector="app=x")
    assert [p.metadata.name for p in core.list_namespaced_pod(NS).items] == ["b"]


def test_pod_log_follow_streams_until_the_container_terminates(
    core: client.CoreV1Api, server: FakeKubeThread
) -> None:
    core.create_namespaced_pod(NS, _pod("p"))
    server.set_pod_phase(NS, "p", "Running")
    server.set_log(NS, "p", "test", "one\n")
    response = core.read_namespaced_pod_log("p", NS, follow=True, _preload_content=False)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.extend(response.stream(16)))
    reader.start()
    server.append_log(NS, "p", "test", "two\n")
    server.set_pod_phase(NS, "p", "Succeeded", exit_code=0)
    reader.join(10)
    assert not reader.is_alive()
    assert b"".join(chunks) == b"one\ntwo\n"
    assert core.read_namespaced_pod_log("p", NS) == "one\ntwo\n"


@pytest.mark.parametrize(
    ("containers", "query", "phase", "expected"),
    [
        (["a", "b"], {}, "Running", (400, "a container name must be specified")),
        (["a"], {"container": "zz"}, "Running", (400, "is not valid for pod")),
        (["a"], {}, "Pending", (400, "is waiting to start: ContainerCreating")),
        (["a"], {"pod": "gone"}, "Running", (404, "not found")),
    ],
    ids=["container-needed", "unknown-container", "waiting", "pod-gone"],
)
def test_pod_log_errors(
    core: client.CoreV1Api,
    server: FakeKubeThread,
    containers: list[str],
    query: dict[str, str],
    phase: str,
    expected: tuple[int, str],
) -> None:
    body = {"metadata": {"name": "p"}, "spec": {"containers": [{"name": c} for c in containers]}}
    core.create_namespaced_pod(NS, body)
    server.set_pod_phase(NS, "p", phase)
    with pytest.raises(ApiException) as failed:
        core.read_namespaced_pod_log(query.pop("pod", "p"), NS, **query)
    assert failed.value.status == expected[0]
    assert expected[1] in json.loads(failed.value.body)["message"]


def test_an_unreachable_server_times_the_client_out(
    core: client.CoreV1Api, server: FakeKubeThread
) -> None:
    server.fake.unreachable = True
    # The client's pool retries a read timeout, then reports the last one.
    with pytest.raises(urllib3.exceptions.MaxRetryError) as hung:
        core.list_namespaced_pod(NS, _request_timeout=(1, 0.3))
    assert isinstance(hung.value.reason, urllib3.exceptions.ReadTimeoutError)
    server.fake.unreachable = False
    assert core.list_namespaced_pod(NS, _request_timeout=(1, 5)).items == []


@pytest.mark.parametrize(
    ("code", "reason"),
    [(503, "InternalError"), (500, "InternalError"), (429, "TooManyRequests")],
    ids=["503", "500", "429"],
)
def test_fail_next_answers_status_failures(
    core: client.CoreV1Api, server: FakeKubeThread, code: int, reason: str
) -> None:
    server.call(server.fake.fail_next, 2, code)
    for _ in range(2):
        with pytest.raises(ApiException) as failed:
            core.list_namespaced_pod(NS)
        assert (failed.value.status, json.loads(failed.value.body)["reason"]) == (code, reason)
    assert core.list_namespaced_pod(NS).items == []

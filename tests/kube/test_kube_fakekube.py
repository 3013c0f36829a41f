"""The fake API server speaks the wire protocol the kube backend relies on, checked
with the official client: Status objects, resourceVersion preconditions, watch."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fakekube import FakeKubeThread
from kubernetes import client
from kubernetes.client.exceptions import ApiException

G, V, NS, P = "prow.k8s.io", "v1", "ns", "prowjobs"


@pytest.fixture
def api() -> Iterator[tuple[client.CustomObjectsApi, FakeKubeThread]]:
    with FakeKubeThread(window=3) as server:
        conf = client.Configuration()
        conf.host = server.url
        yield client.CustomObjectsApi(client.ApiClient(conf)), server


def _pj(name: str, **meta: Any) -> dict[str, Any]:
    return {"apiVersion": f"{G}/{V}", "kind": "ProwJob", "metadata": {"name": name, **meta}}


def _status(exc: ApiException) -> tuple[int, str]:
    body = json.loads(exc.body)
    assert body["kind"] == "Status"
    return body["code"], body["reason"]


def test_create_sets_server_metadata_and_revisions_increase(api: Any) -> None:
    custom, _ = api
    a = custom.create_namespaced_custom_object(G, V, NS, P, _pj("a"))
    b = custom.create_namespaced_custom_object(G, V, NS, P, _pj("b"))
    assert (a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"]) == ("1", "2")
    assert a["metadata"]["uid"]
    assert a["metadata"]["creationTimestamp"]
    listed = custom.list_namespaced_custom_object(G, V, NS, P)
    assert listed["kind"] == "ProwJobList"
    assert listed["metadata"]["resourceVersion"] == "2"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a", "b"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("create-twice", (409, "AlreadyExists")),
        ("stale-update", (409, "Conflict")),
        ("get-missing", (404, "NotFound")),
        ("stale-delete", (409, "Conflict")),
        ("delete-missing", (404, "NotFound")),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_failures_are_status_objects(api: Any, call: str, expected: tuple[int, str]) -> None:
    custom, _ = api
    a = custom.create_namespaced_custom_object(G, V, NS, P, _pj("a"))
    custom.replace_namespaced_custom_object(G, V, NS, P, "a", a)  # `a` is now stale
    stale_delete = client.V1DeleteOptions(
        preconditions=client.V1Preconditions(resource_version="1")
    )
    calls: dict[str, Callable[[], object]] = {
        "create-twice": lambda: custom.create_namespaced_custom_object(G, V, NS, P, _pj("a")),
        "stale-update": lambda: custom.replace_namespaced_custom_object(G, V, NS, P, "a", a),
        "get-missing": lambda: custom.get_namespaced_custom_object(G, V, NS, P, "zz"),
        "stale-delete": lambda: custom.delete_namespaced_custom_object(
            G, V, NS, P, "a", body=stale_delete
        ),
        "delete-missing": lambda: custom.delete_namespaced_custom_object(G, V, NS, P, "zz"),
    }
    with pytest.raises(ApiException) as raised:
        calls[call]()
    assert raised.value.status == expected[0]
    assert _status(raised.value) == expected


def _watch(custom: client.CustomObjectsApi, since: str) -> list[dict[str, Any]]:
    response = custom.list_namespaced_custom_object(
        G, V, NS, P, watch=True, resource_version=since, timeout_seconds=1, _preload_content=False
    )
    return [json.loads(line) for line in response.read().decode().splitlines() if line]


def test_watch_streams_changes_after_a_revision(api: Any) -> None:
    custom, _ = api
    a = custom.create_namespaced_custom_object(G, V, NS, P, _pj("a"))
    custom.replace_namespaced_custom_object(G, V, NS, P, "a", a)
    custom.delete_namespaced_custom_object(G, V, NS, P, "a")
    events = _watch(custom, "1")
    assert [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in events] == [
        ("MODIFIED", "2"),
        ("DELETED", "3"),
    ]


def test_watch_older_than_the_window_gets_410(api: Any) -> None:
    custom, _ = api
    for i in range(5):  # the window keeps 3 events
        custom.create_namespaced_custom_object(G, V, NS, P, _pj(f"j{i}"))
    (event,) = _watch(custom, "1")
    assert event["type"] == "ERROR"
    assert (event["object"]["kind"], event["object"]["code"]) == ("Status", 410)
    assert event["object"]["reason"] == "Expired"
    assert [e["object"]["metadata"]["name"] for e in _watch(custom, "3")] == ["j3", "j4"]

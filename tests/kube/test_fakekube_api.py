"""The fake API server (tests/fakekube.py) answers the real `kubernetes` client as
kube-apiserver does, through a real kubeconfig: CRUD of every kind, conflicts,
generateName, selectors, patches, graceful pod deletion, kubelet status, pruning."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from kubernetes import client
from kubernetes.client.exceptions import ApiException

NS = "test-pods"


@pytest.fixture
def server() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as fake:
        yield fake


@pytest.fixture
def api(server: FakeKubeThread, tmp_path: Path) -> client.ApiClient:
    path = write_kubeconfig(tmp_path / "kubeconfig", {"build": server.url}, token="t0k3n")
    return api_client(path, "build")


def _pod(name: str = "", labels: dict[str, str] | None = None, **meta: Any) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": labels or {}, **meta}
    if name:
        metadata["name"] = name
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {
            "initContainers": [{"name": "clonerefs", "image": "clonerefs"}],
            "containers": [
                {"name": "test", "image": "golang", "env": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "sidecar"},
            ],
        },
    }


def _status(exc: ApiException) -> tuple[int, str]:
    body = json.loads(exc.body)
    assert body["kind"] == "Status"
    return body["code"], body["reason"]


Crud = tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any], Callable[..., Any]]


def _calls(api: client.ApiClient, kind: str) -> tuple[dict[str, Any], Crud]:
    core, leases = client.CoreV1Api(api), client.CoordinationV1Api(api)
    if kind == "pods":
        return _pod("p"), (
            core.create_namespaced_pod,
            core.read_namespaced_pod,
            core.replace_namespaced_pod,
            core.delete_namespaced_pod,
        )
    if kind == "secrets":
        body = {"metadata": {"name": "p"}, "type": "Opaque", "data": {"token": "dG9r"}}
        return body, (
            core.create_namespaced_secret,
            core.read_namespaced_secret,
            core.replace_namespaced_secret,
            core.delete_namespaced_secret,
        )
    body = {"metadata": {"name": "p"}, "spec": {"holderIdentity": "a", "leaseDurationSeconds": 15}}
    return body, (
        leases.create_namespaced_lease,
        leases.read_namespaced_lease,
        leases.replace_namespaced_lease,
        leases.delete_namespaced_lease,
    )


@pytest.mark.parametrize("kind", ["pods", "secrets", "leases"], ids=str)
def test_crud_of_each_built_in_kind(api: client.ApiClient, kind: str) -> None:
    body, (create, read, replace, delete) = _calls(api, kind)
    created = create(NS, body)
    assert created.metadata.uid
    assert created.metadata.creation_timestamp
    assert created.metadata.namespace == NS
    with pytest.raises(ApiException) as twice:
        create(NS, body)
    assert _status(twice.value) == (409, "AlreadyExists")
    read_back = read("p", NS)
    assert read_back.metadata.resource_version == created.metadata.resource_version
    stale = api.sanitize_for_serialization(read_back)
    replace("p", NS, stale)
    with pytest.raises(ApiException) as conflict:
        replace("p", NS, stale)  # its resourceVersion is now stale
    assert _status(conflict.value) == (409, "Conflict")
    # Built-in kinds allow an unconditional update (no resourceVersion at all).
    del stale["metadata"]["resourceVersion"]
    assert int(replace("p", NS, stale).metadata.resource_version) > int(
        created.metadata.resource_version
    )
    delete("p", NS, grace_period_seconds=0)
    with pytest.raises(ApiException) as gone:
        read("p", NS)
    assert _status(gone.value) == (404, "NotFound")


def test_custom_resources_refuse_an_update_without_resource_version(
    api: client.ApiClient,
) -> None:
    custom = client.CustomObjectsApi(api)
    body = {"apiVersion": "prow.k8s.io/v1", "kind": "ProwJob", "metadata": {"name": "j"}}
    created = custom.create_namespaced_custom_object("prow.k8s.io", "v1", NS, "prowjobs", body)
    del created["metadata"]["resourceVersion"]
    with pytest.raises(ApiException) as invalid:
        custom.replace_namespaced_custom_object("prow.k8s.io", "v1", NS, "prowjobs", "j", created)
    assert _status(invalid.value) == (422, "Invalid")


def test_unknown_top_level_prowjob_fields_are_pruned(api: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api)
    body = {
        "apiVersion": "prow.k8s.io/v1",
        "kind": "ProwJob",
        "metadata": {"name": "j"},
        "spec": {"job": "unit"},
        "extra": {"dropped": True},
    }
    created = custom.create_namespaced_custom_object("prow.k8s.io", "v1", NS, "prowjobs", body)
    assert "extra" not in created
    assert created["spec"] == {"job": "unit"}


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"generate_name": "pj-"}, r"^pj-[a-z0-9]{5}$"),
        ({"name": "given", "generate_name": "pj-"}, r"^given$"),
    ],
    ids=["generated", "name-wins"],
)
def test_generate_name(api: client.ApiClient, meta: dict[str, str], expected: str) -> None:
    core = client.CoreV1Api(api)
    body = _pod()
    body["metadata"] = client.V1ObjectMeta(**meta)
    created = core.create_namespaced_pod(NS, body)
    assert re.match(expected, created.metadata.name)


def test_no_name_nor_generate_name_is_invalid(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as invalid:
        client.CoreV1Api(api).create_namespaced_pod(NS, _pod())
    assert _status(invalid.value) == (422, "Invalid")


SELECTED = {
    "a": {"app": "x", "tier": "web"},
    "b": {"app": "y", "tier": "db"},
    "c": {"app": "x"},
}


@pytest.mark.parametrize(
    ("labels", "fields", "expected"),
    [
        ("app=x", "", ["a", "c"]),
        ("app==x,tier=web", "", ["a"]),
        ("app!=x", "", ["b"]),
        ("tier in (web, db)", "", ["a", "b"]),
        ("tier notin (web)", "", ["b", "c"]),
        ("tier", "", ["a", "b"]),
        ("!tier", "", ["c"]),
        ("app in (x,y),!tier", "", ["c"]),
        ("", "metadata.name=b", ["b"]),
        ("", "metadata.name!=b", ["a", "c"]),
        ("", "status.phase=Running", ["a"]),
        ("app=x", "status.phase==Pending", ["c"]),
        ("", f"metadata.namespace={NS}", ["a", "b", "c"]),
    ],
    ids=lambda v: v if isinstance(v, str) and v else None,
)
def test_selectors(
    api: client.ApiClient, server: FakeKubeThread, labels: str, fields: str, expected: list[str]
) -> None:
    core = client.CoreV1Api(api)
    for name, pod_labels in SELECTED.items():
        core.create_namespaced_pod(NS, _pod(name, pod_labels))
    server.set_pod_phase(NS, "a", "Running")
    listed = core.list_namespaced_pod(NS, label_selector=labels, field_selector=fields)
    assert [p.metadata.name for p in listed.items] == expected


def test_an_unsupported_field_selector_is_a_bad_request(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as bad:
        client.CoreV1Api(api).list_namespaced_pod(NS, field_selector="spec.image=x")
    assert _status(bad.value) == (400, "BadRequest")


PATCHES: list[tuple[str, Any, str | None, Callable[[dict[str, Any]], Any], Any]] = [
    (
        "strategic-merges-containers-by-name",
        {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}},
        None,  # the client sends a dict as a strategic merge patch
        lambda p: [(c["name"], c["image"]) for c in p["spec"]["containers"]],
        [("test", "golang"), ("sidecar", "sidecar:2")],
    ),
    (
        "merge-replaces-lists",
        {"spec": {"containers": [{"name": "sidecar", "image": "sidecar:2"}]}},
        "application/merge-patch+json",
        lambda p: [c["name"] for c in p["spec"]["containers"]],
        ["sidecar"],
    ),
    (
        "merge-null-deletes",
        {"metadata": {"labels": {"app": None, "new": "1"}}},
        "application/merge-patch+json",
        lambda p: p["metadata"]["labels"],
        {"new": "1"},
    ),
    (
        "json-patch",
        [
            {"op": "add", "path": "/metadata/labels/b~1c", "value": "2"},
            {"op": "replace", "path": "/spec/containers/0/image", "value": "golang:1.23"},
            {"op": "remove", "path": "/spec/containers/1"},
            {"op": "test", "path": "/metadata/labels/app", "value": "x"},
        ],
        None,  # the client sends a list as a JSON patch
        lambda p: (p["metadata"]["labels"], [c["image"] for c in p["spec"]["containers"]]),
        ({"app": "x", "b/c": "2"}, ["golang:1.23"]),
    ),
]


@pytest.mark.parametrize(
    ("patch", "content_type", "read", "expected"),
    [p[1:] for p in PATCHES],
    ids=[p[0] for p in PATCHES],
)
def test_patches(
    api: client.ApiClient,
    patch: Any,
    content_type: str | None,
    read: Callable[[dict[str, Any]], Any],
    expected: Any,
) -> None:
    core = client.CoreV1Api(api)
    before = core.create_namespaced_pod(NS, _pod("p", {"app": "x"}))
    extra = {"_content_type": content_type} if content_type else {}
    response = core.patch_namespaced_pod("p", NS, patch, _preload_content=False, **extra)
    patched = json.loads(response.data)
    assert read(patched) == expected
    assert int(patched["metadata"]["resourceVersion"]) > int(before.metadata.resource_version)


def test_a_failed_json_patch_test_changes_nothing(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(NS, _pod("p", {"app": "x"}))
    ops = [
        {"op": "replace", "path": "/metadata/labels/app", "value": "y"},
        {"op": "test", "path": "/metadata/labels/app", "value": "x"},
    ]
    with pytest.raises(ApiException) as invalid:
        core.patch_namespaced_pod("p", NS, ops)
    assert _status(invalid.value) == (422, "Invalid")
    assert core.read_namespaced_pod("p", NS).metadata.labels == {"app": "x"}


def test_custom_resources_take_merge_patches(api: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api)
    body = {"apiVersion": "prow.k8s.io/v1", "kind": "ProwJob", "metadata": {"name": "j"}}
    custom.create_namespaced_custom_object("prow.k8s.io", "v1", NS, "prowjobs", body)
    patched = custom.patch_namespaced_custom_object(
        "prow.k8s.io", "v1", NS, "prowjobs", "j", {"status": {"state": "aborted"}}
    )
    assert patched["status"] == {"state": "aborted"}
    with pytest.raises(ApiException) as unsupported:
        custom.patch_namespaced_custom_object(
            "prow.k8s.io",
            "v1",
            NS,
            "prowjobs",
            "j",
            {"status": {}},
            _content_type="application/strategic-merge-patch+json",
        )
    assert _status(unsupported.value) == (415, "UnsupportedMediaType")


KUBELET = [
    ("pending", "Pending", {"reason": "ErrImagePull"}, {"waiting"}, None),
    ("running", "Running", {}, {"running"}, None),
    ("succeeded", "Succeeded", {"exit_code": 0}, {"terminated"}, (0, "Completed")),
    ("failed", "Failed", {"exit_code": 2}, {"terminated"}, (2, "Error")),
    (
        "oom-one-container",
        "Failed",
        {"exit_code": 137, "reason": "OOMKilled", "container": "test"},
        {"terminated"},
        (137, "OOMKilled"),
    ),
]


@pytest.mark.parametrize(
    ("phase", "kwargs", "states", "test_exit"),
    [k[1:] for k in KUBELET],
    ids=[k[0] for k in KUBELET],
)
def test_pod_status_as_the_kubelet_writes_it(
    api: client.ApiClient,
    server: FakeKubeThread,
    phase: str,
    kwargs: dict[str, Any],
    states: set[str],
    test_exit: tuple[int, str] | None,
) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_pod(NS, _pod("p"))
    assert created.status.phase == "Pending"
    server.set_pod_phase(NS, "p", phase, **kwargs)
    pod = core.read_namespaced_pod("p", NS)
    assert pod.status.phase == phase
    assert pod.status.start_time is not None
    assert {c.type for c in pod.status.conditions if c.status == "True"} >= {"PodScheduled"}
    by_name = {c.name: c.state for c in pod.status.container_statuses}
    assert {k for k, v in by_name["test"].to_dict().items() if v} == states
    if test_exit is not None:
        done = by_name["test"].terminated
        assert (done.exit_code, done.reason) == test_exit
        assert done.started_at is not None
        assert done.finished_at is not None
    if "reason" in kwargs and phase == "Pending":
        assert by_name["test"].waiting.reason == kwargs["reason"]
    (init,) = pod.status.init_container_statuses
    assert (init.state.terminated is not None) == (phase != "Pending")


def test_namespaces_and_version(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    core.create_namespace({"metadata": {"name": "test-pods"}})
    with pytest.raises(ApiException) as twice:
        core.create_namespace({"metadata": {"name": "test-pods"}})
    assert _status(twice.value) == (409, "AlreadyExists")
    space = core.read_namespace("test-pods")
    assert space.status.phase == "Active"
    assert space.metadata.labels == {"kubernetes.io/metadata.name": "test-pods"}
    assert [n.metadata.name for n in core.list_namespace().items] == ["test-pods"]
    assert client.VersionApi(api).get_code().git_version.startswith("v1.")


def test_contexts_of_one_kubeconfig_reach_their_own_cluster(tmp_path: Path) -> None:
    with FakeKubeThread() as east, FakeKubeThread() as west:
        path = write_kubeconfig(tmp_path / "config", {"east": east.url, "west": west.url})
        client.CoreV1Api(api_client(path, "west")).create_namespaced_pod(NS, _pod("w"))
        client.CoreV1Api(api_client(path)).create_namespaced_pod(NS, _pod("e"))  # current
        assert (list(east.fake.pods), list(west.fake.pods)) == ([(NS, "e")], [(NS, "w")])

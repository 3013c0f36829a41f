"""The JobStore contract, part 1: reads, writes and preconditions, on every backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import (
    AlreadyExists,
    Backend,
    Conflict,
    Invalid,
    JobStore,
    NotFound,
    copy_job,
)

BackendFactory = Callable[..., Backend]
MakeJob = Callable[..., ProwJob]


def _with_state(job: ProwJob, state: ProwJobState) -> ProwJob:
    draft = copy_job(job)
    draft.status.state = state
    return draft


async def test_create_assigns_server_metadata(store: JobStore, make_job: MakeJob) -> None:
    stored = await store.create(make_job("a"))

    assert stored.metadata.resource_version == str(store.revision)
    assert stored.metadata.uid
    assert stored.metadata.creation_timestamp is not None
    assert store.get("a") == stored
    assert store.get("a").to_wire() == stored.to_wire()


async def test_create_keeps_a_given_uid_and_creation_time(
    store: JobStore, make_job: MakeJob
) -> None:
    job = make_job("a")
    job.metadata.uid = "fixed-uid"
    job.metadata.creation_timestamp = job.status.start_time

    stored = await store.create(job)

    assert stored.metadata.uid == "fixed-uid"
    assert stored.metadata.creation_timestamp == job.status.start_time


async def test_create_does_not_alias_the_callers_object(store: JobStore, make_job: MakeJob) -> None:
    job = make_job("a")
    stored = await store.create(job)
    job.status.state = ProwJobState.FAILURE
    assert job.spec.pod_spec is not None
    job.spec.pod_spec["containers"].append({"image": "evil"})

    assert store.get("a").status.state is ProwJobState.TRIGGERED
    assert store.get("a").spec.pod_spec == stored.spec.pod_spec
    assert len((store.get("a").spec.pod_spec or {})["containers"]) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"name": ""}, "metadata.name is required"),
        ({"resource_version": "7"}, "resourceVersion should not be set"),
    ],
    ids=["no-name", "resource-version-set"],
)
async def test_create_refuses_invalid_objects(
    store: JobStore, make_job: MakeJob, change: dict[str, Any], reason: str
) -> None:
    job = make_job("a")
    job.metadata = job.metadata.model_copy(update=change)

    with pytest.raises(Invalid, match=reason):
        await store.create(job)
    assert store.revision == 0


async def test_duplicate_create_raises_already_exists(store: JobStore, make_job: MakeJob) -> None:
    await store.create(make_job("a"))
    revision = store.revision

    with pytest.raises(AlreadyExists, match='prowjob "a" already exists'):
        await store.create(make_job("a", job="other"))
    assert store.revision == revision
    assert store.get("a").spec.job == "pull-test-infra-unit"


async def test_get_missing_raises_not_found(store: JobStore) -> None:
    with pytest.raises(NotFound, match='prowjob "nope" not found'):
        store.get("nope")


_JOBS: list[dict[str, Any]] = [
    {"name": "a", "pull": 1},
    {"name": "b", "pull": 2, "state": ProwJobState.PENDING, "cluster": "build"},
    {"name": "c", "job": "post-k8s-build", "type": ProwJobType.POSTSUBMIT, "repo": "kubernetes",
     "pull": None, "state": ProwJobState.SUCCESS},
    {"name": "d", "job": "ci-periodic", "type": ProwJobType.PERIODIC,
     "state": ProwJobState.PENDING},
    {"name": "e", "pull": 1, "repo": "kubernetes", "state": ProwJobState.FAILURE},
]  # fmt: skip


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"a", "b", "c", "d", "e"}),
        ({"state": ProwJobState.PENDING}, {"b", "d"}),
        ({"state": ProwJobState.ABORTED}, set()),
        ({"job": "pull-test-infra-unit"}, {"a", "b", "e"}),
        ({"type": ProwJobType.PERIODIC}, {"d"}),
        ({"org_repo": "kubernetes/test-infra"}, {"a", "b"}),
        ({"org_repo": "kubernetes/kubernetes"}, {"c", "e"}),
        ({"org_repo": "kubernetes/test-infra", "pull": 1}, {"a"}),
        ({"org_repo": "kubernetes/kubernetes", "pull": 1}, {"e"}),
        ({"cluster": "build"}, {"b"}),
        ({"cluster": "default"}, {"a", "c", "d", "e"}),
        ({"state": ProwJobState.PENDING, "type": ProwJobType.PRESUBMIT}, {"b"}),
        ({"job": "pull-test-infra-unit", "org_repo": "kubernetes/kubernetes"}, {"e"}),
    ],
    ids=[
        "all",
        "state",
        "state-empty",
        "job",
        "type",
        "org-repo",
        "other-org-repo",
        "pull",
        "same-pull-number-other-repo",
        "cluster",
        "default-cluster",
        "state-and-type",
        "job-and-repo",
    ],
)
async def test_list_by_index(
    store: JobStore, make_job: MakeJob, filters: dict[str, Any], expected: set[str]
) -> None:
    for spec in _JOBS:
        await store.create(make_job(**spec))

    assert {job.metadata.name for job in store.list(**filters)} == expected


async def test_list_follows_updates_and_deletes(store: JobStore, make_job: MakeJob) -> None:
    a = await store.create(make_job("a"))
    await store.create(make_job("b"))

    await store.update(_with_state(a, ProwJobState.PENDING))
    assert [j.metadata.name for j in store.list(state=ProwJobState.PENDING)] == ["a"]
    assert [j.metadata.name for j in store.list(state=ProwJobState.TRIGGERED)] == ["b"]

    await store.delete("b")
    assert store.list(state=ProwJobState.TRIGGERED) == []
    assert [j.metadata.name for j in store.list(org_repo="kubernetes/test-infra", pull=1)] == ["a"]
    assert len(store) == 1


async def test_list_by_pull_needs_the_repo(store: JobStore) -> None:
    with pytest.raises(ValueError, match="needs org_repo"):
        store.list(pull=1)


async def test_update_with_stale_version_conflicts(store: JobStore, make_job: MakeJob) -> None:
    v1 = await store.create(make_job("a"))
    v2 = await store.update(_with_state(v1, ProwJobState.PENDING))

    with pytest.raises(Conflict) as raised:
        await store.update(_with_state(v1, ProwJobState.ABORTED))

    message = str(raised.value)
    assert '"a"' in message
    assert repr(v1.metadata.resource_version) in message
    assert repr(v2.metadata.resource_version) in message
    assert store.get("a").status.state is ProwJobState.PENDING


async def test_update_without_resource_version_conflicts(
    store: JobStore, make_job: MakeJob
) -> None:
    stored = await store.create(make_job("a"))
    draft = copy_job(stored)
    draft.metadata.resource_version = None

    with pytest.raises(Conflict):
        await store.update(draft)


async def test_update_of_deleted_job_is_not_found(store: JobStore, make_job: MakeJob) -> None:
    stored = await store.create(make_job("a"))
    await store.delete("a")

    with pytest.raises(NotFound):
        await store.update(_with_state(stored, ProwJobState.PENDING))


async def test_update_keeps_server_owned_metadata(store: JobStore, make_job: MakeJob) -> None:
    stored = await store.create(make_job("a"))
    draft = _with_state(stored, ProwJobState.PENDING)
    draft.metadata.uid = "forged"
    draft.metadata.creation_timestamp = None

    updated = await store.update(draft)

    assert updated.metadata.uid == stored.metadata.uid
    assert updated.metadata.creation_timestamp == stored.metadata.creation_timestamp
    assert updated.status.state is ProwJobState.PENDING


async def test_update_refuses_the_shared_snapshot(store: JobStore, make_job: MakeJob) -> None:
    await store.create(make_job("a"))

    with pytest.raises(Invalid, match="shared snapshot"):
        await store.update(store.get("a"))


async def test_copy_job_is_independent(store: JobStore, make_job: MakeJob) -> None:
    stored = await store.create(make_job("a"))
    draft = copy_job(stored)
    assert draft == stored
    assert draft.spec.pod_spec is not None
    draft.spec.pod_spec["containers"][0]["image"] = "changed"
    assert draft.spec.refs is not None
    draft.spec.refs.base_ref = "changed"

    assert (store.get("a").spec.pod_spec or {})["containers"][0]["image"] == "golang:1.22"
    assert store.get("a").spec.refs == stored.spec.refs
    assert stored.spec.refs is not None
    assert stored.spec.refs.base_ref == "main"


async def test_delete_with_precondition(store: JobStore, make_job: MakeJob) -> None:
    v1 = await store.create(make_job("a"))
    v2 = await store.update(_with_state(v1, ProwJobState.PENDING))

    with pytest.raises(Conflict):
        await store.delete("a", resource_version=v1.metadata.resource_version)
    assert store.get("a") == v2

    gone = await store.delete("a", resource_version=v2.metadata.resource_version)
    assert gone.status.state is ProwJobState.PENDING
    assert gone.metadata.resource_version == str(store.revision)
    with pytest.raises(NotFound):
        store.get("a")
    with pytest.raises(NotFound):
        await store.delete("a")


async def test_delete_without_precondition(store: JobStore, make_job: MakeJob) -> None:
    await store.create(make_job("a"))
    await store.delete("a")
    assert store.list() == []


async def test_revisions_strictly_increase(store: JobStore, make_job: MakeJob) -> None:
    seen = [store.revision]
    a = await store.create(make_job("a"))
    seen.append(int(a.metadata.resource_version or 0))
    b = await store.create(make_job("b"))
    seen.append(int(b.metadata.resource_version or 0))
    a = await store.update(_with_state(a, ProwJobState.PENDING))
    seen.append(int(a.metadata.resource_version or 0))
    gone = await store.delete("b")
    seen.append(int(gone.metadata.resource_version or 0))

    assert seen == sorted(set(seen))
    assert store.revision == seen[-1]


async def test_restart_rebuilds_the_cache_exactly(
    backend_factory: BackendFactory, make_job: MakeJob
) -> None:
    first = JobStore(backend_factory())
    await first.start()
    for spec in _JOBS:
        await first.create(make_job(**spec))
    await first.update(_with_state(first.get("a"), ProwJobState.ABORTED))
    await first.delete("c")
    before = {job.metadata.name: job.to_wire() for job in first.list()}
    revision = first.revision
    await first.close()

    async with JobStore(backend_factory()) as second:
        assert {job.metadata.name: job.to_wire() for job in second.list()} == before
        assert second.revision == revision
        assert [j.metadata.name for j in second.list(state=ProwJobState.ABORTED)] == ["a"]
        assert {j.metadata.name for j in second.list(org_repo="kubernetes/kubernetes")} == {"e"}
        await second.create(make_job("f"))
        assert second.revision == revision + 1


async def test_unknown_fields_survive_the_store(
    backend_factory: BackendFactory, make_job: MakeJob, prunes_top_level: bool
) -> None:
    wire = make_job("a").to_wire()
    wire["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Update"}]
    wire["spec"]["future_field"] = {"nested": [1, 2, 3]}
    wire["spec"]["pod_spec"]["nodeSelector"] = {"pool": "big"}
    wire["spec"]["refs"]["future_ref_field"] = "kept"
    wire["status"]["future_status"] = "kept too"
    wire["someTopLevelField"] = True

    async with JobStore(backend_factory()) as store:
        stored = await store.create(ProwJob.from_wire(wire))
        updated = await store.update(_with_state(stored, ProwJobState.PENDING))
        for job in (stored, updated, store.get("a")):
            out = job.to_wire()
            assert out["metadata"]["managedFields"] == wire["metadata"]["managedFields"]
            assert out["spec"]["future_field"] == {"nested": [1, 2, 3]}
            assert out["spec"]["pod_spec"]["nodeSelector"] == {"pool": "big"}
            assert out["spec"]["refs"]["future_ref_field"] == "kept"
            assert out["status"]["future_status"] == "kept too"
            # A structural CRD schema (Prow's and minprow's) prunes unknown top-level
            # fields; spec and status are open objects in minprow's, so theirs stay.
            assert out.get("someTopLevelField") is (None if prunes_top_level else True)

    async with JobStore(backend_factory()) as reopened:
        assert reopened.get("a").to_wire() == updated.to_wire()

"""Fixtures for the JobStore suite: one backend parameter, so every test runs on each.

`backend_factory()` returns a backend over the test's one state: for sqlite a new
backend (its own connection, as another process would have) on the same file, for
memory the same instance, for kube a new backend (its own client and watch) on the
same fake API server (tests/fakekube.py). Calling it again is how tests restart the
store or open a second one beside the first.

Every backend runs by default; `MINPROW_STORE_BACKENDS=kube pytest tests/store`
picks some.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakekube import FakeKubeThread

from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import Backend, JobStore, MemoryBackend, SqliteBackend
from minprow.store.kube import KubeBackend, api_client_for

BackendFactory = Callable[..., Backend]
MakeJob = Callable[..., ProwJob]


def build_job(
    name: str,
    *,
    job: str = "pull-test-infra-unit",
    type: ProwJobType = ProwJobType.PRESUBMIT,
    state: ProwJobState = ProwJobState.TRIGGERED,
    org: str = "kubernetes",
    repo: str = "test-infra",
    pull: int | None = 1,
    cluster: str | None = None,
) -> ProwJob:
    """A small ProwJob as trigger would create it (pjutil's factory is not used here)."""
    refs: dict[str, Any] | None = None
    if type is not ProwJobType.PERIODIC:
        refs = {"org": org, "repo": repo, "base_ref": "main", "base_sha": "a" * 40}
        if pull is not None:
            refs["pulls"] = [{"number": pull, "author": "alice", "sha": "b" * 40}]
    data: dict[str, Any] = {
        "metadata": {
            "name": name,
            "labels": {"prow.k8s.io/job": job, "prow.k8s.io/type": type.value},
        },
        "spec": {
            "type": type.value,
            "job": job,
            "agent": "kubernetes",
            "cluster": cluster,
            "refs": refs,
            "pod_spec": {"containers": [{"image": "golang:1.22", "command": ["make", "test"]}]},
        },
        "status": {"state": state.value, "startTime": "2024-05-01T10:00:00Z"},
    }
    return ProwJob.model_validate(data)


@pytest.fixture
def make_job() -> MakeJob:
    return build_job


# The API server owns uid and creationTimestamp: a create never keeps the caller's.
_NOT_KUBERNETES_SEMANTICS = {"test_create_keeps_a_given_uid_and_creation_time"}


@pytest.fixture
def fake_kube() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as server:
        yield server


BACKENDS = os.environ.get("MINPROW_STORE_BACKENDS", "memory,sqlite,kube").split(",")


@pytest.fixture(params=BACKENDS, ids=BACKENDS)
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> BackendFactory:
    kind: str = request.param
    memory: list[MemoryBackend] = []
    if kind == "kube":
        if request.node.originalname in _NOT_KUBERNETES_SEMANTICS:
            pytest.skip("the Kubernetes API server sets uid and creationTimestamp on create")
        server: FakeKubeThread = request.getfixturevalue("fake_kube")

    def factory(*, change_log_size: int = 10_000) -> Backend:
        if kind == "sqlite":
            return SqliteBackend(tmp_path / "prowjobs.db", change_log_size=change_log_size)
        if kind == "kube":
            return KubeBackend(
                api_client_for(server.url),
                "test-pods",
                change_log_size=change_log_size,
                watch_read_timeout=0.5,
            )
        if not memory:
            memory.append(MemoryBackend(change_log_size=change_log_size))
        return memory[0]

    return factory


@pytest.fixture
def prunes_top_level(request: pytest.FixtureRequest) -> bool:
    """Whether the backend drops unknown top-level fields: the API server prunes them."""
    params: dict[str, Any] = request.node.callspec.params
    return bool(params.get("backend_factory") == "kube")


@pytest.fixture
async def store(backend_factory: BackendFactory) -> AsyncIterator[JobStore]:
    jobs = JobStore(backend_factory())
    await jobs.start()
    yield jobs
    await jobs.close()

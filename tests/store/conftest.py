"""Fixtures for the JobStore suite: one backend parameter, so every test runs on each.

`backend_factory()` returns a backend over the test's one state: for sqlite a new
backend (its own connection, as another process would have) on the same file, for
memory the same instance. Calling it again is how tests restart the store or open
a second one beside the first. A future Kubernetes backend joins the parameter list.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import Backend, JobStore, MemoryBackend, SqliteBackend

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


@pytest.fixture(params=["memory", "sqlite"], ids=["memory", "sqlite"])
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> BackendFactory:
    kind: str = request.param
    memory: list[MemoryBackend] = []

    def factory(*, change_log_size: int = 10_000) -> Backend:
        if kind == "sqlite":
            return SqliteBackend(tmp_path / "prowjobs.db", change_log_size=change_log_size)
        if not memory:
            memory.append(MemoryBackend(change_log_size=change_log_size))
        return memory[0]

    return factory


@pytest.fixture
async def store(backend_factory: BackendFactory) -> AsyncIterator[JobStore]:
    jobs = JobStore(backend_factory())
    await jobs.start()
    yield jobs
    await jobs.close()

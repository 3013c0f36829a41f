"""Horologium's fixtures: its config fixture, a job store on each backend, past runs.

`make_run(job, started=..., completed=...)` builds a periodic's ProwJob as
horologium and plank would have left it: started (and maybe completed) at the
given virtual times, in the given state.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from minprow.config import Config, load_config
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import JobStore, open_store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "horologium"

MakeRun = Callable[..., ProwJob]


def build_run(
    job: str,
    *,
    started: datetime,
    completed: datetime | None = None,
    state: ProwJobState | None = None,
    labels: dict[str, str] | None = None,
    name: str | None = None,
) -> ProwJob:
    """A run of periodic `job`; its state is success when completed, pending otherwise."""
    if state is None:
        state = ProwJobState.SUCCESS if completed is not None else ProwJobState.PENDING
    status: dict[str, Any] = {"state": state.value, "startTime": started.isoformat()}
    if completed is not None:
        status["completionTime"] = completed.isoformat()
    return ProwJob.model_validate(
        {
            "metadata": {
                "name": name or str(uuid.uuid4()),
                "labels": {
                    "prow.k8s.io/job": job,
                    "prow.k8s.io/type": "periodic",
                    **(labels or {}),
                },
            },
            "spec": {"type": ProwJobType.PERIODIC.value, "job": job, "report": True},
            "status": status,
        }
    )


@pytest.fixture
def make_run() -> MakeRun:
    return build_run


Load = Callable[..., Config]


def load_fixture(name: str = "config.yaml") -> Config:
    return load_config(FIXTURES / name)


@pytest.fixture
def load() -> Load:
    """Loads a config of fixtures/horologium by file name (default config.yaml)."""
    return load_fixture


@pytest.fixture
def config() -> Config:
    """fixtures/horologium/config.yaml: one periodic of each kind, ticking every minute."""
    return load_fixture()


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    jobs = open_store(request.param, tmp_path)
    async with jobs:
        yield jobs

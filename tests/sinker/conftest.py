"""Sinker's fixtures: its config fixtures by name and a job store on each backend."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from minprow.config import Config, load_config
from minprow.store import JobStore, open_store

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sinker"

Load = Callable[[str], Config]


@pytest.fixture
def load() -> Load:
    """Loads fixtures/sinker/<name>.yaml."""

    def load_fixture(name: str) -> Config:
        return load_config(FIXTURES / f"{name}.yaml")

    return load_fixture


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    jobs = open_store(request.param, tmp_path)
    async with jobs:
        yield jobs

"""Crier's fixtures: the real JobStore (memory and sqlite) and the shared virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes import VirtualClock

from minprow.store import JobStore, open_store


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    async with open_store(request.param, tmp_path / "state") as opened:
        yield opened


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()

"""Plank's fixtures: a store, the shared virtual clock, a scripted executor and a
Plank over them (see plank_helpers.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from fakes import VirtualClock
from plank_helpers import MakePlank, ScriptedExecutor

from minprow.config import Config
from minprow.config.prow import Plank as PlankConfig
from minprow.executors.clusters import ClusterMap
from minprow.plank import Plank
from minprow.store import JobStore, open_store


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as opened:
        yield opened


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def executor() -> ScriptedExecutor:
    return ScriptedExecutor()


@pytest.fixture
def make_plank(store: JobStore, clock: VirtualClock, executor: ScriptedExecutor) -> MakePlank:
    def build(clusters: ClusterMap | None = None, **plank_config: Any) -> Plank:
        config = Config(plank=PlankConfig(**plank_config))
        return Plank(store, lambda: config, clusters or ClusterMap(fallback=executor), clock)

    return build

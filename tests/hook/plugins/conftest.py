"""The plugin tests' fixtures: a real in-memory JobStore (for `PluginContext`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from minprow.store import JobStore, open_store


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as s:
        yield s

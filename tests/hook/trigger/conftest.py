"""The trigger tests' fixtures: a real in-memory JobStore and the GitHub fake."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from trigger_helpers import FakeGitHub

from minprow.store import JobStore, open_store


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as s:
        yield s


@pytest.fixture
def gh() -> FakeGitHub:
    return FakeGitHub()

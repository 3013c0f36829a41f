"""Fixtures of the Prow conformance tests: a real in-memory JobStore.

The trigger tests' helpers (`trigger_helpers`: the GitHub fake, the payloads,
`context`) live in tests/hook/trigger, which is put on the import path here so
they are imported, not copied.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

_TRIGGER_TESTS = str(Path(__file__).resolve().parents[1] / "trigger")
if _TRIGGER_TESTS not in sys.path:
    sys.path.insert(0, _TRIGGER_TESTS)

from minprow.store import JobStore, open_store  # noqa: E402


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as s:
        yield s

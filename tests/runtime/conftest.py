"""The `minprow` command run as a user runs it: a real subprocess from the repo root."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

RunMinprow = Callable[..., subprocess.CompletedProcess[str]]


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minprow", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def minprow() -> RunMinprow:
    """`minprow(*args)` runs the CLI and returns the completed process."""
    return _run

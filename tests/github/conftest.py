"""The GitHub client's fixtures: the fake GitHub server on a free port, a token
file it accepts, and a client pointed at it that retries without real waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakegithub import FakeGitHub
from fakes import VirtualClock
from github_helpers import POLICY, TOKEN

from minprow.github.auth import TokenFile
from minprow.github.client import GitHubClient


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with FakeGitHub(tokens={TOKEN}) as server:
        yield server


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "oauth"
    path.write_text(f"  {TOKEN}\n")
    return path


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def client(
    fake: FakeGitHub, token_file: Path, clock: VirtualClock
) -> AsyncIterator[GitHubClient]:
    async with GitHubClient(
        TokenFile(token_file), endpoint=fake.url, policy=POLICY, clock=clock
    ) as opened:
        yield opened

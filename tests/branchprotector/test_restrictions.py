"""`--verify-restrictions` (minprow/branchprotector/restrictions.py).

Prow's TestValidateRequest, TestAuthorizedApps, TestAuthorizedCollaborators and
TestAuthorizedTeams, from fixtures/branchprotector/restrictions.yaml; who may
push is read with the real client from the fake GitHub over HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakegithub import FakeGitHub

from minprow.branchprotector.restrictions import Authorized, authorized, unauthorized
from minprow.github.auth import TokenFile
from minprow.github.client import GitHubClient
from minprow.github.protection import BranchProtectionRequest

TABLE = yaml.safe_load(
    (
        Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector" / "restrictions.yaml"
    ).read_text()
)


@pytest.mark.parametrize(
    "case", TABLE["unauthorized"], ids=[c["name"] for c in TABLE["unauthorized"]]
)
def test_unauthorized(case: dict[str, Any]) -> None:
    request = BranchProtectionRequest.model_validate({"restrictions": case["restrictions"]})
    allowed = Authorized(
        frozenset(case.get("apps") or ()),
        frozenset(case.get("users") or ()),
        frozenset(case.get("teams") or ()),
    )
    refused = unauthorized("org", "repo", request, allowed)
    assert [" ".join(line.split()[:2]) for line in refused] == case["refused"]
    assert all(line.endswith("may not push to org/repo") for line in refused)


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[tuple[FakeGitHub, GitHubClient]]:
    token = tmp_path / "token"
    token.write_text("t\n")
    async with FakeGitHub() as fake, GitHubClient(TokenFile(token), endpoint=fake.url) as client:
        fake.repos.add_repo("org", "repo")
        yield fake, client


@pytest.mark.parametrize("case", TABLE["authorized"], ids=[c["name"] for c in TABLE["authorized"]])
async def test_authorized(github: tuple[FakeGitHub, GitHubClient], case: dict[str, Any]) -> None:
    fake, client = github
    fake.repos.installations["org"] = case.get("installations") or []
    fake.repos.collaborators[("org", "repo")] = case.get("collaborators") or []
    fake.repos.teams[("org", "repo")] = case.get("teams") or []
    found = await authorized(client, "org", "repo")
    for kind, expected in case["expected"].items():
        assert sorted(getattr(found, kind)) == expected


async def test_many_installations_are_read_page_by_page(
    github: tuple[FakeGitHub, GitHubClient],
) -> None:
    fake, client = github
    fake.repos.installations["org"] = [
        {"app_slug": f"app-{i}", "permissions": {"contents": "write"}} for i in range(230)
    ]
    found = await authorized(client, "org", "repo")
    assert len(found.apps) == 230

"""branchprotector's plan against GitHub (minprow/branchprotector/protect.py).

Prow's TestProtect, TestIgnoreArchivedRepos and TestIgnorePrivateSecurityRepos
(cmd/branchprotector/protect_test.go), from fixtures/branchprotector/protect.yaml:
the real `GitHubClient` against the fake GitHub over HTTP, the config loaded by
`load_config`, and the planned changes compared as the bodies GitHub would get.
As in Prow's table, `--verify-restrictions` is on unless a case skips it.
Prow's fake reports every listed branch as protected unless a case says
otherwise, while the fake GitHub here derives it from the protections it holds,
as GitHub does; the outcomes are Prow's either way. Then `apply` puts the plan
in place (Prow's TestConfigureBranches) and a second plan finds nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakegithub import FakeGitHub

from minprow.branchprotector import Enablement, Protector
from minprow.branchprotector.request import make_request
from minprow.config import load_config
from minprow.config.branch_protection import Policy
from minprow.github.auth import TokenFile
from minprow.github.client import GitHubClient

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector"
CASES = yaml.safe_load((FIXTURES / "protect.yaml").read_text())
EMPTY = make_request(Policy()).to_json()
"""The body of an empty policy (pinned by test_request.py); cases list what differs."""


def _split(where: str) -> tuple[str, str, str]:
    org_repo, _, branch = where.partition("=")
    org, _, repo = org_repo.partition("/")
    return org, repo, branch


@pytest.fixture
async def github(tmp_path: Path) -> AsyncIterator[tuple[FakeGitHub, GitHubClient]]:
    token = tmp_path / "token"
    token.write_text("t\n")
    async with FakeGitHub() as fake, GitHubClient(TokenFile(token), endpoint=fake.url) as client:
        yield fake, client


def _github_has(fake: FakeGitHub, case: dict[str, Any]) -> None:
    for where in case["branches"]:
        org, repo, branch = _split(where)
        if (org, repo) not in fake.repos.objects:
            archived = repo == case.get("archived")
            fake.repos.add_repo(org, repo, default_branch=branch, archived=archived)
        else:
            fake.repos.add_branch(org, repo, branch)
    for where, body in (case.get("protections") or {}).items():
        fake.repos.protect(*_split(where), body)
    for org, repo in fake.repos.objects:
        fake.repos.installations[org] = [
            {"app_slug": app, "permissions": {"contents": "write"}}
            for app in case.get("apps_installed") or ()
        ]
        fake.repos.collaborators[(org, repo)] = [
            {"login": login, "permissions": {"push": True}} for login in case.get("pushers") or ()
        ]
        fake.repos.teams[(org, repo)] = [
            {"slug": slug, "permission": "push"} for slug in case.get("teams") or ()
        ]


def _protector(tmp_path: Path, client: GitHubClient, case: dict[str, Any]) -> Protector:
    path = tmp_path / "config.yaml"
    path.write_text(case["config"] or "{}\n")
    config = load_config(path)
    return Protector(
        client,
        lambda: config,
        enablement=Enablement.of(**(case.get("enablement") or {})),
        enable_apps_restrictions=case.get("apps", False),
        verify_restrictions=not case.get("skip_verify", False),
    )


def _planned(changes: list[Any]) -> dict[str, Any]:
    planned: dict[str, Any] = {}
    for change in changes:
        if change.request is None:
            planned[change.where] = "remove"
            continue
        body = change.request.to_json()
        checks = body["required_status_checks"]
        if checks is not None:
            checks["contexts"] = sorted(checks["contexts"])
        planned[change.where] = body
    return planned


def _expected(case: dict[str, Any]) -> dict[str, Any]:
    return {
        where: body if body == "remove" else {**EMPTY, **body}
        for where, body in (case.get("expected") or {}).items()
    }


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
async def test_protect(
    tmp_path: Path, github: tuple[FakeGitHub, GitHubClient], case: dict[str, Any]
) -> None:
    fake, client = github
    _github_has(fake, case)
    protector = _protector(tmp_path, client, case)
    plan = await protector.plan()
    assert len(plan.errors) == case.get("errors", 0), plan.errors
    assert _planned(plan.changes) == _expected(case)
    signed = case.get("signed")
    assert all(c.require_signed_commits == signed for c in plan.changes)
    for change in plan.changes:
        await protector.apply(change)
    again = await protector.plan()
    assert again.changes == []
    for where, body in _expected(case).items():
        key = _split(where)
        if body == "remove":
            assert key not in fake.repos.protections
        else:
            assert key in fake.repos.protections
            assert (key in fake.repos.signed) is bool(signed)


async def test_archived_and_security_fork_repos_are_left_alone(
    tmp_path: Path, github: tuple[FakeGitHub, GitHubClient]
) -> None:
    """Prow's TestIgnoreArchivedRepos and TestIgnorePrivateSecurityRepos."""
    fake, client = github
    fake.repos.add_repo("organization", "repository", default_branch="branch")
    fake.repos.add_repo("organization", "archived", default_branch="branch", archived=True)
    fake.repos.add_repo(
        "organization", "repo-ghsa-1234-abcd-5678", default_branch="branch", private=True
    )
    config = """
branch-protection:
  protect: true
  orgs:
    organization:
      repos:
        archived: {protect: true}
        repo-ghsa-1234-abcd-5678: {protect: true}
"""
    case = {"config": config, "branches": []}
    plan = await _protector(tmp_path, client, case).plan()
    assert plan.errors == []
    assert [c.where for c in plan.changes] == ["organization/repository=branch"]

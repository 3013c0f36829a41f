"""GitHubClient's repository calls against the fake GitHub over real HTTP:
repos and branches across pages, branch protection set, read and lifted
(branch names with slashes included), GitHub's 422 on a bad protection body,
file contents at a ref (large files through the blobs API), and a rate limit
waited out on the way."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from fakegithub import FakeGitHub
from fakes import VirtualClock
from github_helpers import TOKEN

from minprow.github.client import GitHubClient
from minprow.github.errors import NotFound, Unprocessable
from minprow.github.protection import (
    BranchProtectionRequest,
    BypassRestrictionsRequest,
    DismissalRestrictionsRequest,
    RequiredPullRequestReviewsRequest,
    RequiredStatusChecks,
    RestrictionsRequest,
)

Call = Callable[[GitHubClient], Awaitable[Any]]
SHA = "f" * 40
FULL = BranchProtectionRequest(
    required_status_checks=RequiredStatusChecks(strict=True, contexts=("ci/unit", "ci/lint")),
    enforce_admins=True,
    required_pull_request_reviews=RequiredPullRequestReviewsRequest(
        dismissal_restrictions=DismissalRestrictionsRequest(users=("alice",), teams=("core",)),
        dismiss_stale_reviews=True,
        require_code_owner_reviews=True,
        required_approving_review_count=2,
        bypass_pull_request_allowances=BypassRestrictionsRequest(users=(), teams=("admins",)),
    ),
    restrictions=RestrictionsRequest(apps=("bot",), users=("bob",), teams=()),
    required_linear_history=True,
    allow_deletions=True,
)


# The request body


@pytest.mark.parametrize(
    ("request_", "body"),
    [
        (
            BranchProtectionRequest(),
            {
                "required_status_checks": None,
                "enforce_admins": None,
                "required_pull_request_reviews": None,
                "restrictions": None,
                "required_linear_history": False,
                "allow_force_pushes": False,
                "allow_deletions": False,
            },
        ),
        (
            BranchProtectionRequest(
                enforce_admins=False,
                required_status_checks=RequiredStatusChecks(),
                required_pull_request_reviews=RequiredPullRequestReviewsRequest(),
                restrictions=RestrictionsRequest(users=(), teams=()),
            ),
            {
                "required_status_checks": {"strict": False, "contexts": []},
                "enforce_admins": False,
                "required_pull_request_reviews": {
                    "dismissal_restrictions": {},
                    "dismiss_stale_reviews": False,
                    "require_code_owner_reviews": False,
                    "required_approving_review_count": 0,
                    "bypass_pull_request_allowances": {},
                },
                "restrictions": {"users": [], "teams": []},
                "required_linear_history": False,
                "allow_force_pushes": False,
                "allow_deletions": False,
            },
        ),
        (
            FULL,
            {
                "required_status_checks": {"strict": True, "contexts": ["ci/unit", "ci/lint"]},
                "enforce_admins": True,
                "required_pull_request_reviews": {
                    "dismissal_restrictions": {"users": ["alice"], "teams": ["core"]},
                    "dismiss_stale_reviews": True,
                    "require_code_owner_reviews": True,
                    "required_approving_review_count": 2,
                    "bypass_pull_request_allowances": {"users": [], "teams": ["admins"]},
                },
                "restrictions": {"apps": ["bot"], "users": ["bob"], "teams": []},
                "required_linear_history": True,
                "allow_force_pushes": False,
                "allow_deletions": True,
            },
        ),
    ],
    ids=["all-off-sections-null", "empty-sections-empty-lists", "everything"],
)
def test_request_body_is_prows(request_: BranchProtectionRequest, body: dict[str, Any]) -> None:
    assert request_.to_json() == body


# Every call: the request on the wire


WIRE: list[tuple[str, Call, str, str]] = [
    ("list_org_repos", lambda c: c.list_org_repos("org"), "GET", "/orgs/org/repos"),
    ("get_repo", lambda c: c.get_repo("org", "repo"), "GET", "/repos/org/repo"),
    (
        "list_branches",
        lambda c: c.list_branches("org", "repo", True),
        "GET",
        "/repos/org/repo/branches",
    ),
    (
        "get_branch_protection",
        lambda c: c.get_branch_protection("org", "repo", "release/1.0"),
        "GET",
        "/repos/org/repo/branches/release%2F1.0/protection",
    ),
    (
        "update_branch_protection",
        lambda c: c.update_branch_protection("org", "repo", "a b#c", FULL),
        "PUT",
        "/repos/org/repo/branches/a%20b%23c/protection",
    ),
    (
        "remove_branch_protection",
        lambda c: c.remove_branch_protection("org", "repo", "main"),
        "DELETE",
        "/repos/org/repo/branches/main/protection",
    ),
    (
        "enable_commit_sign_protection",
        lambda c: c.enable_commit_sign_protection("org", "repo", "main"),
        "POST",
        "/repos/org/repo/branches/main/protection/required_signatures",
    ),
    (
        "disable_commit_sign_protection",
        lambda c: c.disable_commit_sign_protection("org", "repo", "main"),
        "DELETE",
        "/repos/org/repo/branches/main/protection/required_signatures",
    ),
    (
        "get_file",
        lambda c: c.get_file("org", "repo", "docs/a b#1.md", "main"),
        "GET",
        "/repos/org/repo/contents/docs/a%20b%231.md",
    ),
]


def _seed(fake: FakeGitHub) -> None:
    fake.repos.add_repo("org", "repo")
    for branch in ("release/1.0", "a b#c"):
        fake.repos.add_branch("org", "repo", branch)
    fake.repos.protect("org", "repo", "main", FULL.to_json())
    fake.repos.set_file("org", "repo", "docs/a b#1.md", "# hi\n")


@pytest.mark.parametrize(
    ("call", "method", "raw_path"), [w[1:] for w in WIRE], ids=[w[0] for w in WIRE]
)
async def test_each_call_makes_one_authenticated_request(
    fake: FakeGitHub, client: GitHubClient, call: Call, method: str, raw_path: str
) -> None:
    _seed(fake)
    await call(client)
    assert [(r.method, r.raw_path) for r in fake.requests] == [(method, raw_path)]
    assert fake.requests[0].authorization == f"token {TOKEN}"


# Repos and branches


@pytest.mark.parametrize(
    ("user", "paths"),
    [
        (False, ["/orgs/o/repos"] * 3),
        (True, ["/orgs/o/repos"] + ["/users/o/repos"] * 3),
    ],
    ids=["org", "user-after-org-404"],
)
async def test_repos_are_listed_across_pages(
    fake: FakeGitHub, client: GitHubClient, user: bool, paths: list[str]
) -> None:
    for n in range(250):
        fake.repos.add_repo("o", f"r{n:03}", archived=n == 7, private=n == 8, user=user)
    fake.repos.add_repo("other", "elsewhere")
    repos = await client.list_org_repos("o")
    assert [r.name for r in repos] == [f"r{n:03}" for n in range(250)]
    assert [r.name for r in repos if r.archived] == ["r007"]
    assert [r.name for r in repos if r.private] == ["r008"]
    assert {r.default_branch for r in repos} == {"main"}
    assert [r.path for r in fake.requests] == paths


async def test_an_unknown_owner_is_not_found(fake: FakeGitHub, client: GitHubClient) -> None:
    with pytest.raises(NotFound):
        await client.list_org_repos("nobody")
    assert [r.path for r in fake.requests] == ["/orgs/nobody/repos", "/users/nobody/repos"]


async def test_a_repo_is_read_with_its_extra_fields(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.repos.add_repo("o", "old", archived=True, private=True, default_branch="master")
    repo = await client.get_repo("o", "old")
    assert (repo.full_name, repo.archived, repo.private, repo.default_branch) == (
        "o/old",
        True,
        True,
        "master",
    )
    assert (repo.model_extra or {})["visibility"] == "private"
    with pytest.raises(NotFound):
        await client.get_repo("o", "missing")


EVERY_FIFTH = [f"b{n:03}" for n in range(0, 150, 5)]


@pytest.mark.parametrize(
    ("protected_only", "expected", "query", "pages"),
    [
        (False, ["main", *(f"b{n:03}" for n in range(150)), "release/1.0"], None, 2),
        (True, [*EVERY_FIFTH, "release/1.0"], "true", 1),
    ],
    ids=["all-with-flags", "protected-only"],
)
async def test_branches_are_listed_across_pages(
    fake: FakeGitHub,
    client: GitHubClient,
    protected_only: bool,
    expected: list[str],
    query: str | None,
    pages: int,
) -> None:
    for n in range(150):
        fake.repos.add_branch("o", "r", f"b{n:03}")
    for branch in [*EVERY_FIFTH, "release/1.0"]:
        fake.repos.protect("o", "r", branch, {})
    branches = await client.list_branches("o", "r", protected_only)
    assert [b.name for b in branches] == expected
    assert [b.name for b in branches if b.protected] == [*EVERY_FIFTH, "release/1.0"]
    assert len(fake.requests) == pages
    assert {r.query.get("protected") for r in fake.requests} == {query}


# Branch protection


@pytest.mark.parametrize(
    "branch", ["main", "release/1.0", "feature x#1+2"], ids=["plain", "slash", "space-hash-plus"]
)
async def test_protection_round_trip(fake: FakeGitHub, client: GitHubClient, branch: str) -> None:
    fake.repos.add_branch("o", "r", branch)
    assert await client.get_branch_protection("o", "r", branch) is None

    await client.update_branch_protection("o", "r", branch, FULL)
    assert fake.repos.protections[("o", "r", branch)] == FULL.to_json()
    got = await client.get_branch_protection("o", "r", branch)
    assert got is not None
    assert got.required_status_checks == RequiredStatusChecks(
        strict=True, contexts=("ci/unit", "ci/lint")
    )
    settings = (got.enforce_admins, got.required_linear_history, got.allow_deletions)
    assert [s.enabled for s in (*settings, got.allow_force_pushes)] == [True, True, True, False]
    reviews = got.required_pull_request_reviews
    assert reviews is not None
    assert reviews.required_approving_review_count == 2
    assert (reviews.dismiss_stale_reviews, reviews.require_code_owner_reviews) == (True, True)
    assert reviews.dismissal_restrictions is not None
    assert [u.login for u in reviews.dismissal_restrictions.users] == ["alice"]
    assert [t.slug for t in reviews.dismissal_restrictions.teams] == ["core"]
    assert reviews.bypass_pull_request_allowances is not None
    assert [t.slug for t in reviews.bypass_pull_request_allowances.teams] == ["admins"]
    assert got.restrictions is not None
    assert [a.slug for a in got.restrictions.apps] == ["bot"]
    assert [u.login for u in got.restrictions.users] == ["bob"]
    assert not got.required_signatures.enabled

    await client.enable_commit_sign_protection("o", "r", branch)
    assert await _signed(client, branch)
    await client.disable_commit_sign_protection("o", "r", branch)
    assert not await _signed(client, branch)

    await client.remove_branch_protection("o", "r", branch)
    assert await client.get_branch_protection("o", "r", branch) is None
    assert ("o", "r", branch) not in fake.repos.protections


async def _signed(client: GitHubClient, branch: str) -> bool:
    got = await client.get_branch_protection("o", "r", branch)
    assert got is not None
    return got.required_signatures.enabled


async def test_sections_turned_off_read_back_as_none(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.repos.add_repo("o", "r")
    await client.update_branch_protection("o", "r", "main", BranchProtectionRequest())
    got = await client.get_branch_protection("o", "r", "main")
    assert got is not None
    assert got.required_status_checks is None
    assert got.required_pull_request_reviews is None
    assert got.restrictions is None
    assert not got.enforce_admins.enabled


@pytest.mark.parametrize(
    "request_",
    [
        BranchProtectionRequest(restrictions=RestrictionsRequest(apps=("bot",))),
        BranchProtectionRequest(
            required_pull_request_reviews=RequiredPullRequestReviewsRequest(
                required_approving_review_count=7
            )
        ),
    ],
    ids=["restrictions-without-users-teams", "seven-approvals"],
)
async def test_a_protection_github_refuses_is_unprocessable(
    fake: FakeGitHub, client: GitHubClient, request_: BranchProtectionRequest
) -> None:
    fake.repos.add_repo("o", "r")
    with pytest.raises(Unprocessable, match="Invalid request"):
        await client.update_branch_protection("o", "r", "main", request_)
    assert fake.repos.protections == {}


OFF = BranchProtectionRequest().to_json()
"""A valid body: every section null, every setting false."""


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in OFF.items() if k != key}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (_without("restrictions"), 422, '"restrictions" wasn\'t supplied.'),
        ({}, 422, "weren't supplied."),
        (
            {**OFF, "required_status_checks": {"contexts": []}},
            422,
            '"strict" wasn\'t supplied.',
        ),
        (
            {**OFF, "required_status_checks": {"strict": True}},
            422,
            '"contexts" wasn\'t supplied.',
        ),
        ({**OFF, "enforce_admins": "yes"}, 422, "is not a boolean or null"),
        ("not json", 400, "Problems parsing JSON"),
        (OFF, 200, ""),
    ],
    ids=[
        "no-restrictions",
        "empty-object",
        "checks-without-strict",
        "checks-without-contexts",
        "admins-not-bool",
        "not-json",
        "all-null-accepted",
    ],
)
async def test_the_fake_checks_a_put_as_github_does(
    fake: FakeGitHub, body: Any, status: int, message: str
) -> None:
    fake.repos.add_repo("o", "r")
    data = body if isinstance(body, str) else None
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"token {TOKEN}"}) as session,
        session.put(
            fake.url + "/repos/o/r/branches/main/protection",
            data=data,
            json=None if data is not None else body,
        ) as answer,
    ):
        assert answer.status == status
        shown = await answer.json()
    if status == 200:
        assert shown["enforce_admins"]["url"].endswith("/branches/main/protection/enforce_admins")
        assert "required_status_checks" not in shown
    else:
        assert message in shown["message"]
        assert fake.repos.protections == {}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.get_branch_protection("o", "r", "gone"), "Branch not found"),
        (lambda c: c.remove_branch_protection("o", "r", "main"), "Branch not protected"),
        (lambda c: c.enable_commit_sign_protection("o", "r", "main"), "Branch not protected"),
        (lambda c: c.get_branch_protection("o", "nothing", "main"), "Not Found"),
    ],
    ids=["get-unknown-branch", "remove-unprotected", "sign-unprotected", "unknown-repo"],
)
async def test_other_404s_are_not_found(
    fake: FakeGitHub, client: GitHubClient, call: Call, message: str
) -> None:
    fake.repos.add_repo("o", "r")
    with pytest.raises(NotFound, match=message):
        await call(client)


# Files


BINARY = bytes(range(256)) * 3
LARGE = b"x" * (1024 * 1024) + b"tail"


def _files(fake: FakeGitHub) -> None:
    fake.repos.add_repo("o", "r")
    fake.repos.add_branch("o", "r", "release/1.0", SHA)
    fake.repos.set_file("o", "r", "config/plugins.yaml", "plugins: {}\n")
    fake.repos.set_file("o", "r", "config/plugins.yaml", "plugins: {o: [lgtm]}\n", ref=SHA)
    fake.repos.set_file("o", "r", "img/logo.png", BINARY, ref=SHA)
    fake.repos.set_file("o", "r", "big.bin", LARGE)


@pytest.mark.parametrize(
    ("path", "ref", "expected", "blob"),
    [
        ("config/plugins.yaml", "", b"plugins: {}\n", False),
        ("config/plugins.yaml", "main", b"plugins: {}\n", False),
        ("config/plugins.yaml", SHA, b"plugins: {o: [lgtm]}\n", False),
        ("config/plugins.yaml", "release/1.0", b"plugins: {o: [lgtm]}\n", False),
        ("img/logo.png", SHA, BINARY, False),
        ("big.bin", "main", LARGE, True),
        ("config/missing.yaml", "main", None, False),
        ("img/logo.png", "main", None, False),
    ],
    ids=[
        "text-default-branch",
        "text-at-branch",
        "text-at-commit",
        "branch-at-that-commit",
        "binary",
        "over-1mb-via-blob",
        "missing",
        "not-at-this-ref",
    ],
)
async def test_file_contents_at_a_ref(
    fake: FakeGitHub,
    client: GitHubClient,
    path: str,
    ref: str,
    expected: bytes | None,
    blob: bool,
) -> None:
    _files(fake)
    assert await client.get_file("o", "r", path, ref) == expected
    blobs = [r for r in fake.requests if "/git/blobs/" in r.path]
    assert len(blobs) == int(blob)
    assert fake.requests[0].query.get("ref") == (ref or None)


async def test_file_content_is_wrapped_as_github_wraps_it(fake: FakeGitHub) -> None:
    _files(fake)
    async with (
        aiohttp.ClientSession(headers={"Authorization": f"token {TOKEN}"}) as session,
        session.get(fake.url + f"/repos/o/r/contents/img/logo.png?ref={SHA}") as answer,
    ):
        shown = await answer.json()
    lines = shown["content"].split("\n")
    assert {len(line) for line in lines[:-2]} == {60}
    assert lines[-1] == ""
    assert base64.b64decode(shown["content"]) == BINARY
    assert (shown["type"], shown["encoding"], shown["size"], shown["name"]) == (
        "file",
        "base64",
        len(BINARY),
        "logo.png",
    )


# Rate limits


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.list_org_repos("o"),
        lambda c: c.get_branch_protection("o", "r", "main"),
        lambda c: c.update_branch_protection("o", "r", "main", FULL),
        lambda c: c.get_file("o", "r", "big.bin", "main"),
    ],
    ids=["list-repos", "get-protection", "update-protection", "get-file"],
)
async def test_rate_limited_once_then_answered(
    fake: FakeGitHub, client: GitHubClient, clock: VirtualClock, call: Call
) -> None:
    _files(fake)
    fake.repos.protect("o", "r", "main", FULL.to_json())
    fake.rate_limit_once(3, retry_after=True)
    await call(client)
    assert clock.sleeps == [3.0]
    first, second = fake.requests[:2]
    assert (first.method, first.path) == (second.method, second.path)

"""GitHubClient against the fake GitHub server over real HTTP: every method, the
wire requests it makes, pagination, retries, rate limits and the error classes."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub
from fakes import VirtualClock
from github_helpers import POLICY

from minprow.aio import SystemClock
from minprow.github.auth import TokenFile
from minprow.github.client import GitHubClient
from minprow.github.errors import (
    GitHubError,
    LabelNotFound,
    NotFound,
    RateLimited,
    Unprocessable,
)
from minprow.github.types import Label, PullRequest, Status

SHA = "a" * 40
Call = Callable[[GitHubClient], Awaitable[Any]]


def _seed(fake: FakeGitHub) -> None:
    fake.add_pull("org", "repo", 7, head_sha=SHA)
    fake.comments[("org", "repo", 7)] = [
        {"id": 5, "body": "hi", "user": {"login": "alice"}, "html_url": "u"}
    ]
    fake.labels[("org", "repo", 7)] = ["lgtm"]
    fake.refs[("org", "repo", "heads/main")] = SHA


WIRE: list[tuple[str, Call, str, str]] = [
    (
        "create_status",
        lambda c: c.create_status("org", "repo", SHA, "pending", "ci/unit", "Job triggered.", "u"),
        "POST",
        f"/repos/org/repo/statuses/{SHA}",
    ),
    (
        "list_statuses",
        lambda c: c.list_statuses("org", "repo", SHA),
        "GET",
        f"/repos/org/repo/commits/{SHA}/status",
    ),
    (
        "list_issue_comments",
        lambda c: c.list_issue_comments("org", "repo", 7),
        "GET",
        "/repos/org/repo/issues/7/comments",
    ),
    (
        "create_comment",
        lambda c: c.create_comment("org", "repo", 7, "hello"),
        "POST",
        "/repos/org/repo/issues/7/comments",
    ),
    (
        "edit_comment",
        lambda c: c.edit_comment("org", "repo", 5, "edited"),
        "PATCH",
        "/repos/org/repo/issues/comments/5",
    ),
    (
        "delete_comment",
        lambda c: c.delete_comment("org", "repo", 5),
        "DELETE",
        "/repos/org/repo/issues/comments/5",
    ),
    (
        "get_pull_request",
        lambda c: c.get_pull_request("org", "repo", 7),
        "GET",
        "/repos/org/repo/pulls/7",
    ),
    (
        "list_pull_request_files",
        lambda c: c.list_pull_request_files("org", "repo", 7),
        "GET",
        "/repos/org/repo/pulls/7/files",
    ),
    (
        "list_issue_labels",
        lambda c: c.list_issue_labels("org", "repo", 7),
        "GET",
        "/repos/org/repo/issues/7/labels",
    ),
    (
        "add_labels",
        lambda c: c.add_labels("org", "repo", 7, ["needs-rebase"]),
        "POST",
        "/repos/org/repo/issues/7/labels",
    ),
    (
        "remove_label",
        lambda c: c.remove_label("org", "repo", 7, "lgtm"),
        "DELETE",
        "/repos/org/repo/issues/7/labels/lgtm",
    ),
    ("is_member", lambda c: c.is_member("org", "alice"), "GET", "/orgs/org/members/alice"),
    (
        "is_collaborator",
        lambda c: c.is_collaborator("org", "repo", "alice"),
        "GET",
        "/repos/org/repo/collaborators/alice",
    ),
    ("get_user", lambda c: c.get_user(), "GET", "/user"),
    (
        "get_ref",
        lambda c: c.get_ref("org", "repo", "heads/main"),
        "GET",
        "/repos/org/repo/git/ref/heads/main",
    ),
]


@pytest.mark.parametrize(
    ("call", "method", "path"), [w[1:] for w in WIRE], ids=[w[0] for w in WIRE]
)
async def test_each_method_makes_one_authenticated_request(
    fake: FakeGitHub, client: GitHubClient, call: Call, method: str, path: str
) -> None:
    _seed(fake)
    await call(client)
    assert [(r.method, r.path) for r in fake.requests] == [(method, path)]
    assert fake.requests[0].authorization == "token ghp_fixturetoken0123456789"


async def test_statuses_are_created_and_combined(fake: FakeGitHub, client: GitHubClient) -> None:
    await client.create_status("org", "repo", SHA, "pending", "ci/unit", "Job triggered.", "u1")
    await client.create_status("org", "repo", SHA, "success", "ci/unit", "Job succeeded.", "u2")
    await client.create_status("org", "repo", SHA, "failure", "ci/e2e", "Job failed.", "u3")
    assert fake.calls("POST", f"/repos/org/repo/statuses/{SHA}")[0].body == {
        "state": "pending",
        "context": "ci/unit",
        "description": "Job triggered.",
        "target_url": "u1",
    }
    combined = await client.get_combined_status("org", "repo", SHA)
    assert (combined.sha, combined.state) == (SHA, "failure")
    assert await client.list_statuses("org", "repo", SHA) == [
        Status(state="failure", context="ci/e2e", description="Job failed.", target_url="u3"),
        Status(state="success", context="ci/unit", description="Job succeeded.", target_url="u2"),
    ]


@pytest.mark.parametrize(
    ("sha", "state", "words"),
    [
        ("f" * 40, "pending", "No commit found for SHA"),
        (SHA, "bogus", "Validation Failed"),
    ],
    ids=["unknown-sha", "invalid-state"],
)
async def test_a_refused_status_is_unprocessable(
    fake: FakeGitHub, client: GitHubClient, sha: str, state: str, words: str
) -> None:
    fake.known_shas = {SHA}
    with pytest.raises(Unprocessable, match=words) as raised:
        await client.create_status("org", "repo", sha, state, "ci", "d", "u")
    assert raised.value.status == 422
    assert raised.value.__cause__ is not None


async def test_comments_round_trip_across_pages(fake: FakeGitHub, client: GitHubClient) -> None:
    for n in range(230):
        await client.create_comment("org", "repo", 3, f"comment {n}")
    comments = await client.list_issue_comments("org", "repo", 3)
    assert [c.body for c in comments] == [f"comment {n}" for n in range(230)]
    assert {c.user.login for c in comments} == {"minprow-bot"}
    pages = fake.calls("GET", "/repos/org/repo/issues/3/comments")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    first, last = comments[0], comments[-1]
    await client.edit_comment("org", "repo", first.id, "edited")
    await client.delete_comment("org", "repo", last.id)
    after = await client.list_issue_comments("org", "repo", 3)
    assert (len(after), after[0].body) == (229, "edited")


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.edit_comment("org", "repo", 999, "x"),
        lambda c: c.delete_comment("org", "repo", 999),
        lambda c: c.get_pull_request("org", "repo", 404),
        lambda c: c.list_pull_request_files("org", "repo", 404),
        lambda c: c.get_ref("org", "repo", "heads/gone"),
    ],
    ids=["edit-comment", "delete-comment", "pull", "pull-files", "ref"],
)
async def test_missing_things_are_not_found(client: GitHubClient, call: Call) -> None:
    with pytest.raises(NotFound) as raised:
        await call(client)
    assert raised.value.status == 404


async def test_pull_request_is_typed(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.add_pull("org", "repo", 7, head_sha=SHA, title="Fix it", draft=True)
    pull = await client.get_pull_request("org", "repo", 7)
    assert isinstance(pull, PullRequest)
    assert (pull.number, pull.title, pull.draft, pull.mergeable) == (7, "Fix it", True, None)
    assert (pull.head.sha, pull.head.ref, pull.base.ref, pull.user.login) == (
        SHA,
        "feature",
        "main",
        "alice",
    )
    assert pull.base.repo is not None
    assert pull.base.repo.owner.login == "org"


async def test_pull_request_files_follow_pages_and_keep_renames(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.add_pull("org", "repo", 7, head_sha=SHA)
    files: list[dict[str, Any]] = [
        {"sha": "1", "filename": f"pkg/f{n}.go", "status": "modified", "changes": 1}
        for n in range(120)
    ]
    files.append(
        {"sha": "2", "filename": "new.md", "status": "renamed", "previous_filename": "old.md"}
    )
    fake.pull_files[("org", "repo", 7)] = files
    changes = await client.list_pull_request_files("org", "repo", 7)
    assert len(changes) == 121
    assert (changes[-1].filename, changes[-1].previous_filename) == ("new.md", "old.md")
    assert changes[0].previous_filename == ""
    assert len(fake.calls("GET", "/repos/org/repo/pulls/7/files")) == 2


async def test_labels_are_added_listed_and_removed(fake: FakeGitHub, client: GitHubClient) -> None:
    await client.add_labels("org", "repo", 7, ["lgtm", "do-not-merge/hold"])
    assert fake.calls("POST", "/repos/org/repo/issues/7/labels")[0].body == {
        "labels": ["lgtm", "do-not-merge/hold"]
    }
    labels = await client.list_issue_labels("org", "repo", 7)
    assert [label.name for label in labels] == ["lgtm", "do-not-merge/hold"]
    assert all(isinstance(label, Label) for label in labels)
    await client.remove_label("org", "repo", 7, "do-not-merge/hold")
    assert fake.requests[-1].raw_path == "/repos/org/repo/issues/7/labels/do-not-merge%2Fhold"
    assert fake.labels[("org", "repo", 7)] == ["lgtm"]
    with pytest.raises(LabelNotFound, match="'hold' is not on #7"):
        await client.remove_label("org", "repo", 7, "hold")


async def test_repo_labels_are_listed_across_pages(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.repo_labels[("org", "repo")] = [f"kind/k{n}" for n in range(150)]
    labels = await client.list_repo_labels("org", "repo")
    assert [label.name for label in labels] == [f"kind/k{n}" for n in range(150)]
    assert len(fake.calls("GET", "/repos/org/repo/labels")) == 2


@pytest.mark.parametrize(
    ("user", "expected"),
    [("alice", True), ("mallory", False)],
    ids=["active-member", "not-in-team"],
)
async def test_team_has_member(
    fake: FakeGitHub, client: GitHubClient, user: str, expected: bool
) -> None:
    fake.teams[("org", "reviewers")] = {"alice"}
    assert await client.team_has_member("org", "reviewers", user) is expected


@pytest.mark.parametrize(
    ("user", "expected", "requests"),
    [("alice", True, 1), ("mallory", False, 1), ("org", True, 0)],
    ids=["member-204", "stranger-404", "own-account"],
)
async def test_is_member(
    fake: FakeGitHub, client: GitHubClient, user: str, expected: bool, requests: int
) -> None:
    fake.members["org"] = {"alice"}
    assert await client.is_member("org", user) is expected
    assert len(fake.requests) == requests


@pytest.mark.parametrize(
    ("user", "expected"),
    [("bob", True), ("mallory", False), ("org", True)],
    ids=["collaborator-204", "stranger-404", "own-account"],
)
async def test_is_collaborator(
    fake: FakeGitHub, client: GitHubClient, user: str, expected: bool
) -> None:
    fake.collaborators[("org", "repo")] = {"bob"}
    assert await client.is_collaborator("org", "repo", user) is expected


async def test_bot_user_is_asked_once(fake: FakeGitHub, client: GitHubClient) -> None:
    assert (await client.get_user()).login == "minprow-bot"
    assert (await client.get_user()).login == "minprow-bot"
    assert len(fake.calls("GET", "/user")) == 1


async def test_get_ref_gives_the_sha(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.refs[("org", "repo", "heads/release-1.0")] = SHA
    assert await client.get_ref("org", "repo", "heads/release-1.0") == SHA


@pytest.mark.parametrize(
    ("failures", "status"), [(1, 502), (3, 502), (2, 503)], ids=["once", "three-times", "503"]
)
async def test_server_errors_are_retried_with_backoff(
    fake: FakeGitHub, client: GitHubClient, clock: VirtualClock, failures: int, status: int
) -> None:
    fake.fail_next(failures, status)
    await client.create_comment("org", "repo", 1, "eventually")
    assert len(fake.calls("POST", "/repos/org/repo/issues/1/comments")) == failures + 1
    assert clock.sleeps == [0.5, 1.0, 2.0][:failures]
    assert len(fake.comments[("org", "repo", 1)]) == 1


async def test_server_errors_give_up_after_max_attempts(
    fake: FakeGitHub, client: GitHubClient, clock: VirtualClock
) -> None:
    fake.fail_next(10)
    with pytest.raises(GitHubError, match="HTTP 502") as raised:
        await client.get_user()
    assert raised.value.status == 502
    assert len(fake.requests) == POLICY.max_attempts
    assert clock.sleeps == [0.5, 1.0, 2.0]


async def test_connection_errors_are_retried_then_reported(
    token_file: Path, clock: VirtualClock
) -> None:
    async with FakeGitHub() as gone:
        url = gone.url
    async with GitHubClient(
        TokenFile(token_file), endpoint=url, policy=POLICY, clock=clock
    ) as client:
        with pytest.raises(GitHubError, match="no response") as raised:
            await client.is_member("org", "alice")
    assert raised.value.status is None
    assert clock.sleeps == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    "retry_after", [False, True], ids=["primary-reset", "secondary-retry-after"]
)
async def test_rate_limit_is_waited_out(
    fake: FakeGitHub, token_file: Path, retry_after: bool
) -> None:
    fake.rate_limit_once(1, retry_after=retry_after)
    async with GitHubClient(
        TokenFile(token_file), endpoint=fake.url, policy=POLICY, clock=SystemClock()
    ) as client:
        started = time.monotonic()
        assert await client.get_user()
        waited = time.monotonic() - started
    assert [r.path for r in fake.requests] == ["/user", "/user"]
    assert 0.0 < waited < 3.0


async def test_rate_limit_longer_than_allowed_fails_clearly(
    fake: FakeGitHub, token_file: Path
) -> None:
    fake.rate_limit_once(600)
    async with GitHubClient(
        TokenFile(token_file), endpoint=fake.url, policy=POLICY, clock=SystemClock()
    ) as client:
        with pytest.raises(RateLimited, match=r"rate limited for 6\d\ds more") as raised:
            await client.get_user()
    assert raised.value.status == 403
    assert len(fake.requests) == 1


async def test_bad_credentials_are_a_github_error(fake: FakeGitHub, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("ghp_wrong")
    async with GitHubClient(TokenFile(wrong), endpoint=fake.url, policy=POLICY) as client:
        with pytest.raises(GitHubError, match="HTTP 401: Bad credentials") as raised:
            await client.get_user()
    assert "ghp_wrong" not in str(raised.value)


def _run(run_id: int, status: str, conclusion: str | None, **fields: Any) -> dict[str, Any]:
    return {
        "id": run_id,
        "name": f"run {run_id}",
        "status": status,
        "conclusion": conclusion,
        "head_sha": SHA,
        "head_branch": "feature",
        "event": "pull_request",
        **fields,
    }


async def test_workflow_runs_waiting_for_approval_are_approved(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    fake.workflow_runs[("org", "repo")] = [
        _run(1, "action_required", None),
        _run(2, "action_required", None, event="pull_request_target"),
        _run(3, "action_required", None, event="push"),
        _run(4, "action_required", None, head_sha="b" * 40),
        _run(5, "completed", "success"),
    ]
    runs = await client.get_pending_approval_action_runs("org", "repo", "feature", SHA)
    assert [run.id for run in runs] == [1, 2]
    [listed] = fake.calls("GET", "/repos/org/repo/actions/runs")
    assert dict(listed.query) == {
        "head_sha": SHA,
        "event": "pull_request OR pull_request_target",
        "branch": "feature",
        "status": "action_required",
    }
    await client.approve_workflow_run("org", "repo", 1)
    assert fake.workflow_runs[("org", "repo")][0]["status"] == "queued"
    with pytest.raises(GitHubError) as refused:
        await client.approve_workflow_run("org", "repo", 5)
    assert refused.value.status == 403


async def test_failed_workflow_runs_are_rerun(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.workflow_runs[("org", "repo")] = [
        _run(1, "completed", "failure"),
        _run(2, "completed", "cancelled"),
        _run(3, "completed", "success"),
        _run(4, "completed", "skipped"),
        _run(5, "in_progress", None),
        _run(6, "completed", "failure", event="workflow_call"),
    ]
    failed = await client.get_failed_action_runs_by_head_branch("org", "repo", "feature", SHA)
    assert [run.id for run in failed] == [1, 2, 6]
    await client.rerun_failed_workflow_jobs("org", "repo", 1)
    assert fake.workflow_runs[("org", "repo")][0]["status"] == "queued"
    with pytest.raises(NotFound):
        await client.rerun_failed_workflow_jobs("org", "repo", 99)


async def test_the_issue_search_follows_pages(fake: FakeGitHub, client: GitHubClient) -> None:
    fake.merged_pulls["org"] = [{"number": n, "author": "alice"} for n in range(1, 151)]
    fake.merged_pulls["org"].append({"number": 999, "author": "bob"})
    query = "type:pr is:merged org:org author:alice"
    found = await client.find_issues_with_org("org", query)
    assert [issue.number for issue in found] == list(range(1, 151))
    pages = fake.calls("GET", "/search/issues")
    assert [r.query.get("page", "1") for r in pages] == ["1", "2"]
    assert pages[0].query["q"] == query


async def test_reviewers_are_assigned_asked_and_trees_read(
    fake: FakeGitHub, client: GitHubClient
) -> None:
    _seed(fake)
    fake.teams[("org", "leads")] = {"alice"}
    fake.commit_trees[("org", "repo", SHA)] = "t" * 40
    await client.assign_issue("org", "repo", 7, ["alice"])
    await client.request_review("org", "repo", 7, ["bob"])
    assert [a["login"] for a in fake.pulls[("org", "repo", 7)]["assignees"]] == ["alice"]
    assert fake.review_requests[("org", "repo", 7)] == ["bob"]
    assert await client.get_commit_tree("org", "repo", SHA) == "t" * 40
    assert [(t.name, t.slug) for t in await client.list_teams("org")] == [("Leads", "leads")]
    with pytest.raises(Unprocessable):
        await client.get_commit_tree("org", "repo", "b" * 40)


# A delivery handled again after a crash (minprow.hook.dispatch): the replaying
# view posts a comment only if the bot has not posted the same one since the
# delivery came in (GitHub's clock may be up to a minute behind ours).

RECEIVED = datetime(2026, 12, 3, 9, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("earlier", "posted"),
    [
        ([], True),
        ([("bot", "Jobs started.", "2026-12-03T09:00:05Z")], False),
        ([("bot", "Jobs started.", "2026-12-03T08:59:30Z")], False),  # GitHub's clock behind
        ([("bot", "Jobs started.", "2026-12-03T08:58:00Z")], True),  # an older, earlier reply
        ([("bot", "Something else.", "2026-12-03T09:00:05Z")], True),
        ([("alice", "Jobs started.", "2026-12-03T09:00:05Z")], True),  # not the bot's
    ],
    ids=["none", "same-since", "same-within-skew", "same-before", "other-body", "other-user"],
)
async def test_replaying_posts_a_comment_once(
    fake: FakeGitHub, client: GitHubClient, earlier: list[tuple[str, str, str]], posted: bool
) -> None:
    bot = fake.bot["login"]
    fake.comments[("org", "repo", 7)] = [
        {"id": n, "body": body, "user": {"login": bot if who == "bot" else who}, "created_at": at}
        for n, (who, body, at) in enumerate(earlier, start=100)
    ]
    await client.replaying(RECEIVED).create_comment("org", "repo", 7, "Jobs started.")
    bodies = [c["body"] for c in fake.comments[("org", "repo", 7)]]
    assert len(bodies) == len(earlier) + posted
    # The client itself is not replaying: it always posts.
    await client.create_comment("org", "repo", 7, "Jobs started.")
    assert len(fake.comments[("org", "repo", 7)]) == len(earlier) + posted + 1

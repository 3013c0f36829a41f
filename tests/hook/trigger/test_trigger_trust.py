"""Prow's `TrustedUser` / `TrustedPullRequest` against the GitHub fake."""

from __future__ import annotations

import pytest
from trigger_helpers import BOT, FakeGitHub

from minprow.config import Trigger
from minprow.hook.plugins.trigger import trusted_pull_request, trusted_user

ORG, REPO = "Codertocat", "Hello-World"


@pytest.mark.parametrize(
    ("trigger", "user", "members", "collaborators", "trusted"),
    [
        (Trigger(), "alice", {ORG: {"alice"}}, set(), True),
        (Trigger(), "bob", {}, {"bob"}, True),
        (Trigger(only_org_members=True), "bob", {}, {"bob"}, False),
        (Trigger(trusted_org="friends"), "carol", {"friends": {"carol"}}, set(), True),
        (Trigger(trusted_org=ORG), "carol", {"friends": {"carol"}}, set(), False),
        (Trigger(), "carol", {"friends": {"carol"}}, set(), False),
        (Trigger(trusted_apps=["dependabot"]), "dependabot[bot]", {}, set(), True),
        (Trigger(trusted_apps=["dependabot"]), "dependabot", {}, set(), False),
        (Trigger(trusted_apps=["dependabot"]), "renovate[bot]", {}, set(), False),
        (Trigger(), BOT, {}, set(), True),
        (Trigger(), "mallory", {}, set(), False),
    ],
    ids=[
        "org-member",
        "collaborator",
        "collaborator-not-enough-with-only-org-members",
        "trusted-org-member",
        "trusted-org-same-as-repo-org-not-checked",
        "other-org-without-trusted-org",
        "trusted-app-bot-login",
        "spoofed-app-plain-login-not-trusted",
        "untrusted-app",
        "the-bot-itself",
        "stranger",
    ],
)
async def test_trusted_user(
    trigger: Trigger,
    user: str,
    members: dict[str, set[str]],
    collaborators: set[str],
    trusted: bool,
) -> None:
    gh = FakeGitHub(members=members, collaborators=collaborators)
    response = await trusted_user(gh, trigger, user, ORG, REPO, bot_login=BOT)
    assert response.trusted is trusted
    if not trusted:
        assert response.reason.endswith("make the user trusted.")


async def test_only_org_members_never_asks_about_collaborators() -> None:
    gh = FakeGitHub()
    await trusted_user(gh, Trigger(only_org_members=True), "x", ORG, REPO)
    assert not any(r.startswith("is_collaborator") for r in gh.reads)


@pytest.mark.parametrize(
    ("author", "labels", "trusted", "read_labels"),
    [
        ("alice", ["needs-ok-to-test"], True, False),
        ("mallory", ["ok-to-test"], True, True),
        ("mallory", ["needs-ok-to-test"], False, True),
        ("mallory", [], False, True),
    ],
    ids=["trusted-author-labels-not-read", "ok-to-test-label", "needs-ok-to-test", "no-labels"],
)
async def test_trusted_pull_request(
    author: str, labels: list[str], trusted: bool, read_labels: bool
) -> None:
    gh = FakeGitHub(members={ORG: {"alice"}}, labels=list(labels))
    got_labels, got = await trusted_pull_request(gh, Trigger(), author, ORG, REPO, 2)
    assert got is trusted
    assert ("labels" in gh.reads) is read_labels
    assert got_labels == (labels if read_labels else None)

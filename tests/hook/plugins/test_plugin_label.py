"""The label plugin: command parsing, adding and removing labels with Prow's
checks (repository labels, restricted labels, `triage/accepted`, needs-*),
replies, labels dropped on new commits, and the plugin value through hook's
registry."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_helpers import (
    AUTHOR,
    ORG,
    REPO,
    FakeGitHub,
    FakeGitHubWithRepoLabels,
    issue_comment,
    parsed,
    payload,
    plugin_config,
    plugin_context,
    pr_comment,
    review,
)

from minprow.hook.plugins.label import (
    HELP,
    LABEL,
    parse_commands,
    restricted_labels_for,
)
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore

REPO_LABELS = [
    "kind/bug",
    "kind/feature",
    "area/prow",
    "sig/testing",
    "priority/important-soon",
    "triage/accepted",
    "needs-kind",
    "api-review",
    "restricted-label",
    "team-label",
    "sticky/approved",
]


def _configured(label: str) -> bool:
    return label in {"api-review", "restricted-label"}


@pytest.mark.parametrize(
    ("body", "add", "remove", "unconfigured"),
    [
        ("/kind bug", ["kind/bug"], [], []),
        ("/kind bug feature", ["kind/bug", "kind/feature"], [], []),
        ("/KIND Bug", [], [], []),
        ("/area Prow  ", ["area/prow"], [], []),
        ("/remove-sig testing", [], ["sig/testing"], []),
        ("/label api-review", ["api-review"], [], []),
        ("/label API-Review", ["api-review"], [], []),
        ("/remove-label restricted-label", [], ["restricted-label"], []),
        ("/label foo", [], [], ["/label foo"]),
        ("/label a b", [], [], []),
        ("/kind", [], [], []),
        ("<!-- /kind bug -->\n/priority important-soon", ["priority/important-soon"], [], []),
        ("please /kind bug", [], [], []),
        ("/kind bug\n/remove-kind feature", ["kind/bug"], ["kind/feature"], []),
        ("/lifecycle frozen", [], [], []),
    ],
    ids=[
        "kind",
        "two-words",
        "command-is-case-sensitive",
        "lower-cased-and-trimmed",
        "remove-prefixed",
        "custom",
        "custom-lower-cased",
        "custom-remove",
        "custom-unconfigured",
        "custom-two-words-ignored",
        "prefix-without-word",
        "html-comment-dropped",
        "not-at-line-start",
        "add-and-remove",
        "lifecycle-is-another-plugin",
    ],
)
def test_parse_commands(
    body: str, add: list[str], remove: list[str], unconfigured: list[str]
) -> None:
    commands = parse_commands(body, _configured)
    assert (commands.add, commands.remove, commands.unconfigured) == (add, remove, unconfigured)


def test_restricted_labels_for() -> None:
    config = plugin_config().label
    assert sorted(restricted_labels_for(config, ORG, REPO)) == [
        "restricted-label",
        "sticky/approved",
        "team-label",
    ]
    assert sorted(restricted_labels_for(config, "other", "repo")) == ["restricted-label"]


@pytest.mark.parametrize(
    ("body", "user", "labels", "writes", "reply"),
    [
        ("/kind bug", AUTHOR, [], [("add_labels", 1, ("kind/bug",))], None),
        (
            "/kind bug feature",
            AUTHOR,
            ["kind/bug"],
            [("add_labels", 1, ("kind/feature",))],
            None,
        ),
        ("/kind nonsense", AUTHOR, [], [], "this repository has no label `kind/nonsense`"),
        ("/remove-area prow", AUTHOR, ["area/prow"], [("remove_label", 1, "area/prow")], None),
        ("/remove-area prow", AUTHOR, [], [], "not on this issue: `area/prow`"),
        ("/label api-review", AUTHOR, [], [("add_labels", 1, ("api-review",))], None),
        ("/label foo", AUTHOR, [], [], "`/label foo`: `/label` and `/remove-label` only take"),
        ("/triage accepted", AUTHOR, [], [], "only members of the GitHub organization"),
        ("/triage accepted", "member", [], [("add_labels", 1, ("triage/accepted",))], None),
        ("/label restricted-label", "bob", [], [("add_labels", 1, ("restricted-label",))], None),
        ("/label restricted-label", "mallory", [], [], "Ask one of these users: alice, Bob"),
        (
            "/remove-label restricted-label",
            "mallory",
            ["restricted-label"],
            [],
            "can add or remove the label `restricted-label`",
        ),
        ("/label team-label", "mallory", [], [], "The allowed teams are: release-team"),
        (
            "/remove-kind bug",
            AUTHOR,
            ["kind/bug"],
            [("add_labels", 1, ("needs-kind",)), ("remove_label", 1, "kind/bug")],
            None,
        ),
        (
            "/remove-kind bug",
            AUTHOR,
            ["kind/bug", "kind/feature"],
            [("remove_label", 1, "kind/bug")],
            None,
        ),
    ],
    ids=[
        "adds",
        "skips-present",
        "missing-in-repo",
        "removes",
        "remove-absent",
        "custom-configured",
        "custom-unconfigured",
        "triage-accepted-non-member",
        "triage-accepted-member",
        "restricted-allowed-user-any-case",
        "restricted-refused",
        "restricted-remove-refused",
        "restricted-team-without-team-lookup",
        "last-kind-removed-adds-needs-kind",
        "other-kind-left-no-needs-kind",
    ],
)
async def test_comment(
    store: JobStore,
    body: str,
    user: str,
    labels: list[str],
    writes: list[tuple[Any, ...]],
    reply: str | None,
) -> None:
    gh = FakeGitHubWithRepoLabels(labels=list(labels), repo_labels=REPO_LABELS, members={"member"})
    ctx = plugin_context(store, gh, "issue_comment")
    await LABEL.for_event("issue_comment")(ctx, pr_comment(body, user=user))
    assert gh.writes() == writes
    if reply is None:
        assert gh.replies() == []
    else:
        [text] = gh.replies()
        assert text.startswith(f"@{user}: ")
        assert reply in text
        assert "In response to [this](https://github.com/" in text
        assert "\n>" + body.split("\n")[0] in text


class _FakeGitHubWithTeams(FakeGitHubWithRepoLabels):
    """The fake answering team membership: `release-team` has `carol`."""

    async def team_has_member(self, org: str, team_slug: str, user: str) -> bool:
        return team_slug == "release-team" and user == "carol"


@pytest.mark.parametrize(
    ("user", "writes"),
    [("carol", [("add_labels", 1, ("team-label",))]), ("mallory", [])],
    ids=["team-member", "not-in-team"],
)
async def test_restricted_team(store: JobStore, user: str, writes: list[tuple[Any, ...]]) -> None:
    gh = _FakeGitHubWithTeams(repo_labels=REPO_LABELS)
    ctx = plugin_context(store, gh, "issue_comment")
    await LABEL.for_event("issue_comment")(ctx, pr_comment("/label team-label", user=user))
    assert gh.writes() == writes


async def test_without_repo_labels_adds_what_is_asked(store: JobStore) -> None:
    """The real client cannot list a repository's labels: the label is added and
    no needs-* label is guessed."""
    gh = FakeGitHub(labels=["kind/bug"])
    ctx = plugin_context(store, gh, "issue_comment")
    await LABEL.for_event("issue_comment")(ctx, pr_comment("/kind nonsense\n/remove-kind bug"))
    assert gh.writes() == [
        ("add_labels", 1, ("kind/nonsense",)),
        ("remove_label", 1, "kind/bug"),
    ]
    assert gh.replies() == []


@pytest.mark.parametrize(
    ("event_type", "event", "number", "writes"),
    [
        (
            "issue_comment",
            lambda: issue_comment("/kind bug"),
            1,
            [("add_labels", 1, ("kind/bug",))],
        ),
        ("issue_comment", lambda: pr_comment("/kind bug", action="edited"), 1, []),
        (
            "pull_request_review",
            lambda: review("commented", "/area prow"),
            2,
            [("add_labels", 2, ("area/prow",))],
        ),
        ("pull_request_review", lambda: review("approved", ""), 2, []),
    ],
    ids=["plain-issue", "edited-ignored", "review-body", "review-without-body"],
)
async def test_comment_sources(
    store: JobStore, event_type: str, event: Any, number: int, writes: list[tuple[Any, ...]]
) -> None:
    gh = FakeGitHubWithRepoLabels(repo_labels=REPO_LABELS)
    await LABEL.for_event(event_type)(plugin_context(store, gh, event_type), event())
    assert gh.writes() == writes


@pytest.mark.parametrize(
    ("fixture", "body", "labels", "writes"),
    [
        ("pull_request.opened.json", "/kind feature", [], [("add_labels", 2, ("kind/feature",))]),
        (
            "pull_request.synchronize.json",
            "",
            ["Sticky/Approved", "kind/bug"],
            [("remove_label", 2, "Sticky/Approved")],
        ),
        ("pull_request.synchronize.json", "", ["kind/bug", "restricted-label"], []),
        ("pull_request.synchronize.json", "merged", ["sticky/approved"], []),
        ("pull_request.closed.json", "/kind feature", [], []),
    ],
    ids=[
        "opened-body",
        "synchronize-drops-marked",
        "synchronize-keeps-others",
        "synchronize-merged-ignored",
        "closed-ignored",
    ],
)
async def test_pull_request(
    store: JobStore, fixture: str, body: str, labels: list[str], writes: list[tuple[Any, ...]]
) -> None:
    data = payload(fixture)
    data["pull_request"]["body"] = body
    data["pull_request"]["merged"] = body == "merged"
    gh = FakeGitHubWithRepoLabels(labels=list(labels), repo_labels=REPO_LABELS)
    ctx = plugin_context(store, gh, "pull_request")
    await LABEL.for_event("pull_request")(ctx, parsed("pull_request", data))
    assert gh.writes() == writes


def test_plugin_value() -> None:
    assert LABEL.name == "label"
    assert set(LABEL.handlers) == {"generic_comment", "pull_request"}
    assert "/[remove-]label" in HELP
    assert "'kind/*'" in HELP


async def test_dispatched_through_registry(store: JobStore) -> None:
    handlers = Registry([LABEL]).handlers_for("issue_comment", ORG, REPO, plugin_config())
    [(name, handler)] = handlers
    gh = FakeGitHubWithRepoLabels(repo_labels=REPO_LABELS)
    await handler(plugin_context(store, gh, "issue_comment"), pr_comment("/kind bug"))
    assert name == "label"
    assert gh.labels == ["kind/bug"]


async def test_needs_a_github_client(store: JobStore) -> None:
    with pytest.raises(TypeError, match="GitHub client"):
        await LABEL.for_event("issue_comment")(
            plugin_context(store, object(), "issue_comment"), pr_comment("/kind bug")
        )

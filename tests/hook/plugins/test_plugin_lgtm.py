"""The lgtm plugin: `/lgtm` and its cancels by collaborators and authors,
reviews acting as lgtm, removal on new commits with the notice pruned when lgtm
comes back, and the plugin value through hook's registry."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_helpers import (
    AUTHOR,
    BOT,
    ORG,
    REPO,
    FakeGitHub,
    issue_comment,
    parsed,
    payload,
    plugin_config,
    plugin_context,
    pr_comment,
    review,
)

from minprow.config import PluginConfig
from minprow.github.types import IssueComment, User
from minprow.hook.plugins.lgtm import (
    HELP,
    LGTM,
    LGTM_LABEL,
    NOT_COLLABORATOR,
    OWN_PR,
    REMOVED_NOTICE,
    wants_lgtm,
)
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore

REVIEWER = "reviewer"


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("/lgtm", True),
        ("/LGTM  ", True),
        ("/lgtm no-issue", True),
        ("nice!\n/lgtm\n", True),
        ("/lgtm cancel", False),
        ("/remove-lgtm", False),
        ("/lgtm\n/lgtm cancel", True),
        ("/lgtm please", None),
        ("so /lgtm", None),
        ("lgtm", None),
    ],
    ids=[
        "lgtm",
        "upper-case-trailing-space",
        "no-issue",
        "mid-comment",
        "cancel",
        "remove-lgtm",
        "lgtm-wins",
        "trailing-words",
        "not-at-line-start",
        "no-slash",
    ],
)
def test_wants_lgtm(body: str, want: bool | None) -> None:
    assert wants_lgtm(body) is want


@pytest.mark.parametrize(
    ("event", "labels", "writes", "reply"),
    [
        (lambda: pr_comment("/lgtm", user=REVIEWER), [], [("add_labels", 1, (LGTM_LABEL,))], None),
        (lambda: pr_comment("/lgtm", user=REVIEWER), [LGTM_LABEL], [], None),
        (
            lambda: pr_comment("/lgtm cancel", user=REVIEWER),
            [LGTM_LABEL],
            [("remove_label", 1, LGTM_LABEL)],
            None,
        ),
        (lambda: pr_comment("/remove-lgtm", user=REVIEWER), [], [], None),
        (lambda: pr_comment("/lgtm", user=AUTHOR), [], [], OWN_PR),
        (
            lambda: pr_comment("/lgtm cancel", user=AUTHOR),
            [LGTM_LABEL],
            [("remove_label", 1, LGTM_LABEL)],
            None,
        ),
        (lambda: pr_comment("/lgtm", user="stranger"), [], [], NOT_COLLABORATOR),
        (lambda: pr_comment("/lgtm cancel", user="stranger"), [LGTM_LABEL], [], NOT_COLLABORATOR),
        (lambda: pr_comment("/lgtm", user=REVIEWER, action="edited"), [], [], None),
        (lambda: issue_comment("/lgtm", user=REVIEWER), [], [], None),
        (lambda: pr_comment("looks good", user=REVIEWER), [], [], None),
    ],
    ids=[
        "collaborator-adds",
        "already-lgtm",
        "collaborator-cancels",
        "cancel-without-label",
        "author-cannot-lgtm",
        "author-may-cancel",
        "non-collaborator-refused",
        "non-collaborator-cancel-refused",
        "edited-ignored",
        "issue-not-pr-ignored",
        "no-command",
    ],
)
async def test_comment(
    store: JobStore,
    event: Any,
    labels: list[str],
    writes: list[tuple[Any, ...]],
    reply: str | None,
) -> None:
    gh = FakeGitHub(labels=list(labels), collaborators={REVIEWER})
    await LGTM.for_event("issue_comment")(plugin_context(store, gh, "issue_comment"), event())
    # Whether the reviewer is assigned is the Prow suite's (tests/hook/prow/test_prow_lgtm.py).
    assert [w for w in gh.writes() if w[0] != "assign"] == writes
    if reply is None:
        assert gh.replies() == []
    else:
        [text] = gh.replies()
        login = event().comment.user.login
        assert text.startswith(f"@{login}: {reply}")
        assert "\n>/lgtm" in text


async def test_closed_pull_request_ignored(store: JobStore) -> None:
    data = payload("issue_comment.created.json")
    data["comment"]["body"] = "/lgtm"
    data["comment"]["user"]["login"] = REVIEWER
    data["issue"]["state"] = "closed"
    data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    gh = FakeGitHub(collaborators={REVIEWER})
    ctx = plugin_context(store, gh, "issue_comment")
    await LGTM.for_event("issue_comment")(ctx, parsed("issue_comment", data))
    assert gh.calls == []


def _no_review_lgtm() -> PluginConfig:
    config = plugin_config()
    return config.model_copy(update={"lgtm": []})


@pytest.mark.parametrize(
    ("event", "labels", "plugins", "writes", "reply"),
    [
        (lambda: review("approved"), [], None, [("add_labels", 2, (LGTM_LABEL,))], None),
        (
            lambda: review("changes_requested"),
            [LGTM_LABEL],
            None,
            [("remove_label", 2, LGTM_LABEL)],
            None,
        ),
        (lambda: review("commented", "nit"), [LGTM_LABEL], None, [], None),
        (lambda: review("approved"), [], _no_review_lgtm, [], None),
        (
            lambda: review("commented", "/lgtm"),
            [],
            _no_review_lgtm,
            [("add_labels", 2, (LGTM_LABEL,))],
            None,
        ),
        (
            lambda: review("changes_requested", "/lgtm"),
            [],
            None,
            [("add_labels", 2, (LGTM_LABEL,))],
            None,
        ),
        (lambda: review("approved", user=AUTHOR), [], None, [], OWN_PR),
        (lambda: review("approved", user="stranger"), [], None, [], NOT_COLLABORATOR),
        (lambda: review("approved", user="dependabot[bot]", user_type="Bot"), [], None, [], None),
        (lambda: review("approved", user=BOT), [], None, [], None),
    ],
    ids=[
        "approve-adds",
        "changes-requested-removes",
        "comment-review-ignored",
        "review-acts-as-lgtm-off",
        "review-body-command-without-setting",
        "body-command-wins-over-state",
        "author-approving-own",
        "non-collaborator-approving",
        "app-bot-ignored",
        "own-bot-ignored",
    ],
)
async def test_review(
    store: JobStore,
    event: Any,
    labels: list[str],
    plugins: Any,
    writes: list[tuple[Any, ...]],
    reply: str | None,
) -> None:
    gh = FakeGitHub(labels=list(labels), collaborators={REVIEWER, "dependabot[bot]", BOT})
    ctx = plugin_context(
        store, gh, "pull_request_review", plugins() if plugins is not None else None
    )
    await LGTM.for_event("pull_request_review")(ctx, event())
    assert [w for w in gh.writes() if w[0] != "assign"] == writes
    assert [r.split("\n")[0] for r in gh.replies()] == (
        [] if reply is None else [f"@{event().review.user.login}: {reply}"]
    )


def _notice(comment_id: int, login: str) -> IssueComment:
    return IssueComment(id=comment_id, body=REMOVED_NOTICE, user=User(login=login))


async def test_lgtm_prunes_the_removed_notice(store: JobStore) -> None:
    gh = FakeGitHub(
        collaborators={REVIEWER},
        comments=[_notice(7, BOT), _notice(8, "someone-quoting-it")],
    )
    ctx = plugin_context(store, gh, "issue_comment")
    await LGTM.for_event("issue_comment")(ctx, pr_comment("/lgtm", user=REVIEWER))
    assert gh.writes() == [
        ("assign", 1, (REVIEWER,)),
        ("add_labels", 1, (LGTM_LABEL,)),
        ("delete_comment", 7),
    ]


@pytest.mark.parametrize(
    ("fixture", "merged", "labels", "calls"),
    [
        (
            "pull_request.synchronize.json",
            False,
            [LGTM_LABEL, "kind/bug"],
            [("remove_label", 2, LGTM_LABEL), ("comment", 2, REMOVED_NOTICE)],
        ),
        ("pull_request.synchronize.json", False, ["kind/bug"], []),
        ("pull_request.synchronize.json", True, [LGTM_LABEL], []),
        ("pull_request.labeled.json", False, [LGTM_LABEL], []),
    ],
    ids=["push-removes", "push-without-lgtm", "merged-ignored", "other-action-ignored"],
)
async def test_pull_request(
    store: JobStore, fixture: str, merged: bool, labels: list[str], calls: list[tuple[Any, ...]]
) -> None:
    data = payload(fixture)
    data["pull_request"]["merged"] = merged
    gh = FakeGitHub(labels=list(labels))
    ctx = plugin_context(store, gh, "pull_request")
    await LGTM.for_event("pull_request")(ctx, parsed("pull_request", data))
    assert gh.calls == calls


async def test_opened_body_by_author_is_refused(store: JobStore) -> None:
    data = payload("pull_request.opened.json")
    data["pull_request"]["body"] = "/lgtm"
    gh = FakeGitHub()
    ctx = plugin_context(store, gh, "pull_request")
    await LGTM.for_event("pull_request")(ctx, parsed("pull_request", data))
    assert gh.writes() == []
    assert [r.split("\n")[0] for r in gh.replies()] == [f"@{AUTHOR}: {OWN_PR}"]


def test_plugin_value() -> None:
    assert LGTM.name == "lgtm"
    assert set(LGTM.handlers) == {"generic_comment", "pull_request_review", "pull_request"}
    assert "/lgtm cancel" in HELP
    assert "review_acts_as_lgtm" in HELP


async def test_dispatched_through_registry(store: JobStore) -> None:
    handlers = Registry([LGTM]).handlers_for("pull_request_review", ORG, REPO, plugin_config())
    [(name, handler)] = handlers
    gh = FakeGitHub(collaborators={REVIEWER})
    await handler(plugin_context(store, gh, "pull_request_review"), review("approved"))
    assert name == "lgtm"
    assert gh.labels == [LGTM_LABEL]


async def test_needs_a_github_client(store: JobStore) -> None:
    with pytest.raises(TypeError, match="GitHub client"):
        await LGTM.for_event("issue_comment")(
            plugin_context(store, object(), "issue_comment"), pr_comment("/lgtm")
        )

"""The hold plugin: `/hold` and its cancels on PR comments, review bodies and
opened PR bodies, and the plugin value dispatched through hook's registry."""

from __future__ import annotations

from typing import Any

import pytest
from plugin_helpers import (
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

from minprow.hook.plugins.hold import HELP, HOLD, HOLD_LABEL, wants_hold
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore


@pytest.mark.parametrize(
    ("body", "want"),
    [
        ("/hold", True),
        ("/HOLD", True),
        ("/hold for the release", True),
        ("looks fine\n/hold\nthanks", True),
        ("/hold cancel", False),
        ("/hold   cancel  ", False),
        ("/unhold", False),
        ("/remove-hold", False),
        ("/hold\n/hold cancel", False),
        ("please /hold", None),
        ("/holdup", None),
        ("/unhold now", False),  # a cancel may give its reason (Prow #456)
        ("nothing to see", None),
    ],
    ids=[
        "hold",
        "upper-case",
        "hold-with-reason",
        "hold-mid-comment",
        "cancel",
        "cancel-spaces",
        "unhold",
        "remove-hold",
        "cancel-wins",
        "not-at-line-start",
        "other-word",
        "unhold-with-text",
        "no-command",
    ],
)
def test_wants_hold(body: str, want: bool | None) -> None:
    assert wants_hold(body) is want


@pytest.mark.parametrize(
    ("event", "labels", "writes"),
    [
        (lambda: pr_comment("/hold"), [], [("add_labels", 1, (HOLD_LABEL,))]),
        (lambda: pr_comment("/hold"), [HOLD_LABEL], []),
        (lambda: pr_comment("/hold cancel"), [HOLD_LABEL], [("remove_label", 1, HOLD_LABEL)]),
        (lambda: pr_comment("/unhold"), ["lgtm", HOLD_LABEL], [("remove_label", 1, HOLD_LABEL)]),
        (lambda: pr_comment("/remove-hold"), [], []),
        (lambda: pr_comment("/hold", action="edited"), [], []),
        (lambda: issue_comment("/hold"), [], []),
        (lambda: pr_comment("lgtm"), [], []),
    ],
    ids=[
        "hold-adds",
        "hold-already-held",
        "cancel-removes",
        "unhold-removes",
        "cancel-not-held",
        "edited-comment-ignored",
        "issue-not-pr-ignored",
        "no-command",
    ],
)
async def test_issue_comment(
    store: JobStore, event: Any, labels: list[str], writes: list[tuple[Any, ...]]
) -> None:
    gh = FakeGitHub(labels=list(labels))
    await HOLD.for_event("issue_comment")(plugin_context(store, gh, "issue_comment"), event())
    assert gh.calls == writes
    assert gh.replies() == []


@pytest.mark.parametrize(
    ("state", "body", "labels", "writes"),
    [
        ("commented", "/hold", [], [("add_labels", 2, (HOLD_LABEL,))]),
        ("approved", "LGTM but\n/hold", [], [("add_labels", 2, (HOLD_LABEL,))]),
        ("commented", "/hold cancel", [HOLD_LABEL], [("remove_label", 2, HOLD_LABEL)]),
        ("approved", "", [], []),
    ],
    ids=["review-hold", "approval-with-hold", "review-cancel", "empty-review-body"],
)
async def test_review_body(
    store: JobStore, state: str, body: str, labels: list[str], writes: list[tuple[Any, ...]]
) -> None:
    gh = FakeGitHub(labels=list(labels))
    ctx = plugin_context(store, gh, "pull_request_review")
    await HOLD.for_event("pull_request_review")(ctx, review(state, body))
    assert gh.calls == writes


@pytest.mark.parametrize(
    ("fixture", "body", "writes"),
    [
        ("pull_request.opened.json", "WIP\n/hold", [("add_labels", 2, (HOLD_LABEL,))]),
        ("pull_request.opened.json", "just a fix", []),
        ("pull_request.synchronize.json", "/hold", []),
    ],
    ids=["opened-body-holds", "opened-no-command", "synchronize-ignored"],
)
async def test_pull_request_body(
    store: JobStore, fixture: str, body: str, writes: list[tuple[Any, ...]]
) -> None:
    data = payload(fixture)
    data["pull_request"]["body"] = body
    gh = FakeGitHub()
    ctx = plugin_context(store, gh, "pull_request")
    await HOLD.for_event("pull_request")(ctx, parsed("pull_request", data))
    assert gh.calls == writes


def test_plugin_value() -> None:
    assert HOLD.name == "hold"
    assert set(HOLD.handlers) == {"generic_comment"}
    assert "/hold cancel" in HELP
    assert HOLD_LABEL in HELP


async def test_dispatched_through_registry(store: JobStore) -> None:
    handlers = Registry([HOLD]).handlers_for("issue_comment", ORG, REPO, plugin_config())
    [(name, handler)] = handlers
    gh = FakeGitHub()
    await handler(plugin_context(store, gh, "issue_comment"), pr_comment("/hold"))
    assert name == "hold"
    assert gh.labels == [HOLD_LABEL]


async def test_needs_a_github_client(store: JobStore) -> None:
    with pytest.raises(TypeError, match="GitHub client"):
        await HOLD.for_event("issue_comment")(
            plugin_context(store, object(), "issue_comment"), pr_comment("/hold")
        )

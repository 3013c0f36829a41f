"""The help plugin (Prow's pkg/plugins/help): which command changes which label,
the guidelines comment, pruning the bot's own comments, the events it ignores,
and the plugin value run through hook's registry and `PluginContext`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from misc_plugin_helpers import (
    BOT,
    ORG,
    REPO,
    FakeGitHub,
    comment_by,
    comment_payload,
    parsed,
    payload,
    plugin_config,
    plugin_context,
)

from minprow.github.client import GitHubClient
from minprow.hook.plugins.generic import format_response, from_issue_comment
from minprow.hook.plugins.generic import from_issue_opened as from_issue
from minprow.hook.plugins.help import (
    GOOD_FIRST_ISSUE_LABEL,
    GOOD_FIRST_ISSUE_MARK,
    HELP,
    HELP_LABEL,
    HELP_MARK,
    Guidelines,
    HelpGitHub,
    handle,
)
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore, open_store

LOG = logging.getLogger("test.help")
HW, GFI = HELP_LABEL, GOOD_FIRST_ISSUE_LABEL


def _real_client_fits(client: GitHubClient) -> HelpGitHub:
    return client  # mypy checks that the real client satisfies the Protocol


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as s:
        yield s


@pytest.mark.parametrize(
    ("body", "labels", "changes", "commented"),
    [
        ("/help", [], [("add_labels", 1, (HW,))], HELP_MARK),
        ("/help", [HW], [], None),
        ("/HELP  ", ["bug"], [("add_labels", 1, (HW,))], HELP_MARK),
        ("please /help", [], [], None),
        ("/help me", [], [], None),
        ("/remove-help", [HW], [("remove_label", 1, HW)], None),
        ("/remove-help", [], [], None),
        ("/remove-help", [HW, GFI], [("remove_label", 1, HW), ("remove_label", 1, GFI)], None),
        (
            "/good-first-issue",
            [],
            [("add_labels", 1, (GFI,)), ("add_labels", 1, (HW,))],
            GOOD_FIRST_ISSUE_MARK,
        ),
        ("/good-first-issue", [HW], [("add_labels", 1, (GFI,))], GOOD_FIRST_ISSUE_MARK),
        ("/good-first-issue", [GFI, HW], [], None),
        ("/remove-good-first-issue", [GFI, HW], [("remove_label", 1, GFI)], None),
        ("/remove-good-first-issue", [HW], [], None),
        (
            "thanks!\n/good-first-issue\n/help",
            [],
            [("add_labels", 1, (GFI,)), ("add_labels", 1, (HW,))],
            GOOD_FIRST_ISSUE_MARK,
        ),
        ("/help wanted", [], [], None),
        ("Help Wanted", [], [], None),
    ],
    ids=[
        "help-adds",
        "help-already-there",
        "help-case-and-spaces",
        "help-not-at-line-start",
        "help-with-trailing-words",
        "remove-help",
        "remove-help-absent",
        "remove-help-takes-gfi-too",
        "gfi-adds-both",
        "gfi-keeps-help",
        "gfi-already-there",
        "remove-gfi-only",
        "remove-gfi-absent",
        "gfi-wins-over-help",
        "not-a-command",
        "label-name-is-not-a-command",
    ],
)
async def test_commands(
    body: str, labels: list[str], changes: list[tuple[Any, ...]], commented: str | None
) -> None:
    gh = FakeGitHub(labels=list(labels))
    await handle(
        gh, LOG, from_issue_comment(parsed("issue_comment", comment_payload(body))), Guidelines()
    )
    assert gh.changes() == changes
    if commented is None:
        assert gh.comments() == []
    else:
        [comment] = gh.comments()
        assert commented in comment


@pytest.mark.parametrize(
    ("data", "event_type"),
    [
        (comment_payload("/help", pr=True), "issue_comment"),
        (comment_payload("/help", state="closed"), "issue_comment"),
        ({**comment_payload("/help"), "action": "edited"}, "issue_comment"),
        ({**comment_payload("/help"), "action": "deleted"}, "issue_comment"),
        (
            {
                **payload("issues.edited.json"),
                "issue": {**payload("issues.edited.json")["issue"], "body": "/help"},
            },
            "issues",
        ),
    ],
    ids=["on-a-pull-request", "closed-issue", "edited-comment", "deleted-comment", "issue-edited"],
)
async def test_ignored(data: dict[str, Any], event_type: str) -> None:
    gh = FakeGitHub()
    comment = (
        from_issue_comment(parsed("issue_comment", data))
        if event_type == "issue_comment"
        else from_issue(data)
    )
    await handle(gh, LOG, comment, Guidelines())
    assert gh.calls == []


async def test_opened_issue_body() -> None:
    data = payload("issues.opened.json")
    data["issue"]["body"] = "Crashes on start.\n/good-first-issue"
    gh = FakeGitHub()
    c = from_issue(data)
    await handle(gh, LOG, c, Guidelines())
    assert (c.action, c.author, c.number) == ("created", "Codertocat", 1)
    assert gh.changes() == [("add_labels", 1, (GFI,)), ("add_labels", 1, (HW,))]
    assert gh.comments()[0].startswith("@Codertocat: " + GOOD_FIRST_ISSUE_MARK)


def test_response_format() -> None:
    body = format_response("/help\nplease", "https://github.com/o/r/issues/1", "alice", "Done.")
    assert body == (
        "@alice: Done.\n\n<details>\n\nIn response to [this](https://github.com/o/r/issues/1):"
        "\n\n>/help\n>please\n</details>"
    )


@pytest.mark.parametrize(
    ("section", "help_has", "gfi_has"),
    [
        (
            None,
            [
                "[here](https://git.k8s.io/community/contributors/guide/help-wanted.md)",
                "`/remove-help`",
            ],
            ["help-wanted.md#good-first-issue)", "`/remove-good-first-issue`"],
        ),
        (
            {"help_guidelines_url": "https://example.com/g.md"},
            ["[here](https://example.com/g.md)"],
            ["[here](https://example.com/g.md#good-first-issue)"],
        ),
        (
            {"help_guidelines_summary": "- be clear\n- be small"},
            ["### Guidelines\n- be clear\n- be small"],
            ["### Guidelines\n- be clear"],
        ),
    ],
    ids=["defaults", "url", "summary"],
)
def test_guidelines(section: Any, help_has: list[str], gfi_has: list[str]) -> None:
    g = Guidelines.from_section(section)
    assert g.help_message().startswith(HELP_MARK)
    assert g.good_first_issue_message().startswith(GOOD_FIRST_ISSUE_MARK)
    assert all(s in g.help_message() for s in help_has)
    assert all(s in g.good_first_issue_message() for s in gfi_has)


@pytest.mark.parametrize(
    ("body", "labels", "deleted"),
    [
        ("/remove-help", [HW], [10]),
        ("/remove-help", [HW, GFI], [10, 11]),
        ("/remove-good-first-issue", [HW, GFI], [11]),
    ],
    ids=["help-comment", "both-comments", "gfi-comment"],
)
async def test_prunes_own_comments(body: str, labels: list[str], deleted: list[int]) -> None:
    gh = FakeGitHub(
        labels=list(labels),
        existing=[
            comment_by(BOT, 10, f"@alice: {HELP_MARK}\n..."),
            comment_by(f"{BOT}[bot]", 11, f"@alice: {GOOD_FIRST_ISSUE_MARK}\n..."),
            comment_by("alice", 12, f"quoting: {HELP_MARK} {GOOD_FIRST_ISSUE_MARK}"),
            comment_by(BOT, 13, "an unrelated bot comment"),
        ],
    )
    await handle(
        gh, LOG, from_issue_comment(parsed("issue_comment", comment_payload(body))), Guidelines()
    )
    assert [c[1] for c in gh.calls if c[0] == "delete_comment"] == deleted


@pytest.mark.parametrize(
    ("failing", "labels", "body", "changes"),
    [
        ({"list_issue_labels"}, [HW], "/help", [("add_labels", 1, (HW,))]),
        ({"create_comment"}, [], "/help", [("add_labels", 1, (HW,))]),
        ({"add_labels"}, [], "/help", []),
        ({"remove_label"}, [HW, GFI], "/remove-help", []),
        ({"get_user", "list_issue_comments"}, [HW], "/remove-help", [("remove_label", 1, HW)]),
    ],
    ids=["labels-unreadable", "comment-fails", "add-fails", "remove-fails", "prune-fails"],
)
async def test_github_errors_are_survived(
    failing: set[str], labels: list[str], body: str, changes: list[tuple[Any, ...]]
) -> None:
    gh = FakeGitHub(labels=list(labels), failing=failing)
    await handle(
        gh, LOG, from_issue_comment(parsed("issue_comment", comment_payload(body))), Guidelines()
    )
    assert gh.changes() == changes


def test_plugin_value() -> None:
    assert HELP.name == "help"
    assert set(HELP.handlers) == {"generic_comment"}
    assert "/good-first-issue" in HELP.help


async def test_dispatched_through_registry(store: JobStore, tmp_path: Path) -> None:
    config = plugin_config(
        tmp_path, ["help"], "help:\n  help_guidelines_url: https://example.com/help.md\n"
    )
    [(name, handler)] = Registry([HELP]).handlers_for("issue_comment", ORG, REPO, config.plugins)
    gh = FakeGitHub(labels=["bug"])
    ctx = plugin_context(store, gh, "issue_comment", config)
    await handler(ctx, parsed("issue_comment", comment_payload("/help")))
    assert name == "help"
    assert gh.changes() == [("add_labels", 1, (HW,))]
    [comment] = gh.comments()
    assert comment.startswith(f"@Codertocat: {HELP_MARK}")
    assert "[here](https://example.com/help.md)" in comment
    assert "In response to [this](https://github.com/Codertocat/Hello-World/issues/1)" in comment
    assert "\n>/help\n</details>" in comment


async def test_needs_a_github_client(store: JobStore, tmp_path: Path) -> None:
    ctx = plugin_context(store, object(), "issue_comment", plugin_config(tmp_path, ["help"]))
    with pytest.raises(TypeError, match="GitHub client"):
        await HELP.for_event("issue_comment")(
            ctx, parsed("issue_comment", comment_payload("/help"))
        )

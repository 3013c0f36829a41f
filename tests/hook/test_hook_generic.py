"""The generic comment adapters over real webhook payloads, parsed and as plain
mappings: which fields each event fills, and which events carry no comment."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from minprow.github.events import parse_event
from minprow.hook.plugins.generic import GenericComment, format_response, generic_comment

WEBHOOKS = Path(__file__).resolve().parents[2] / "fixtures" / "github" / "webhooks"
HELLO = "https://github.com/Codertocat/Hello-World"
ISSUE_BODY = "It looks like you accidently spelled 'commit' with two 't's."
PR_BODY = "This is a pretty simple change that we need to pull into master."


def _event(name: str, as_model: bool) -> Any:
    raw = (WEBHOOKS / name).read_bytes()
    return parse_event(name.split(".")[0], raw) if as_model else json.loads(raw)


def _comment(action: str, number: int, **fields: Any) -> GenericComment:
    common: dict[str, Any] = {
        "org": "Codertocat",
        "repo": "Hello-World",
        "issue_state": "open",
        "issue_author": "Codertocat",
        "author": "Codertocat",
    }
    return GenericComment(action=action, number=number, **{**common, **fields})


def _issue_comment(action: str, when: str) -> GenericComment:
    return _comment(
        action,
        1,
        is_pr=False,
        body=f"You are totally right! I'll get this fixed {when}.",
        html_url=f"{HELLO}/issues/1#issuecomment-492700400",
        issue_html_url=f"{HELLO}/issues/1",
        comment_id=492700400,
    )


def _review(action: str, pr_url: str = f"{HELLO}/pull/2") -> GenericComment:
    return _comment(
        action,
        2,
        is_pr=True,
        body="",
        html_url=f"{HELLO}/pull/2#pullrequestreview-237895671",
        issue_html_url=pr_url,
        comment_id=None,  # a review is no comment (Prow sets no CommentID)
    )


def _review_comment(action: str) -> GenericComment:
    return _comment(
        action,
        2,
        is_pr=True,
        body=REVIEW_COMMENT_BODY,
        html_url=f"{HELLO}/pull/2#discussion_r284312630",
        issue_html_url=f"{HELLO}/pull/2",
        comment_id=284312630,
    )


REVIEW_COMMENT_BODY = "Maybe you should use more emoji on this line."
CASES = [
    ("issue_comment.created.json", _issue_comment("created", "right away")),
    ("issue_comment.edited.json", _issue_comment("edited", "today")),
    ("issue_comment.deleted.json", _issue_comment("deleted", "today")),
    ("pull_request_review.submitted.json", _review("created")),
    (
        "pull_request_review.dismissed.json",
        _review("deleted", "https://github.com/hellomouse/GNS/pull/902"),
    ),
    ("pull_request_review_comment.created.json", _review_comment("created")),
    ("pull_request_review_comment.edited.json", _review_comment("edited")),
    ("pull_request_review_comment.deleted.json", _review_comment("deleted")),
    (
        "issues.opened.json",
        _comment(
            "created",
            1,
            is_pr=False,
            body=ISSUE_BODY,
            html_url=f"{HELLO}/issues/1",
            issue_html_url=f"{HELLO}/issues/1",
        ),
    ),
    (
        "pull_request.opened.json",
        _comment(
            "created",
            2,
            is_pr=True,
            body=PR_BODY,
            html_url=f"{HELLO}/pull/2",
            issue_html_url=f"{HELLO}/pull/2",
        ),
    ),
]


@pytest.mark.parametrize("as_model", [True, False], ids=["model", "mapping"])
@pytest.mark.parametrize(("name", "want"), CASES, ids=[name for name, _ in CASES])
def test_generic_comment(name: str, want: GenericComment, as_model: bool) -> None:
    event = _event(name, as_model)
    # Who is assigned, and how the authors are associated, as each payload has it.
    data = json.loads((WEBHOOKS / name).read_bytes())
    issue = data.get("issue") or data["pull_request"]
    text = data.get("comment") or data.get("review") or issue
    assignees = tuple(a["login"] for a in issue.get("assignees") or [])
    assert generic_comment(name.split(".")[0], event) == replace(
        want,
        assignees=assignees,
        author_association=text.get("author_association", ""),
        issue_author_association=issue.get("author_association", ""),
    )


NO_COMMENT = [
    "issues.labeled.json",
    "pull_request.synchronize.json",
    "pull_request.closed.json",
    "push.event.json",
    "ping.event.json",
]


@pytest.mark.parametrize("name", NO_COMMENT)
def test_no_generic_comment(name: str) -> None:
    assert generic_comment(name.split(".")[0], _event(name, as_model=False)) is None


def test_format_response_quotes_each_line() -> None:
    got = format_response("/meow\nplease", "https://x/1", "alice", "Here.")
    assert got == (
        "@alice: Here.\n\n<details>\n\nIn response to [this](https://x/1):\n\n"
        ">/meow\n>please\n</details>"
    )

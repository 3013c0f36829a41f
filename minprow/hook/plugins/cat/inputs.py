"""What the cat plugin reads of an event: Prow's `GenericCommentEvent`, narrowed.

Corresponds to pkg/hook/events.go, which hands generic comment handlers every
new text a user writes: an issue or PR comment (`created`), the body of an
opened issue or pull request (`opened`), and a submitted review's body
(`submitted`); all three count as created. The adapters read parsed models or
plain mappings alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CREATED = "created"


@dataclass(frozen=True)
class GenericComment:
    """A new text on an issue or pull request, as the cat plugin sees it."""

    action: str
    """Prow's generic action; only "created" is acted on."""
    org: str
    repo: str
    number: int
    author: str
    body: str
    html_url: str
    """The comment's own page (the reply links back to it)."""


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if obj is None:
            return default
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return default if obj is None else obj


def _comment(event: Any, action: str, number: Any, text: Any) -> GenericComment:
    return GenericComment(
        action=action,
        org=str(_get(event, "repository", "owner", "login", default="")),
        repo=str(_get(event, "repository", "name", default="")),
        number=int(number or 0),
        author=str(_get(text, "user", "login", default="")),
        body=str(_get(text, "body", default="")),
        html_url=str(_get(text, "html_url", default="")),
    )


def _action(event: Any, created_as: str) -> str:
    action = str(_get(event, "action", default=""))
    return CREATED if action == created_as else action


def from_issue_comment(event: Any) -> GenericComment:
    """An `issue_comment` webhook (on an issue or a pull request)."""
    comment = _get(event, "comment")
    return _comment(event, _action(event, CREATED), _get(event, "issue", "number"), comment)


def from_issue(event: Any) -> GenericComment:
    """An `issues` webhook: an opened issue's body."""
    issue = _get(event, "issue")
    return _comment(event, _action(event, "opened"), _get(issue, "number"), issue)


def from_pull_request(event: Any) -> GenericComment:
    """A `pull_request` webhook: an opened pull request's body."""
    pull = _get(event, "pull_request")
    return _comment(event, _action(event, "opened"), _get(pull, "number"), pull)


def from_review(event: Any) -> GenericComment:
    """A `pull_request_review` webhook: a submitted review's body."""
    review = _get(event, "review")
    number = _get(event, "pull_request", "number")
    return _comment(event, _action(event, "submitted"), number, review)

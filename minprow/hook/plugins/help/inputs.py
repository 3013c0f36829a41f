"""What the help plugin reads of an event: Prow's `GenericCommentEvent`, narrowed.

Corresponds to pkg/hook/events.go, which hands a generic comment handler each
new issue comment (`created`) and the body of each opened issue (`opened`
becomes `created`). The adapters read parsed models or plain mappings alike, so
an `issues` event works whether hook parses it into a model or not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CREATED = "created"

_ISSUE_ACTIONS = {"opened": CREATED, "edited": "edited", "deleted": "deleted"}


@dataclass(frozen=True)
class GenericComment:
    """A comment or issue body as the help plugin sees it."""

    action: str
    """Prow's generic action: "created", "edited" or "deleted"."""
    org: str
    repo: str
    number: int
    is_pr: bool
    issue_state: str
    author: str
    body: str
    issue_html_url: str


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if obj is None:
            return default
        obj = obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)
    return default if obj is None else obj


def _common(event: Any, action: str, body: Any, author: Any) -> GenericComment:
    return GenericComment(
        action=action,
        org=str(_get(event, "repository", "owner", "login", default="")),
        repo=str(_get(event, "repository", "name", default="")),
        number=int(_get(event, "issue", "number", default=0)),
        is_pr=_get(event, "issue", "pull_request") is not None,
        issue_state=str(_get(event, "issue", "state", default="")),
        author=str(author or ""),
        body=str(body or ""),
        issue_html_url=str(_get(event, "issue", "html_url", default="")),
    )


def from_issue_comment(event: Any) -> GenericComment:
    """An `issue_comment` webhook: the comment's body and author."""
    return _common(
        event,
        str(_get(event, "action", default="")),
        _get(event, "comment", "body"),
        _get(event, "comment", "user", "login"),
    )


def from_issue(event: Any) -> GenericComment:
    """An `issues` webhook: the issue's body and author; `opened` is a new comment,
    actions without a generic meaning keep their name (and are ignored)."""
    action = str(_get(event, "action", default=""))
    return _common(
        event,
        _ISSUE_ACTIONS.get(action, action),
        _get(event, "issue", "body"),
        _get(event, "issue", "user", "login"),
    )

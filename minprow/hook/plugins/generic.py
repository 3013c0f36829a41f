"""Comment-like webhook events as one `GenericComment`: Prow's `GenericCommentEvent`.

Corresponds to `GenericCommentEvent` and `GeneralizeComment` of Prow's
pkg/github/types.go and helpers.go, which the handlers of pkg/hook/events.go
call: an issue or PR comment, a review's body, a review comment on the diff,
and the body of an issue or pull request opened or edited all become one
generic comment whose action is "created", "edited" or "deleted". Hook builds
it once per delivery (`generic_comment`) and hands it to every enabled
plugin's `generic_comment` handler: trigger, hold, label, lgtm, help and cat
react to what people write through it alone. The adapters read parsed models and plain mappings alike; the
replies quote the comment with `format_response` (Prow's pkg/plugins/respond.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CREATED = "created"
EDITED = "edited"
DELETED = "deleted"

_ACTIONS = {
    "created": CREATED,
    "opened": CREATED,
    "submitted": CREATED,
    "edited": EDITED,
    "deleted": DELETED,
    "dismissed": DELETED,
}
"""Prow's `GeneralizeCommentAction` (pkg/github/types.go): webhook actions to generic
comment actions."""


@dataclass(frozen=True)
class GenericComment:
    """A comment, review body or opened issue/PR body (Prow's `GenericCommentEvent`)."""

    action: str
    """"created", "edited" or "deleted"; an action without a generic meaning keeps
    its webhook name (and no plugin acts on it)."""
    org: str
    repo: str
    number: int
    is_pr: bool
    issue_state: str
    issue_author: str
    author: str
    """Who wrote the text (Prow's `User`)."""
    body: str
    html_url: str = ""
    """The text's own page (a reply links back to it)."""
    issue_html_url: str = ""
    comment_id: int | None = None
    assignees: tuple[str, ...] = ()
    """The logins assigned to the issue or pull request."""
    author_association: str = ""
    """The payload's `author_association` of `author` (OWNER, MEMBER, NONE, ...)."""
    issue_author_association: str = ""
    """The payload's `author_association` of `issue_author`."""


_MISSING = object()


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    """`obj.a.b.c` or `obj["a"]["b"]["c"]`; `default` where a step is missing or None.

    Python keywords such as `from` are stored on models as `from_`."""
    for name in path:
        if obj is None:
            return default
        if isinstance(obj, Mapping):
            obj = obj.get(name)
        else:
            # The keyword spelling only when the plain one is missing: a failed
            # attribute lookup on a pydantic model is costly, and this runs per delivery.
            found = getattr(obj, name, _MISSING)
            obj = getattr(obj, name + "_", None) if found is _MISSING else found
    return default if obj is None else obj


def _action(event: Any) -> str:
    action = str(_get(event, "action", default=""))
    return _ACTIONS.get(action, action)


def _text(event: Any, issue: Any, text: Any, *, is_pr: bool, own: bool = True) -> GenericComment:
    """The comment of `text` (a comment, review, issue or PR) on `issue` (an issue or
    PR); `own` is False where the text is the issue's own body (no comment id)."""
    text_id = _get(text, "id") if own else None
    return GenericComment(
        action=_action(event),
        org=str(_get(event, "repository", "owner", "login", default="")),
        repo=str(_get(event, "repository", "name", default="")),
        number=int(_get(issue, "number", default=0)),
        is_pr=is_pr,
        issue_state=str(_get(issue, "state", default="")),
        issue_author=str(_get(issue, "user", "login", default="")),
        author=str(_get(text, "user", "login", default="")),
        body=str(_get(text, "body", default="")),
        html_url=str(_get(text, "html_url", default="")),
        issue_html_url=str(_get(issue, "html_url", default="")),
        comment_id=None if text_id is None else int(text_id),
        assignees=tuple(
            str(_get(user, "login", default="")) for user in _get(issue, "assignees", default=())
        ),
        author_association=str(_get(text, "author_association", default="")),
        issue_author_association=str(_get(issue, "author_association", default="")),
    )


def from_issue_comment(event: Any) -> GenericComment:
    """An `issue_comment` webhook (on an issue or a pull request)."""
    issue = _get(event, "issue")
    is_pr = _get(issue, "pull_request") is not None
    return _text(event, issue, _get(event, "comment"), is_pr=is_pr)


def from_review(event: Any) -> GenericComment:
    """A `pull_request_review` webhook: the review's body, by its reviewer (a review
    is no comment: no comment id, as in Prow)."""
    return _text(event, _get(event, "pull_request"), _get(event, "review"), is_pr=True, own=False)


def from_review_comment(event: Any) -> GenericComment:
    """A `pull_request_review_comment` webhook: a comment on the diff, by its author."""
    return _text(event, _get(event, "pull_request"), _get(event, "comment"), is_pr=True)


def from_issue_opened(event: Any) -> GenericComment:
    """An `issues` webhook: the issue's body, by its author (`opened` is created,
    `edited` edited; other actions carry no comment)."""
    issue = _get(event, "issue")
    is_pr = _get(issue, "pull_request") is not None
    return _text(event, issue, issue, is_pr=is_pr, own=False)


def from_pull_request_opened(event: Any) -> GenericComment:
    """A `pull_request` webhook: the PR's body, by its author (`opened` is created,
    `edited` edited; other actions carry no comment)."""
    pull = _get(event, "pull_request")
    return _text(event, pull, pull, is_pr=True, own=False)


def created_on_pr(
    org: str,
    repo: str,
    number: int,
    *,
    author: str,
    body: str,
    html_url: str,
    issue_author: str | None = None,
    assignees: tuple[str, ...] = (),
) -> GenericComment:
    """A created comment by `author` on an open pull request: an opened PR's body
    (by default the PR's author is `author`), or a review turned into a comment."""
    return GenericComment(
        action=CREATED,
        org=org,
        repo=repo,
        number=number,
        is_pr=True,
        issue_state="open",
        issue_author=author if issue_author is None else issue_author,
        author=author,
        body=body,
        html_url=html_url,
        assignees=assignees,
    )


GENERIC_COMMENT = "generic_comment"
"""The handler key of plugins that act on generic comments (Prow's
`GenericCommentHandler`): hook calls it with a `GenericComment`."""

_ADAPTERS = {
    "issue_comment": from_issue_comment,
    "pull_request_review": from_review,
    "pull_request_review_comment": from_review_comment,
    "pull_request": from_pull_request_opened,
    "issues": from_issue_opened,
}


COMMENT_SOURCES = frozenset(_ADAPTERS)
"""The webhook event types a generic comment is built from."""


def generic_comment(event_type: str, event: Any) -> GenericComment | None:
    """The generic comment of a webhook, as Prow's hook builds it; None for an event
    type or action that carries none (a PR synchronized, an issue labeled)."""
    adapt = _ADAPTERS.get(event_type)
    if adapt is None:
        return None
    comment = adapt(event)
    return comment if comment.action in (CREATED, EDITED, DELETED) else None


def format_response(body: str, url: str, login: str, reply: str) -> str:
    """Prow's `FormatResponseRaw`: a reply to `login`'s `body` (at `url`), quoting it."""
    quoted = "\n".join(">" + line for line in body.split("\n"))
    return (
        f"@{login}: {reply}\n\n<details>\n\nIn response to [this]({url}):\n\n{quoted}\n</details>"
    )

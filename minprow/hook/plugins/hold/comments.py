"""Comment-like events as one `Comment`: Prow's `GenericCommentEvent`.

Prow's hook turns issue comments, review bodies and a newly opened pull
request's body into one generic comment event (pkg/hook/events.go); the hold
plugin reacts to all three. Issue comments and PR bodies reuse the trigger's
adapters; a submitted review becomes a created comment by its reviewer.
"""

from __future__ import annotations

from typing import Any

from minprow.hook.plugins.trigger.inputs import (
    Comment,
    comment_event,
    pr_body_comment,
    pull_request_event,
)

_REVIEW_ACTIONS = {"submitted": "created", "edited": "edited", "dismissed": "deleted"}
"""Prow's mapping of review actions to generic comment actions."""


def review_comment(event: Any) -> Comment:
    """A `Comment` from a parsed `pull_request_review` webhook (its body)."""
    pr = event.pull_request
    return Comment(
        action=_REVIEW_ACTIONS.get(event.action, event.action),
        org=event.repository.owner.login,
        repo=event.repository.name,
        number=pr.number,
        is_pr=True,
        issue_state=pr.state,
        issue_author=pr.user.login,
        author=event.review.user.login,
        body=event.review.body or "",
        html_url=event.review.html_url,
        comment_id=event.review.id,
    )


def opened_body_comment(event: Any) -> Comment | None:
    """The body of a newly opened pull request as a created comment; None for
    any other `pull_request` action."""
    action = pull_request_event(event)
    if action.action != "opened":
        return None
    return pr_body_comment(action)


__all__ = ["Comment", "comment_event", "opened_body_comment", "review_comment"]

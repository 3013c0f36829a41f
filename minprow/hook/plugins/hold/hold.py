"""What `/hold` and `/hold cancel` do to a pull request's labels.

Corresponds to `handle` of Prow's pkg/plugins/hold/hold.go: on a newly created
comment on a pull request, `/hold` (with anything after it on the line) asks
for the `do-not-merge/hold` label, and `/hold cancel`, `/unhold` or
`/remove-hold` ask for it gone; cancelling wins when a comment says both. Only
the difference is written; hold never replies.
"""

from __future__ import annotations

import logging

from minprow.config.goregex import compile_regex
from minprow.hook.plugins.generic import GenericComment
from minprow.hook.plugins.hold.client import HoldGitHub

HOLD_LABEL = "do-not-merge/hold"
"""Prow's `labels.Hold`."""

HOLD_RE = compile_regex(r"(?mi)^/hold(\s.*)?$")
CANCEL_RE = compile_regex(r"(?mi)^/(remove-hold|hold\s+cancel|unhold)(\s.*)?$")
"""A cancel may carry its reason, as a hold may (kubernetes-sigs/prow#456)."""

_log = logging.getLogger(__name__)


def wants_hold(body: str) -> bool | None:
    """True for a hold, False for a cancel, None when the body asks neither."""
    if CANCEL_RE.search(body):
        return False
    if HOLD_RE.search(body):
        return True
    return None


async def handle_hold(
    github: HoldGitHub, comment: GenericComment, log: logging.Logger = _log
) -> None:
    """Add or remove the hold label as `comment` asks."""
    if not comment.is_pr or comment.action != "created":
        return
    want = wants_hold(comment.body)
    if want is None:
        return
    org, repo, number = comment.org, comment.repo, comment.number
    labels = await github.list_issue_labels(org, repo, number)
    has = any(label.name.lower() == HOLD_LABEL for label in labels)
    if has and not want:
        log.info("removing %s from %s/%s#%d", HOLD_LABEL, org, repo, number)
        await github.remove_label(org, repo, number, HOLD_LABEL)
    elif want and not has:
        log.info("adding %s to %s/%s#%d", HOLD_LABEL, org, repo, number)
        await github.add_labels(org, repo, number, [HOLD_LABEL])

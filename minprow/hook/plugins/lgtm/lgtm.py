"""What `/lgtm`, `/lgtm cancel`, approving reviews and new commits do to `lgtm`.

Corresponds to `handleGenericComment`, `handlePullRequestReview`, `handle` and
`handlePullRequest` of Prow's pkg/plugins/lgtm/lgtm.go:

- a new comment on an open pull request saying `/lgtm` (or `/lgtm no-issue`)
  asks for the label, `/lgtm cancel` or `/remove-lgtm` for its removal;
- with `review_acts_as_lgtm`, a submitted review by a person (not a bot) that
  approves asks for it and one requesting changes for its removal, unless its
  body holds an lgtm command (the comment path handles that);
- the author cannot lgtm their own pull request but may cancel; anyone else
  must be a collaborator; both are answered with a reply;
- adding the label deletes the bot's earlier "label removed" notices; a push
  (`synchronize`) to an unmerged pull request removes the label and says so.

Left out, as minprow's client lacks the calls: assigning the reviewer (Prow
only logs when that fails), `store_tree_hash` (commit tree lookups: the label is
always removed on a push, Prow's default), `sticky_lgtm_team` (team listings),
and OWNERS-based `skip_collaborators`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from minprow.config.goregex import compile_regex
from minprow.hook.plugins.generic import GenericComment, created_on_pr, format_response
from minprow.hook.plugins.lgtm.client import LgtmGitHub

LGTM_LABEL = "lgtm"
"""Prow's `labels.LGTM`."""

LGTM_RE = compile_regex(r"(?mi)^/lgtm(?: no-issue)?\s*$")
CANCEL_RE = compile_regex(r"(?mi)^/(remove-lgtm|lgtm cancel)\s*$")

REMOVED_NOTICE = "New commits were pushed, so the `lgtm` label was removed."
"""The bot's comment when a push removes the label; deleted when lgtm is given again."""
OWN_PR = "you cannot LGTM your own pull request."
NOT_COLLABORATOR = "only collaborators of this repository can change LGTM."

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Review:
    """A submitted-review event as lgtm needs it."""

    action: str
    state: str
    org: str
    repo: str
    number: int
    pr_author: str
    reviewer: str
    reviewer_is_bot: bool
    body: str
    html_url: str


def wants_lgtm(body: str) -> bool | None:
    """True for `/lgtm`, False for a cancel, None when the body asks neither."""
    if LGTM_RE.search(body):
        return True
    if CANCEL_RE.search(body):
        return False
    return None


async def _prune_notices(github: LgtmGitHub, org: str, repo: str, number: int) -> None:
    bot = (await github.get_user()).login
    for comment in await github.list_issue_comments(org, repo, number):
        if comment.user.login == bot and REMOVED_NOTICE in comment.body:
            await github.delete_comment(org, repo, comment.id)


async def set_lgtm(
    github: LgtmGitHub,
    want: bool,
    comment: GenericComment,
    log: logging.Logger = _log,
) -> None:
    """Prow's `handle`: check who asks, then add or remove the label.
    `comment` carries who asked (`author`), on what, and what to quote."""
    org, repo, number, user = comment.org, comment.repo, comment.number, comment.author

    async def reply(message: str) -> None:
        body = format_response(comment.body, comment.html_url, user, message)
        await github.create_comment(org, repo, number, body)

    is_author = user == comment.issue_author
    if is_author and want:
        await reply(OWN_PR)
        return
    if not is_author and not await github.is_collaborator(org, repo, user):
        await reply(NOT_COLLABORATOR)
        return
    labels = await github.list_issue_labels(org, repo, number)
    has = any(label.name.lower() == LGTM_LABEL for label in labels)
    if has and not want:
        log.info("removing %s from %s/%s#%d", LGTM_LABEL, org, repo, number)
        await github.remove_label(org, repo, number, LGTM_LABEL)
    elif want and not has:
        log.info("adding %s to %s/%s#%d", LGTM_LABEL, org, repo, number)
        await github.add_labels(org, repo, number, [LGTM_LABEL])
        await _prune_notices(github, org, repo, number)


async def handle_comment(
    github: LgtmGitHub, comment: GenericComment, log: logging.Logger = _log
) -> None:
    """A new comment on an open pull request."""
    if not comment.is_pr or comment.issue_state != "open" or comment.action != "created":
        return
    want = wants_lgtm(comment.body)
    if want is not None:
        await set_lgtm(github, want, comment, log)


async def handle_review(github: LgtmGitHub, review: Review, log: logging.Logger = _log) -> None:
    """A submitted review, when reviews act as lgtm (the caller checks the config)."""
    if review.action != "submitted" or review.reviewer_is_bot:
        return
    if wants_lgtm(review.body) is not None:
        return
    bot = (await github.get_user()).login
    if review.reviewer == bot:
        return
    state = review.state.upper()
    if state == "APPROVED":
        want = True
    elif state == "CHANGES_REQUESTED":
        want = False
    else:
        return
    comment = created_on_pr(
        review.org,
        review.repo,
        review.number,
        issue_author=review.pr_author,
        author=review.reviewer,
        body=review.body,
        html_url=review.html_url,
    )
    await set_lgtm(github, want, comment, log)


async def handle_push(
    github: LgtmGitHub, org: str, repo: str, number: int, log: logging.Logger = _log
) -> None:
    """New commits on an unmerged pull request: drop the label and say so."""
    labels = await github.list_issue_labels(org, repo, number)
    if not any(label.name.lower() == LGTM_LABEL for label in labels):
        return
    log.info("new commits: removing %s from %s/%s#%d", LGTM_LABEL, org, repo, number)
    await github.remove_label(org, repo, number, LGTM_LABEL)
    await github.create_comment(org, repo, number, REMOVED_NOTICE)

"""What `/lgtm`, `/lgtm cancel`, approving reviews and new commits do to `lgtm`.

Corresponds to `handleGenericComment`, `handlePullRequestReview`, `handle`,
`handlePullRequest` and `stickyLgtm` of Prow's pkg/plugins/lgtm/lgtm.go:

- a new comment on an open pull request saying `/lgtm` (or `/lgtm no-issue`)
  asks for the label, `/lgtm cancel` or `/remove-lgtm` for its removal;
- with `review_acts_as_lgtm`, a submitted review by a person (not a bot) that
  approves asks for it and one requesting changes for its removal, unless its
  body holds an lgtm command (the comment path handles that);
- the author cannot lgtm their own pull request but may cancel; anyone else
  must be a collaborator, and is assigned to the pull request when not already;
  a refusal is answered with a reply;
- adding the label deletes the bot's earlier "label removed" notices, unless the
  PR's author is in `sticky_lgtm_team`; with `store_tree_hash` it also records
  the head commit's git tree in a comment of the bot's;
- removing it, with `store_tree_hash`, asks the assignees to review again and
  deletes the recorded tree;
- a push (`synchronize`) to an unmerged pull request removes the label and says
  so, unless its author is in `sticky_lgtm_team`, or (`store_tree_hash`) the new
  head has the tree recorded when lgtm was given (a squash or a rebase of the
  same code).

Left out: OWNERS-based `skip_collaborators` (minprow reads no OWNERS files):
collaborators decide, as by default in Prow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from minprow.config.goregex import compile_regex
from minprow.config.plugins import Lgtm
from minprow.github.errors import GitHubError
from minprow.hook.plugins.generic import GenericComment, created_on_pr, format_response
from minprow.hook.plugins.lgtm.client import CommentLike, LgtmGitHub

LGTM_LABEL = "lgtm"
"""Prow's `labels.LGTM`."""

LGTM_RE = compile_regex(r"(?mi)^/lgtm(?: no-issue)?\s*$")
CANCEL_RE = compile_regex(r"(?mi)^/(remove-lgtm|lgtm cancel)\s*$")

REMOVED_NOTICE = "New commits were pushed, so the `lgtm` label was removed."
"""The bot's comment when a push removes the label; deleted when lgtm is given again."""
TREE_NOTE = "`lgtm` was given to the code of git tree {tree}."
"""The bot's record of the tree lgtm was given to (`store_tree_hash`)."""
_TREE_NOTE_RE = compile_regex(r"`lgtm` was given to the code of git tree (\S+)\.")
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
    assignees: tuple[str, ...] = ()


@dataclass(frozen=True)
class Push:
    """New commits on an unmerged pull request, as lgtm needs them."""

    org: str
    repo: str
    number: int
    author: str
    head_sha: str
    assignees: tuple[str, ...] = ()


def wants_lgtm(body: str) -> bool | None:
    """True for `/lgtm`, False for a cancel, None when the body asks neither."""
    if LGTM_RE.search(body):
        return True
    if CANCEL_RE.search(body):
        return False
    return None


def tree_of(note: str) -> str | None:
    """The tree a bot's lgtm record names, or None for any other comment."""
    found = _TREE_NOTE_RE.search(note)
    return found.group(1) if found else None


async def _prune(
    github: LgtmGitHub, org: str, repo: str, number: int, wanted: Callable[[str], object]
) -> None:
    """Delete the bot's own comments whose body is `wanted`."""
    bot = (await github.get_user()).login
    for comment in await github.list_issue_comments(org, repo, number):
        if comment.user.login == bot and wanted(comment.body):
            await github.delete_comment(org, repo, comment.id)


async def sticky(
    github: LgtmGitHub, config: Lgtm, author: str, org: str, log: logging.Logger
) -> bool:
    """Prow's `stickyLgtm`: the PR's author is in the org's `sticky_lgtm_team` (by name)."""
    if not config.sticky_lgtm_team:
        return False
    try:
        for team in await github.list_teams(org):
            if team.name == config.sticky_lgtm_team:
                return await github.team_has_member(org, team.slug, author)
    except GitHubError as err:
        log.error("checking team %s of %s for sticky lgtm: %s", config.sticky_lgtm_team, org, err)
        return False
    log.error("sticky_lgtm_team %r is not a team of %s", config.sticky_lgtm_team, org)
    return False


async def _remove(
    github: LgtmGitHub, org: str, repo: str, number: int, assignees: tuple[str, ...], config: Lgtm
) -> None:
    await github.remove_label(org, repo, number, LGTM_LABEL)
    if config.store_tree_hash and assignees:
        # The reviewers' lgtm no longer stands: ask them to look again.
        await github.request_review(org, repo, number, list(assignees))


async def set_lgtm(
    github: LgtmGitHub,
    want: bool,
    comment: GenericComment,
    config: Lgtm,
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
    if not is_author and user not in comment.assignees:
        # Whoever lgtms reviews: make them an assignee, as Prow does.
        try:
            await github.assign_issue(org, repo, number, [user])
        except GitHubError as err:
            log.error("assigning %s/%s#%d to %s: %s", org, repo, number, user, err)
    labels = await github.list_issue_labels(org, repo, number)
    has = any(label.name.lower() == LGTM_LABEL for label in labels)
    if has and not want:
        log.info("removing %s from %s/%s#%d", LGTM_LABEL, org, repo, number)
        await _remove(github, org, repo, number, comment.assignees, config)
        if config.store_tree_hash:
            await _prune(github, org, repo, number, tree_of)
    elif want and not has:
        log.info("adding %s to %s/%s#%d", LGTM_LABEL, org, repo, number)
        await github.add_labels(org, repo, number, [LGTM_LABEL])
        if not await sticky(github, config, comment.issue_author, org, log):
            if config.store_tree_hash:
                await _record_tree(github, org, repo, number, log)
            await _prune(github, org, repo, number, lambda body: REMOVED_NOTICE in body)


async def _record_tree(
    github: LgtmGitHub, org: str, repo: str, number: int, log: logging.Logger
) -> None:
    try:
        pull = await github.get_pull_request(org, repo, number)
        tree = await github.get_commit_tree(org, repo, pull.head.sha)
    except GitHubError as err:
        log.error("reading the tree of %s/%s#%d: %s", org, repo, number, err)
        return
    await github.create_comment(org, repo, number, TREE_NOTE.format(tree=tree))


async def handle_comment(
    github: LgtmGitHub, comment: GenericComment, config: Lgtm, log: logging.Logger = _log
) -> None:
    """A new comment on an open pull request."""
    if not comment.is_pr or comment.issue_state != "open" or comment.action != "created":
        return
    want = wants_lgtm(comment.body)
    if want is not None:
        await set_lgtm(github, want, comment, config, log)


async def handle_review(
    github: LgtmGitHub, review: Review, config: Lgtm, log: logging.Logger = _log
) -> None:
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
        assignees=review.assignees,
    )
    await set_lgtm(github, want, comment, config, log)


async def handle_push(
    github: LgtmGitHub, push: Push, config: Lgtm, log: logging.Logger = _log
) -> None:
    """New commits on an unmerged pull request: drop the label and say so, unless
    its author is sticky or the new head is the tree lgtm was given to."""
    org, repo, number = push.org, push.repo, push.number
    if await sticky(github, config, push.author, org, log):
        return
    labels = await github.list_issue_labels(org, repo, number)
    if not any(label.name.lower() == LGTM_LABEL for label in labels):
        return
    if config.store_tree_hash:
        recorded = await _recorded_tree(github, org, repo, number)
        if recorded is not None:
            try:
                tree = await github.get_commit_tree(org, repo, push.head_sha)
            except GitHubError as err:
                log.error("reading the tree of %s: %s", push.head_sha, err)
                tree = None
            if tree == recorded:
                log.info("%s/%s#%d: same tree %s, lgtm stays", org, repo, number, tree)
                return
    log.info("new commits: removing %s from %s/%s#%d", LGTM_LABEL, org, repo, number)
    await _remove(github, org, repo, number, push.assignees, config)
    await github.create_comment(org, repo, number, REMOVED_NOTICE)


async def _recorded_tree(github: LgtmGitHub, org: str, repo: str, number: int) -> str | None:
    """The tree of the bot's latest unedited lgtm record on the pull request."""
    bot = (await github.get_user()).login
    comments: list[CommentLike] = list(await github.list_issue_comments(org, repo, number))
    for comment in reversed(comments):
        tree = tree_of(comment.body)
        if comment.user.login == bot and tree and comment.updated_at == comment.created_at:
            return tree
    return None

"""The lgtm plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider` and the registered handlers of Prow's
pkg/plugins/lgtm/lgtm.go: generic comments (issue comments, review bodies, an
opened pull request's body), reviews (when `review_acts_as_lgtm`), and
`synchronize` pull request events.
"""

from __future__ import annotations

from typing import Any

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.lgtm.client import LgtmGitHub
from minprow.hook.plugins.lgtm.lgtm import (
    LGTM_LABEL,
    Push,
    Review,
    handle_comment,
    handle_push,
    handle_review,
)
from minprow.hook.plugins.registry import Plugin
from minprow.hook.plugins.trigger.inputs import pull_request_event

NAME = "lgtm"

HELP = f"""\
The lgtm plugin adds and removes the '{LGTM_LABEL}' (Looks Good To Me) label, which \
usually gates merging. The label is removed when new commits are pushed. \
With 'review_acts_as_lgtm' in plugins.yaml, an approving review adds it and a review \
requesting changes removes it.

Commands:
  /lgtm                     add the '{LGTM_LABEL}' label (collaborators, not the PR's author)
  /lgtm cancel, /remove-lgtm
                            remove it (collaborators and the PR's author)
"""


def _github(ctx: PluginContext) -> LgtmGitHub:
    github = ctx.github
    if not isinstance(github, LgtmGitHub):
        raise TypeError("the lgtm plugin needs a GitHub client (is_collaborator, add_labels, ...)")
    return github


async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
    config = ctx.config().plugins.lgtm_for(comment.org, comment.repo)
    await handle_comment(_github(ctx), comment, config, ctx.log.logger)


async def on_pull_request_review(ctx: PluginContext, event: Any) -> None:
    github = _github(ctx)
    org, repo = event.repository.owner.login, event.repository.name
    config = ctx.config().plugins.lgtm_for(org, repo)
    if not config.review_acts_as_lgtm:
        return
    review = Review(
        action=event.action,
        state=event.review.state,
        org=org,
        repo=repo,
        number=event.pull_request.number,
        pr_author=event.pull_request.user.login,
        reviewer=event.review.user.login,
        reviewer_is_bot=event.review.user.type == "Bot",
        body=event.review.body or "",
        html_url=event.review.html_url,
        assignees=tuple(user.login for user in event.pull_request.assignees),
    )
    await handle_review(github, review, config, ctx.log.logger)


async def on_pull_request(ctx: PluginContext, event: Any) -> None:
    action = pull_request_event(event)
    if action.action == "synchronize" and not event.pull_request.merged:
        pr = action.pull_request
        push = Push(
            org=pr.org,
            repo=pr.repo,
            number=pr.number,
            author=pr.author,
            head_sha=pr.head_sha,
            assignees=tuple(user.login for user in event.pull_request.assignees),
        )
        config = ctx.config().plugins.lgtm_for(pr.org, pr.repo)
        await handle_push(_github(ctx), push, config, ctx.log.logger)


LGTM = Plugin(
    name=NAME,
    help=HELP,
    handlers={
        GENERIC_COMMENT: on_generic_comment,
        "pull_request_review": on_pull_request_review,
        "pull_request": on_pull_request,
    },
)
"""The lgtm plugin, for hook's explicit tuple of plugins."""

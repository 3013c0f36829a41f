"""The hold plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider` and `handleGenericComment` of Prow's
pkg/plugins/hold/hold.go. Prow registers hold as a generic comment handler, so
it sees issue comments, review bodies and the body of an opened pull request;
here that is three handlers feeding one `handle_hold`.
"""

from __future__ import annotations

from typing import Any

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import (
    CREATED,
    GenericComment,
    from_issue_comment,
    from_pull_request_opened,
    from_review,
)
from minprow.hook.plugins.hold.client import HoldGitHub
from minprow.hook.plugins.hold.hold import HOLD_LABEL, handle_hold
from minprow.hook.plugins.registry import Plugin

NAME = "hold"

HELP = f"""\
The hold plugin lets anyone add or remove the '{HOLD_LABEL}' label on a pull request, \
to keep it from merging for a while without withdrawing approval.

Commands:
  /hold                          add the '{HOLD_LABEL}' label (anyone)
  /hold cancel, /unhold, /remove-hold
                                 remove the '{HOLD_LABEL}' label (anyone)
"""


def _github(ctx: PluginContext) -> HoldGitHub:
    github = ctx.github
    if not isinstance(github, HoldGitHub):
        raise TypeError(
            "the hold plugin needs a GitHub client (list_issue_labels, add_labels, ...)"
        )
    return github


async def _handle(ctx: PluginContext, comment: GenericComment) -> None:
    await handle_hold(_github(ctx), comment, ctx.log.logger)


async def on_issue_comment(ctx: PluginContext, event: Any) -> None:
    await _handle(ctx, from_issue_comment(event))


async def on_pull_request_review(ctx: PluginContext, event: Any) -> None:
    await _handle(ctx, from_review(event))


async def on_pull_request(ctx: PluginContext, event: Any) -> None:
    comment = from_pull_request_opened(event)
    if comment.action == CREATED:  # only an opened PR's body is a new comment
        await _handle(ctx, comment)


HOLD = Plugin(
    name=NAME,
    help=HELP,
    handlers={
        "issue_comment": on_issue_comment,
        "pull_request_review": on_pull_request_review,
        "pull_request": on_pull_request,
    },
)
"""The hold plugin, for hook's explicit tuple of plugins."""

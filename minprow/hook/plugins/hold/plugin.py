"""The hold plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider` and `handleGenericComment` of Prow's
pkg/plugins/hold/hold.go. Prow registers hold as a generic comment handler, so
it sees issue comments, review bodies and the body of an opened pull request;
here that is three handlers feeding one `handle_hold`.
"""

from __future__ import annotations

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
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


async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
    await handle_hold(_github(ctx), comment, ctx.log.logger)


HOLD = Plugin(
    name=NAME,
    help=HELP,
    handlers={GENERIC_COMMENT: on_generic_comment},
)
"""The hold plugin, for hook's explicit tuple of plugins."""

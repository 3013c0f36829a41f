"""The label plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider`, `handleGenericComment` and `handlePullRequest` of
Prow's pkg/plugins/label/label.go. Comments come from issue comments, review
bodies and an opened pull request's body (Prow's generic comment event); a
`synchronize` pull request event drops `remove_on_new_commits` labels.
"""

from __future__ import annotations

from typing import Any

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.label.client import LabelGitHub
from minprow.hook.plugins.label.commands import PREFIXES
from minprow.hook.plugins.label.label import (
    TRIAGE_ACCEPTED,
    handle_label,
    handle_label_added,
    handle_new_commits,
)
from minprow.hook.plugins.registry import Plugin
from minprow.hook.plugins.trigger.inputs import pull_request_event

NAME = "label"

_CATEGORIES = ", ".join(f"'{p}/*'" for p in PREFIXES)

HELP = f"""\
The label plugin adds and removes labels of these kinds: {_CATEGORIES}. \
More labels can be allowed for '/label' under 'label.additional_labels' in plugins.yaml. \
Restricted labels ('label.restricted_labels') can only be changed by their allowed \
users and teams; those marked 'remove_on_new_commits' are removed when commits are pushed.

Commands:
  /[remove-](area|committee|kind|language|priority|sig|triage|wg) <name>...
                          add or remove '<kind>/<name>' labels (anyone; \
'{TRIAGE_ACCEPTED}' org members only)
  /[remove-]label <label> add or remove a configured label (anyone; restricted \
labels: their allowed users and teams)
Examples: /kind bug, /remove-area prow, /sig testing, /label api-review
"""


def _github(ctx: PluginContext) -> LabelGitHub:
    github = ctx.github
    if not isinstance(github, LabelGitHub):
        raise TypeError("the label plugin needs a GitHub client (add_labels, create_comment, ...)")
    return github


async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
    config = ctx.config().plugins.label
    await handle_label(_github(ctx), config, comment, ctx.log.logger)


async def on_pull_request(ctx: PluginContext, event: Any) -> None:
    action = pull_request_event(event)
    config = ctx.config().plugins.label
    if action.action == "synchronize" and not event.pull_request.merged:
        await handle_new_commits(_github(ctx), config, action)
    elif action.action == "labeled":
        await handle_label_added(_github(ctx), config, action, ctx.log.logger)


LABEL = Plugin(
    name=NAME,
    help=HELP,
    handlers={
        GENERIC_COMMENT: on_generic_comment,
        "pull_request": on_pull_request,
    },
)
"""The label plugin, for hook's explicit tuple of plugins."""

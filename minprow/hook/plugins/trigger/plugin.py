"""The trigger plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider`, `handlePullRequest`, `handleGenericCommentEvent`
and `handlePush` of Prow's pkg/plugins/trigger/trigger.go. Each handler turns
hook's `PluginContext` and the parsed event into a `TriggerContext` and the
trigger's own input, then calls the pure-ish handler.
"""

from __future__ import annotations

from typing import Any

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.registry import Plugin
from minprow.hook.plugins.trigger.client import TriggerGitHub
from minprow.hook.plugins.trigger.comment import handle_comment
from minprow.hook.plugins.trigger.inputs import pull_request_event, push_event
from minprow.hook.plugins.trigger.pull_request import handle_pull_request
from minprow.hook.plugins.trigger.push import handle_push
from minprow.hook.plugins.trigger.run import TriggerContext

NAME = "trigger"

HELP = """\
The trigger plugin starts jobs in reaction to events.
Presubmits run automatically on trusted pull requests that are not drafts, when \
the changed files match the job's file filters and the base branch its branch filters.
A pull request is trusted when its author is a member of the repository's trusted \
organization, or when such a member has commented '/ok-to-test' on it.
Trigger does not start jobs for a draft automatically, and aborts pending jobs \
when a pull request becomes a draft or is closed.
A trusted user can still start jobs by hand with '/test'.
'/retest' reruns the jobs that reported failure.
Postsubmits start when commits are pushed, if the job's filters match the files \
and branch of the push.

Commands:
  /ok-to-test            mark a PR trusted and start its tests (trusted org members)
  /ok-to-test cancel     take that back: the PR needs '/ok-to-test' again (trusted users)
  /test [<job name>|all] start one job or all automatic ones (anyone, on a trusted PR)
  /test ?                list the jobs that can be started (anyone, on a trusted PR)
  /retest                rerun the jobs that failed (anyone, on a trusted PR)
  /retest-required       rerun the required jobs that failed (anyone, on a trusted PR)
  /test-manual-required  start the required jobs that only run when asked for
                         (anyone, on a trusted PR)
"""


async def trigger_context(ctx: PluginContext) -> TriggerContext:
    """The trigger's view of one delivery; `TypeError` if hook has no GitHub client
    that makes trigger's calls."""
    github = ctx.github
    if not isinstance(github, TriggerGitHub):
        raise TypeError("the trigger plugin needs a GitHub client (is_member, get_ref, ...)")
    bot = await github.get_user()
    return TriggerContext(
        github=github,
        store=ctx.store,
        config=ctx.config(),
        now=ctx.clock.now(),
        event_guid=ctx.event_guid,
        bot_login=bot.login,
        log=ctx.log.logger,
    )


async def on_pull_request(ctx: PluginContext, event: Any) -> None:
    await handle_pull_request(await trigger_context(ctx), pull_request_event(event))


async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
    await handle_comment(await trigger_context(ctx), comment)


async def on_push(ctx: PluginContext, event: Any) -> None:
    await handle_push(await trigger_context(ctx), push_event(event))


TRIGGER = Plugin(
    name=NAME,
    help=HELP,
    handlers={
        "pull_request": on_pull_request,
        GENERIC_COMMENT: on_generic_comment,
        "push": on_push,
    },
)
"""The trigger plugin, for hook's explicit tuple of plugins."""

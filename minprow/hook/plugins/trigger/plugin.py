"""The trigger plugin as hook registers it: name, help, handlers by event type.

Corresponds to `helpProvider`, `handlePullRequest`, `handleGenericCommentEvent`
and `handlePush` of Prow's pkg/plugins/trigger/trigger.go. Each handler turns
hook's `PluginContext` and the parsed event into a `TriggerContext` and the
trigger's own input, then calls the pure-ish handler. With no GitHub client
(no credentials), a `PayloadGitHub` built from the delivery answers trigger's
calls instead (offline.py), and what only GitHub could answer is logged as a
sentence.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.registry import Plugin
from minprow.hook.plugins.trigger.client import TriggerGitHub
from minprow.hook.plugins.trigger.comment import handle_comment
from minprow.hook.plugins.trigger.inputs import pull_request_event, push_event
from minprow.hook.plugins.trigger.offline import (
    Facts,
    LocalClones,
    PayloadGitHub,
    PayloadOnly,
    assumptions,
    comment_facts,
    pull_request_facts,
    push_facts,
)
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


async def trigger_context(ctx: PluginContext, github: TriggerGitHub) -> TriggerContext:
    """The trigger's view of one delivery, with `github` answering its calls."""
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


def client_of(ctx: PluginContext) -> TriggerGitHub | None:
    """Hook's GitHub client narrowed to trigger's calls; None when there are no
    credentials (the payload then answers); `TypeError` for a client that does not
    make trigger's calls."""
    github = ctx.github
    if github is None:
        return None
    if not isinstance(github, TriggerGitHub):
        raise TypeError("the trigger plugin needs a GitHub client (is_member, get_ref, ...)")
    return github


def trigger_plugin(local_repos: Mapping[str, Path] | None = None) -> Plugin:
    """The trigger plugin; with no GitHub client it answers from each delivery's
    payload, and reads changed files from `local_repos` ("org/repo" -> a clone)."""
    clones = LocalClones(local_repos)

    async def run(
        ctx: PluginContext,
        facts: Callable[[], Facts],
        handle: Callable[[TriggerContext], Awaitable[object]],
    ) -> None:
        github = client_of(ctx)
        if github is not None:
            await handle(await trigger_context(ctx, github))
            return
        offline = PayloadGitHub(facts(), clones, ctx.log)
        try:
            await handle(await trigger_context(ctx, offline))
        except PayloadOnly as err:
            ctx.log.info("%s", err)
        finally:
            offline.report()

    async def on_pull_request(ctx: PluginContext, event: Any) -> None:
        action = pull_request_event(event)
        await run(ctx, lambda: pull_request_facts(event), lambda t: handle_pull_request(t, action))

    async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
        await run(ctx, lambda: comment_facts(comment), lambda t: handle_comment(t, comment))

    async def on_push(ctx: PluginContext, event: Any) -> None:
        push = push_event(event)
        await run(ctx, lambda: push_facts(push.org, push.repo), lambda t: handle_push(t, push))

    return Plugin(
        name=NAME,
        help=HELP,
        handlers={
            "pull_request": on_pull_request,
            GENERIC_COMMENT: on_generic_comment,
            "push": on_push,
        },
        offline=assumptions(clones),
    )


TRIGGER = trigger_plugin()
"""The trigger plugin, for hook's explicit tuple of plugins (no local clones)."""

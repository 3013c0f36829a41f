"""trigger's `pull_request` handler.

Corresponds to `handlePR` and `buildAllIfTrusted` of Prow's
pkg/plugins/trigger/pull-request.go:

- opened: a trusted author's PR runs its jobs (a draft gets a note instead); an
  untrusted author gets a welcome comment and `needs-ok-to-test` (unless the PR
  already has `ok-to-test`, or `ignore_ok_to_test`). Commands in the PR's body
  reach trigger as hook's generic comment, as in Prow.
- reopened, ready_for_review, edited with a new base, synchronize: run the jobs
  if the PR is trusted (dropping `needs-ok-to-test`); synchronize first aborts
  the PR's unfinished jobs.
- labeled `ok-to-test` by someone other than the bot, or `lgtm` on an untrusted
  PR: run the jobs.
- closed, converted_to_draft: abort the PR's unfinished jobs.

Drafts never start jobs automatically. A repo without presubmits is left alone.
"""

from __future__ import annotations

from dataclasses import replace

from minprow.config import Trigger
from minprow.hook.plugins.trigger.inputs import PullRequestAction
from minprow.hook.plugins.trigger.invite import org_invitation
from minprow.hook.plugins.trigger.respond import DRAFT_MESSAGE, welcome_message
from minprow.hook.plugins.trigger.run import TriggerContext, abort_all_jobs, build_all
from minprow.hook.plugins.trigger.trust import (
    LGTM,
    NEEDS_OK_TO_TEST,
    OK_TO_TEST,
    issue_labels,
    trusted_pull_request,
    trusted_user,
)
from minprow.model import ProwJob


async def handle_pull_request(ctx: TriggerContext, event: PullRequestAction) -> list[ProwJob]:
    """Act on one `pull_request` event; returns the ProwJobs created."""
    pr = event.pull_request
    trigger = ctx.config.plugins.trigger_for(pr.org, pr.repo)
    # A command in an opened PR's body reaches trigger as hook's generic comment.
    return await _handle(ctx, trigger, event)


async def _handle(ctx: TriggerContext, trigger: Trigger, event: PullRequestAction) -> list[ProwJob]:
    pr = event.pull_request
    action = event.action
    presubmits = ctx.config.presubmits_for(pr.org, pr.repo)
    if not presubmits:
        return []
    # Prow tests against the base branch's current head, not the payload's base sha.
    base_sha = await ctx.github.get_ref(pr.org, pr.repo, f"heads/{pr.base_ref}")
    event = replace(event, pull_request=replace(pr, base_sha=base_sha))
    pr = event.pull_request
    if action in ("closed", "converted_to_draft"):
        await abort_all_jobs(ctx, pr)
        return []
    gh = ctx.github
    if action == "opened":
        response = await trusted_user(
            gh, trigger, pr.author, pr.org, pr.repo, bot_login=ctx.bot_login
        )
        if response.trusted:
            if pr.draft:
                await gh.create_comment(pr.org, pr.repo, pr.number, DRAFT_MESSAGE)
                return []
            return await build_all(ctx, pr, presubmits)
        await _welcome(ctx, trigger, event)
        return []
    if action in ("reopened", "ready_for_review") or (action == "edited" and event.base_changed):
        return await _build_all_if_trusted(ctx, trigger, event)
    if action == "synchronize":
        await abort_all_jobs(ctx, pr)
        return await _build_all_if_trusted(ctx, trigger, event)
    if action == "labeled":
        if event.label == LGTM:
            _, trusted = await trusted_pull_request(
                gh, trigger, pr.author, pr.org, pr.repo, pr.number, bot_login=ctx.bot_login
            )
            if not trusted:
                return await build_all(ctx, pr, presubmits)
        if event.label == OK_TO_TEST:
            if ctx.bot_login and event.sender == ctx.bot_login:
                return []  # the comment that made the bot add it starts the jobs
            return await build_all(ctx, pr, presubmits)
    return []


async def _build_all_if_trusted(
    ctx: TriggerContext, trigger: Trigger, event: PullRequestAction
) -> list[ProwJob]:
    pr = event.pull_request
    labels, trusted = await trusted_pull_request(
        ctx.github, trigger, pr.author, pr.org, pr.repo, pr.number, bot_login=ctx.bot_login
    )
    if not trusted:
        return []
    if labels is not None and NEEDS_OK_TO_TEST in labels:
        await ctx.github.remove_label(pr.org, pr.repo, pr.number, NEEDS_OK_TO_TEST)
    return await build_all(ctx, pr, ctx.config.presubmits_for(pr.org, pr.repo))


async def _welcome(ctx: TriggerContext, trigger: Trigger, event: PullRequestAction) -> None:
    pr = event.pull_request
    gh = ctx.github
    if not trigger.ignore_ok_to_test:
        labels = await issue_labels(gh, pr.org, pr.repo, pr.number)
        if OK_TO_TEST not in labels:
            await gh.add_labels(pr.org, pr.repo, pr.number, [NEEDS_OK_TO_TEST])
    invitation = ""
    if not trigger.ignore_ok_to_test:
        invitation = await org_invitation(
            gh, trigger, pr.org, pr.author, author_is_bot=pr.author_is_bot, log=ctx.log
        )
    message = welcome_message(trigger, pr.org, pr.repo, pr.author, invitation)
    await gh.create_comment(pr.org, pr.repo, pr.number, message)

"""trigger's comment handler: `/test`, `/retest`, `/retest-required`,
`/test-manual-required`, `/ok-to-test` and `/ok-to-test cancel`.

Corresponds to `handleGenericComment` and `FilterPresubmits` of Prow's
pkg/plugins/trigger/generic-comment.go. Only a newly created comment on an
open pull request counts, not one by the bot, and only if it is a trigger
command (commands inside ``` code blocks do not count). An untrusted commenter
on an untrusted PR gets a reply instead of jobs. A trusted `/ok-to-test` adds
`ok-to-test` and drops `needs-ok-to-test`; a trusted `/ok-to-test cancel` does
the opposite (anyone else is told only trusted users can). `/test-manual-required`
starts the required jobs that only run when asked for. `/retest` reads the head commit's
statuses and reruns failed or errored contexts (and automatic jobs that have not
reported). `/test ?`, `/test` with no or unknown names, and `/retest <name>`
are answered with the list of available commands. Jobs started by `/retest` or
`/retest-required` carry the `prow.k8s.io/retest: "true"` label.
"""

from __future__ import annotations

from dataclasses import replace

from minprow.hook.plugins.generic import GenericComment, format_response
from minprow.hook.plugins.trigger.filters import (
    ANY_TEST,
    OK_TO_TEST,
    OK_TO_TEST_CANCEL,
    RETEST,
    RETEST_REQUIRED,
    TEST_ALL,
    Contexts,
    comment_matches_trigger,
    drop_code_blocks,
    filter_presubmits,
    needs_contexts,
    presubmit_filter,
)
from minprow.hook.plugins.trigger.help import (
    available_presubmits,
    help_message,
    is_help_comment,
    should_respond_with_help,
)
from minprow.hook.plugins.trigger.inputs import pull_request_from
from minprow.hook.plugins.trigger.respond import (
    REVOKE_UNTRUSTED,
    UNTRUSTED,
    UNTRUSTED_IGNORE_OK_TO_TEST,
)
from minprow.hook.plugins.trigger.run import TriggerContext, changed_files, run_requested
from minprow.hook.plugins.trigger.trust import (
    NEEDS_OK_TO_TEST,
    issue_labels,
    trusted_pull_request,
    trusted_user,
)
from minprow.hook.plugins.trigger.trust import OK_TO_TEST as OK_TO_TEST_LABEL
from minprow.hook.plugins.trigger.workflows import approve_pending_runs, rerun_failed_runs
from minprow.model import ProwJob
from minprow.model import labels as keys


async def handle_comment(ctx: TriggerContext, comment: GenericComment) -> list[ProwJob]:
    """Act on one comment; returns the ProwJobs created."""
    if comment.action != "created" or not comment.is_pr or comment.issue_state != "open":
        return []
    if ctx.bot_login and comment.author == ctx.bot_login:
        return []
    org, repo, number = comment.org, comment.repo, comment.number
    presubmits = ctx.config.presubmits_for(org, repo)
    text = drop_code_blocks(comment.body)
    if not comment_matches_trigger(text, presubmits):
        return []
    gh = ctx.github
    trigger = ctx.config.plugins.trigger_for(org, repo)
    commenter = await trusted_user(gh, trigger, comment.author, org, repo, bot_login=ctx.bot_login)
    labels: list[str] | None = None
    if not commenter.trusted:
        labels, trusted = await trusted_pull_request(
            gh, trigger, comment.issue_author, org, repo, number, bot_login=ctx.bot_login
        )
        if not trusted:
            reply = UNTRUSTED_IGNORE_OK_TO_TEST if trigger.ignore_ok_to_test else UNTRUSTED
            await gh.create_comment(
                org,
                repo,
                number,
                format_response(comment.body, comment.html_url, comment.author, reply),
            )
            return []
    if labels is None:
        labels = await issue_labels(gh, org, repo, number)
    honor = not trigger.ignore_ok_to_test
    ok_to_test = honor and OK_TO_TEST.search(text) is not None
    if ok_to_test and OK_TO_TEST_LABEL not in labels:
        await gh.add_labels(org, repo, number, [OK_TO_TEST_LABEL])
    if (ok_to_test or OK_TO_TEST_LABEL in labels) and NEEDS_OK_TO_TEST in labels:
        await gh.remove_label(org, repo, number, NEEDS_OK_TO_TEST)
    if honor and OK_TO_TEST_CANCEL.search(text):
        # Revoking is for trusted users only; the PR needs `/ok-to-test` again.
        if not commenter.trusted:
            reply = format_response(
                comment.body, comment.html_url, comment.author, REVOKE_UNTRUSTED
            )
            await gh.create_comment(org, repo, number, reply)
            return []
        if OK_TO_TEST_LABEL in labels:
            await gh.remove_label(org, repo, number, OK_TO_TEST_LABEL)
        if NEEDS_OK_TO_TEST not in labels:
            await gh.add_labels(org, repo, number, [NEEDS_OK_TO_TEST])
        return []

    pr = pull_request_from(await gh.get_pull_request(org, repo, number))
    base_sha = await gh.get_ref(org, repo, f"heads/{pr.base_ref}")
    pr = replace(pr, org=org, repo=repo, base_sha=base_sha)
    if ok_to_test and trigger.trigger_github_workflows:
        await approve_pending_runs(gh, org, repo, pr.head_ref, pr.head_sha, ctx.log)
    contexts = None
    if needs_contexts(comment.body):
        combined = await gh.get_combined_status(org, repo, pr.head_sha)
        contexts = Contexts.from_statuses((s.context, s.state) for s in combined.statuses)
    chosen = presubmit_filter(honor, comment.body, contexts)
    changes = changed_files(ctx, pr)
    to_test = await filter_presubmits(chosen, pr.base_ref, presubmits, changes)
    wants_help, note = should_respond_with_help(text, len(to_test))
    if wants_help:
        test_all, optional, required = await available_presubmits(pr.base_ref, presubmits, changes)
        reply = help_message(org, repo, pr.base_ref, note, test_all, optional, required)
        await gh.create_comment(
            org,
            repo,
            number,
            format_response(comment.body, comment.html_url, comment.author, reply),
        )
        return []
    if trigger.trigger_github_workflows and (RETEST.search(text) or TEST_ALL.search(text)):
        await rerun_failed_runs(gh, org, repo, pr.head_ref, pr.head_sha, ctx.log)
    if ANY_TEST.search(text):
        # Work was asked for by name: the earlier help replies have done their job.
        await _prune_help(ctx, org, repo, number)
    extra: dict[str, str] = {}
    if RETEST.search(text) or RETEST_REQUIRED.search(text):
        extra[keys.RETEST] = "true"
    return await run_requested(ctx, pr, to_test, extra)


async def _prune_help(ctx: TriggerContext, org: str, repo: str, number: int) -> None:
    """Delete the bot's own help replies on the pull request (Prow's `PruneComments`)."""
    for old in await ctx.github.list_issue_comments(org, repo, number):
        if old.user.login == ctx.bot_login and is_help_comment(old.body):
            await ctx.github.delete_comment(org, repo, old.id)

"""GitHub Actions runs of a pull request, with trigger's `trigger_github_workflows`.

Corresponds to `approveGitHubActionsWorkflowRuns` and the failed-run reruns of
Prow's pkg/plugins/trigger/generic-comment.go: a honoured `/ok-to-test`
approves the head's runs waiting for a maintainer's approval, and `/retest` or
`/test all` reruns the failed jobs of its runs that did not pass. A GitHub error
is logged (a 404 or 403 more quietly, as Prow does) and never stops the jobs.
"""

from __future__ import annotations

import logging

from minprow.github.errors import GitHubError
from minprow.hook.plugins.trigger.client import TriggerGitHub


async def approve_pending_runs(
    gh: TriggerGitHub, org: str, repo: str, branch: str, head_sha: str, log: logging.Logger
) -> None:
    """Approve the workflow runs of `head_sha` that wait for a maintainer."""
    try:
        runs = await gh.get_pending_approval_action_runs(org, repo, branch, head_sha)
    except GitHubError as err:
        log.warning(
            "listing the runs of %s/%s@%s waiting for approval: %s", org, repo, head_sha, err
        )
        return
    for run in runs:
        try:
            await gh.approve_workflow_run(org, repo, run.id)
        except GitHubError as err:
            level = {404: logging.INFO, 403: logging.WARNING}.get(err.status or 0, logging.ERROR)
            log.log(level, "approving workflow run %d of %s/%s: %s", run.id, org, repo, err)


async def rerun_failed_runs(
    gh: TriggerGitHub, org: str, repo: str, branch: str, head_sha: str, log: logging.Logger
) -> None:
    """Rerun the failed jobs of the workflow runs of `head_sha` that did not pass."""
    try:
        runs = await gh.get_failed_action_runs_by_head_branch(org, repo, branch, head_sha)
    except GitHubError as err:
        log.error("listing the failed workflow runs of %s/%s branch %s: %s", org, repo, branch, err)
        return
    for run in runs:
        try:
            await gh.rerun_failed_workflow_jobs(org, repo, run.id)
        except GitHubError as err:
            log.error("rerunning workflow run %d of %s/%s: %s", run.id, org, repo, err)

"""trigger's `push` handler: postsubmits for a pushed branch or tag.

Corresponds to `handlePE` of Prow's pkg/plugins/trigger/push.go. A deleted
branch (`deleted: true`, or `after` all zeros) starts nothing. The branch is the
ref without `refs/heads/` or `refs/tags/`, so tags match `branches` /
`skip_branches` like branches. The changed files are the union of the pushed
commits' added, removed and modified paths. The refs are Prow's: the owner's
`name` as org, the pushed sha as base sha, the compare URL as base link.
"""

from __future__ import annotations

from minprow.config import branch_from_ref
from minprow.hook.plugins.trigger.inputs import Push
from minprow.hook.plugins.trigger.run import TriggerContext, create_with_retry
from minprow.model import ProwJob, Refs
from minprow.pjutil import new_postsubmit

ZERO_SHA = "0" * 40


async def handle_push(ctx: TriggerContext, push: Push) -> list[ProwJob]:
    """Start the postsubmits a push runs; returns the ProwJobs created."""
    if push.deleted or push.after == ZERO_SHA:
        return []
    branch = branch_from_ref(push.ref)
    created: list[ProwJob] = []
    for job in ctx.config.postsubmits_for(push.org, push.repo):
        if not job.should_run(branch, list(push.changed_files)):
            continue
        refs = Refs(
            org=push.owner_name,
            repo=push.repo,
            repo_link=push.repo_link,
            base_ref=branch,
            base_sha=push.after,
            base_link=push.compare,
        )
        pj = new_postsubmit(
            refs,
            job,
            now=ctx.now,
            event_guid=ctx.event_guid,
            prowjob_namespace=ctx.config.prowjob_namespace,
        )
        ctx.log.info("creating ProwJob %s for %s", pj.metadata.name, job.name)
        # As Prow: retried, and the first job that cannot be created ends the push.
        created.append(await create_with_retry(ctx, pj))
    return created

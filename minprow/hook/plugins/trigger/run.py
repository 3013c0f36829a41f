"""Starting and aborting a pull request's presubmits.

Corresponds to `RunRequested` / `runRequested` of Prow's
pkg/plugins/trigger/trigger.go and `buildAll`, `buildAllButDrafts`,
`abortAllJobs` of pull-request.go. Every ProwJob is made by `pjutil.new_presubmit`
and created as Prow's `createWithRetry` does: up to 8 attempts with exponential
backoff (250 ms, doubling, 10% jitter), an existing one counting as created. A
job that cannot be created does not keep the others from starting; the
failures are raised together at the end.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime

from minprow.config import Config, Presubmit
from minprow.hook.plugins.trigger.client import TriggerGitHub, TriggerStore
from minprow.hook.plugins.trigger.filters import ChangedFiles, TestAllFilter, filter_presubmits
from minprow.hook.plugins.trigger.inputs import PullRequest
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.model.labels import EVENT_GUID
from minprow.pjutil import new_presubmit, pull_request_refs
from minprow.store import AlreadyExists, Invalid, StoreError

ABORTED_DESCRIPTION = "Aborted by trigger plugin."
CREATE_ATTEMPTS = 8
"""Prow's createWithRetry: `wait.Backoff{Steps: 8}`."""


class CreateFailed(RuntimeError):
    """ProwJobs that could not be created, after every attempt: names each job."""


_LOG = logging.getLogger("minprow.hook.trigger")


@dataclass(frozen=True)
class TriggerContext:
    """What a trigger handler works with: clients, the config, the event's time
    and GUID (the webhook delivery id), and the bot's own login."""

    github: TriggerGitHub
    store: TriggerStore
    config: Config
    now: datetime
    event_guid: str
    bot_login: str = ""
    log: logging.Logger = field(default=_LOG)
    create_backoff: float = 0.25
    """Seconds before the second attempt at creating a ProwJob (doubling after)."""


def changed_files(ctx: TriggerContext, pr: PullRequest) -> ChangedFiles:
    """The PR's changed files, fetched from GitHub when first asked for."""

    async def fetch() -> list[str]:
        files = await ctx.github.list_pull_request_files(pr.org, pr.repo, pr.number)
        return [change.filename for change in files]

    return fetch


async def run_requested(
    ctx: TriggerContext,
    pr: PullRequest,
    jobs: list[Presubmit],
    labels: dict[str, str] | None = None,
) -> list[ProwJob]:
    """Prow's `runRequested`: one new ProwJob per job, none if GitHub says the PR
    cannot be merged (`mergeable: false`; unknown `null` still runs)."""
    if pr.mergeable is False:
        ctx.log.info("PR %s/%s#%d is not mergeable; no jobs started", pr.org, pr.repo, pr.number)
        return []
    refs = pull_request_refs(
        org=pr.org,
        repo=pr.repo,
        base_ref=pr.base_ref,
        base_sha=pr.base_sha,
        number=pr.number,
        author=pr.author,
        head_sha=pr.head_sha,
        head_ref=pr.head_ref,
        title=pr.title,
        repo_link=pr.repo_link,
        link=pr.link,
        author_link=pr.author_link,
    )
    created: list[ProwJob] = []
    failed: list[str] = []
    for job in jobs:
        pj = new_presubmit(
            refs,
            job,
            now=ctx.now,
            event_guid=ctx.event_guid,
            prowjob_namespace=ctx.config.prowjob_namespace,
            additional_labels=labels,
        )
        ctx.log.info("creating ProwJob %s for %s", pj.metadata.name, job.name)
        try:
            created.append(await create_with_retry(ctx, pj))
        except (StoreError, CreateFailed) as err:
            ctx.log.error("could not create the ProwJob of %s: %s", job.name, err)
            failed.append(f"{job.name}: {err}")
    if failed:
        raise CreateFailed("; ".join(failed))
    return created


async def create_with_retry(ctx: TriggerContext, pj: ProwJob) -> ProwJob:
    """Create `pj`, retrying a store that fails for a while (Prow's `createWithRetry`);
    one that already exists was created by an earlier attempt whose answer was lost."""
    errors: list[str] = []
    delay = ctx.create_backoff
    for attempt in range(CREATE_ATTEMPTS):
        try:
            return await ctx.store.create(pj)
        except AlreadyExists:
            return pj
        except Invalid:
            raise  # the store will never take this object
        except StoreError as err:
            errors.append(str(err))
        if attempt + 1 < CREATE_ATTEMPTS:
            await asyncio.sleep(delay * (1 + 0.1 * random.random()))
            delay *= 2
    raise CreateFailed(f"{CREATE_ATTEMPTS} attempts failed: {'; '.join(errors)}")


async def build_all(
    ctx: TriggerContext, pr: PullRequest, presubmits: list[Presubmit], *, skip_drafts: bool = True
) -> list[ProwJob]:
    """Prow's `buildAllButDrafts` (`buildAll` with `skip_drafts=False`): the jobs
    `/test all` would pick, started."""
    if skip_drafts and pr.draft:
        ctx.log.info("skipping all jobs for draft PR %s/%s#%d", pr.org, pr.repo, pr.number)
        return []
    jobs = await filter_presubmits(TestAllFilter(), pr.base_ref, presubmits, changed_files(ctx, pr))
    return await run_requested(ctx, pr, jobs)


async def abort_all_jobs(ctx: TriggerContext, pr: PullRequest) -> list[str]:
    """Prow's `abortAllJobs`: the PR's unfinished presubmits set to `aborted`,
    except those this delivery created (when it is handled again after a crash).

    Returns the names of the jobs aborted."""

    def abort(job: ProwJob) -> ProwJob | None:
        if job.status.state.is_final:
            return None
        job.status.state = ProwJobState.ABORTED
        job.status.description = ABORTED_DESCRIPTION
        return job

    aborted: list[str] = []
    for job in ctx.store.list(
        type=ProwJobType.PRESUBMIT, org_repo=f"{pr.org}/{pr.repo}", pull=pr.number
    ):
        if job.status.state.is_final:
            continue
        if ctx.event_guid and job.metadata.labels.get(EVENT_GUID) == ctx.event_guid:
            continue  # made by this very delivery, before a crash cut its handling short
        await ctx.store.mutate(job.metadata.name, abort)
        aborted.append(job.metadata.name)
    return sorted(aborted)

"""The GitHub reporter: a commit status per job, and the summary comment of failures.

Corresponds to Prow's pkg/crier/reporters/github/reporter.go and
pkg/github/report/report.go. For presubmits and postsubmits with `report` set
(Prow's `!skip_report`) whose type is in `github_reporter.job_types_to_report`:

- the job's context gets a status on the pull's head commit (the base commit
  for a postsubmit): triggered and pending → `pending`, success → `success`,
  failure and aborted → `failure`, error → `error` (Prow's mapping); the
  description is the job's, with Prow's ` BaseSHA:<sha>` suffix, shortened to
  GitHub's 140 characters; the target URL is `status.url`. Batch jobs (more
  than one pull) get none, as in Prow.
- once a presubmit is complete, the summary comment (see `_summary`) is
  created, edited or deleted, one pull request at a time, unless its org or
  repo is in `no_comment_repos`. For repos in `summary_comment_repos` the
  comment covers the newest run of every reporting job of the pull request
  and is written only when all of them are complete, "all tests passed"
  included. Plank's `report_templates` entry for the repo, when there is one,
  is rendered into the comment (minprow's Go template subset, `gotemplate`).

Better than Prow: an error the client calls permanent (`is_permanent`, e.g.
GitHub's 422 for a commit that no longer exists) is final rather than retried,
and a job deleted before it finished has its pending status set to `error`
("ProwJob was deleted before it finished") instead of staying pending forever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from minprow.config import Config
from minprow.crier.gotemplate import Template, TemplateError
from minprow.crier.reporter import PermanentReportError
from minprow.crier.reporters import _summary
from minprow.crier.reporters._summary import Comment, Login
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.model.labels import GERRIT_REPORT_LABEL

log = logging.getLogger("minprow.crier.github")

NAME = "github-reporter"
MAX_DESCRIPTION = 140
"""GitHub's limit on a status description, in characters (Prow's `contextDescriptionMaxLen`)."""
BASE_SHA_DELIMITER = " BaseSHA:"
ELIDE = " ... "
PAD = "\u2001"
"""Prow left-pads the BaseSHA suffix with U+2001 so GitHub's UI shows it at a stable place."""
DELETED_DESCRIPTION = "ProwJob was deleted before it finished"

STATUS_STATES: dict[ProwJobState, str] = {
    ProwJobState.SCHEDULING: "pending",
    ProwJobState.TRIGGERED: "pending",
    ProwJobState.PENDING: "pending",
    ProwJobState.SUCCESS: "success",
    ProwJobState.FAILURE: "failure",
    ProwJobState.ABORTED: "failure",
    ProwJobState.ERROR: "error",
}
"""Prow's `prowjobStateToGitHubStatus`."""


class GitHubClient(Protocol):
    """The GitHub calls this reporter makes (minprow.github.client satisfies it)."""

    async def create_status(
        self,
        org: str,
        repo: str,
        sha: str,
        state: str,
        context: str,
        description: str,
        target_url: str,
        /,
    ) -> object: ...

    async def list_issue_comments(
        self, org: str, repo: str, number: int, /
    ) -> Sequence[Comment]: ...

    async def create_comment(self, org: str, repo: str, number: int, body: str, /) -> object: ...

    async def edit_comment(self, org: str, repo: str, comment_id: int, body: str, /) -> object: ...

    async def delete_comment(self, org: str, repo: str, comment_id: int, /) -> object: ...

    async def get_user(self) -> Login:
        """The bot's own user."""
        ...


class PullJobs(Protocol):
    """Where the ProwJobs of a pull request are listed from (the JobStore)."""

    def list(self, *, org_repo: str | None = None, pull: int | None = None) -> list[ProwJob]: ...


def description(human: str, base_sha: str | None) -> str:
    """Prow's `ContextDescriptionWithBaseSha`, counted in characters: at most 140."""
    suffix = f"{BASE_SHA_DELIMITER}{base_sha}" if base_sha else ""
    if suffix and len(human) + len(suffix) < MAX_DESCRIPTION:
        suffix = PAD * (MAX_DESCRIPTION - len(human) - len(suffix)) + suffix
    return _truncate(human, MAX_DESCRIPTION - len(suffix)) + suffix


def _truncate(text: str, limit: int) -> str:
    # "really long messages" -> "really ... messages"
    if len(text) <= limit:
        return text
    half = max(0, (limit - len(ELIDE)) // 2)
    return text[:half] + ELIDE + text[len(text) - half :] if half else text[: max(0, limit)]


def _never_permanent(_: Exception) -> bool:
    return False


class GitHubReporter:
    """Crier's reporter named "github-reporter"; see the module docstring."""

    name = NAME

    def __init__(
        self,
        github: GitHubClient,
        config: Callable[[], Config],
        jobs: PullJobs,
        *,
        is_permanent: Callable[[Exception], bool] = _never_permanent,
    ) -> None:
        self.github = github
        self.config = config
        self.jobs = jobs
        self.is_permanent = is_permanent
        self._bot: str | None = None
        self._pr_locks: dict[tuple[str, str, int], tuple[asyncio.Lock, int]] = {}
        self._bad_templates: set[str] = set()

    def should_report(self, job: ProwJob) -> bool:
        """Prow's `ShouldReport`: `report` set, not a Gerrit job, a reported type, with refs."""
        return (
            bool(job.spec.report)
            and not job.metadata.labels.get(GERRIT_REPORT_LABEL)
            and job.spec.type in (ProwJobType.PRESUBMIT, ProwJobType.POSTSUBMIT)
            and job.spec.type in self.config().github_reporter.job_types_to_report
            and job.spec.refs is not None
        )

    async def report(self, job: ProwJob) -> None:
        refs = job.spec.refs
        assert refs is not None  # should_report holds
        if len(refs.pulls or ()) > 1:
            return  # batch jobs get no status (Prow)
        await self._status(job, STATUS_STATES[job.status.state], job.status.description or "")
        if job.spec.type is not ProwJobType.PRESUBMIT or not refs.pulls:
            return
        settings = self.config().github_reporter
        if refs.org in settings.no_comment_repos or refs.org_repo in settings.no_comment_repos:
            return
        summary = refs.org in settings.summary_comment_repos or (
            refs.org_repo in settings.summary_comment_repos
        )
        key = (refs.org, refs.repo, refs.pulls[0].number)
        lock, users = self._pr_locks.get(key, (asyncio.Lock(), 0))
        self._pr_locks[key] = (lock, users + 1)
        try:
            async with lock:  # one pull request's comment at a time (Prow's prLocks)
                jobs = self._latest_of_pull(job) if summary else [job]
                await self._call(self._comment(jobs, must_create=summary), job)
        finally:
            lock, users = self._pr_locks[key]
            if users == 1:
                del self._pr_locks[key]
            else:
                self._pr_locks[key] = (lock, users - 1)

    async def report_deleted(self, job: ProwJob) -> None:
        """Set the status of a job deleted before it finished to `error`."""
        if job.spec.refs is None or len(job.spec.refs.pulls or ()) > 1:
            return
        await self._status(job, "error", DELETED_DESCRIPTION)

    async def _status(self, job: ProwJob, state: str, human: str) -> None:
        refs = job.spec.refs
        assert refs is not None
        sha = refs.pulls[0].sha if refs.pulls else refs.base_sha
        if not sha:
            raise PermanentReportError(f"{job.name} names no commit to set a status on")
        call = self.github.create_status(
            refs.org,
            refs.repo,
            sha,
            state,
            job.spec.context or "",
            description(human, refs.base_sha),
            job.status.url or "",
        )
        await self._call(call, job)

    async def _call(self, call: Awaitable[object], job: ProwJob) -> None:
        try:
            await call
        except Exception as err:
            if self.is_permanent(err):
                raise PermanentReportError(
                    f"GitHub refused the report of {job.name}: {err}"
                ) from err
            raise

    def _latest_of_pull(self, job: ProwJob) -> list[ProwJob]:
        """Prow's `pjsToReport`: the newest reporting run of each job of the pull
        request, or nothing while any of its jobs is still running."""
        refs = job.spec.refs
        assert refs is not None
        assert refs.pulls
        latest: dict[str, ProwJob] = {}
        for other in self.jobs.list(org_repo=refs.org_repo, pull=refs.pulls[0].number):
            if not other.complete:
                return []
            if not other.spec.report:
                continue
            seen = latest.get(other.spec.job)
            if seen is None or _created(other) > _created(seen):
                latest[other.spec.job] = other
        return list(latest.values())

    async def _comment(self, jobs: Sequence[ProwJob], *, must_create: bool) -> None:
        """Prow's `ReportComment` for jobs of one pull request."""
        valid = [j for j in jobs if self.should_report(j) and j.complete]
        if not valid:
            return
        refs = valid[0].spec.refs
        if refs is None or len(refs.pulls or ()) != 1:
            return
        assert refs.pulls is not None
        number = refs.pulls[0].number
        comments = await self.github.list_issue_comments(refs.org, refs.repo, number)
        bot = await self._bot_login()
        plan = _summary.plan(valid, lambda login: login == bot, comments)
        for comment_id in plan.delete:
            await self.github.delete_comment(refs.org, refs.repo, comment_id)
        aborted = any(j.status.state is ProwJobState.ABORTED for j in valid)
        if not plan.entries and not (must_create and not aborted):
            return
        body = _summary.body(valid, plan.entries, self._template(valid[0]))
        if plan.update is None:
            await self.github.create_comment(refs.org, refs.repo, number, body)
        else:
            await self.github.edit_comment(refs.org, refs.repo, plan.update, body)

    async def _bot_login(self) -> str:
        if self._bot is None:
            self._bot = (await self.github.get_user()).login
        return self._bot

    def _template(self, job: ProwJob) -> str | None:
        refs = job.spec.refs
        assert refs is not None
        text = self.config().plank.report_template_for(refs.org, refs.repo)
        if not text:
            return None
        try:
            return Template(text).render(job)
        except TemplateError as err:
            if text not in self._bad_templates:
                self._bad_templates.add(text)
                log.error(
                    "plank's report template for %s cannot be rendered (%s); comments leave it out",
                    refs.org_repo,
                    err,
                    extra=job.log_fields(),
                )
            return None


def _created(job: ProwJob) -> float:
    stamp = job.metadata.creation_timestamp
    return stamp.timestamp() if stamp else 0.0

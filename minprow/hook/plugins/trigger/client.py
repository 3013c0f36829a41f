"""The narrow GitHub and store dependencies of the trigger plugin (STYLE 6).

Corresponds to the `githubClient`, `trustedUserClient` and `prowJobClient`
interfaces of Prow's pkg/plugins/trigger/trigger.go. The real GitHub client
satisfies `TriggerGitHub` structurally; the JobStore satisfies `TriggerStore`.
Objects the client returns are read through small read-only Protocols named for
GitHub's own field names, so a model of the API's JSON fits them as it is.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from minprow.model import ProwJob, ProwJobType


class _Login(Protocol):
    @property
    def login(self) -> str: ...


class _Repo(Protocol):
    @property
    def html_url(self) -> str | None: ...


class _Base(Protocol):
    @property
    def ref(self) -> str: ...
    @property
    def sha(self) -> str: ...
    @property
    def repo(self) -> _Repo | None: ...


class _Head(Protocol):
    @property
    def ref(self) -> str: ...
    @property
    def sha(self) -> str: ...


class PullRequestLike(Protocol):
    """A pull request as GitHub's API returns it (the fields trigger reads)."""

    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str | None: ...
    @property
    def html_url(self) -> str | None: ...
    @property
    def user(self) -> _Login: ...
    @property
    def head(self) -> _Head: ...
    @property
    def base(self) -> _Base: ...
    @property
    def draft(self) -> bool | None: ...
    @property
    def mergeable(self) -> bool | None: ...


class StatusLike(Protocol):
    """One commit status: its context and state ("error", "failure", ...)."""

    @property
    def context(self) -> str: ...
    @property
    def state(self) -> str: ...


class CombinedStatusLike(Protocol):
    """The latest status of each context of a commit."""

    @property
    def statuses(self) -> Sequence[StatusLike]: ...


class LabelLike(Protocol):
    @property
    def name(self) -> str: ...


class CommentLike(Protocol):
    """An issue comment: who wrote it, what it says, its id."""

    @property
    def id(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def user(self) -> _Login: ...


class RunLike(Protocol):
    """A GitHub Actions workflow run."""

    @property
    def id(self) -> int: ...


class ChangeLike(Protocol):
    """A changed file of a pull request."""

    @property
    def filename(self) -> str: ...


@runtime_checkable
class TriggerGitHub(Protocol):
    """The GitHub calls trigger makes (`isinstance` narrows hook's client to it)."""

    async def get_user(self) -> _Login: ...
    async def is_member(self, org: str, user: str) -> bool: ...
    async def is_collaborator(self, org: str, repo: str, user: str) -> bool: ...
    async def get_ref(self, org: str, repo: str, ref: str) -> str: ...
    async def get_pull_request(self, org: str, repo: str, number: int) -> PullRequestLike: ...
    async def list_pull_request_files(
        self, org: str, repo: str, number: int
    ) -> Sequence[ChangeLike]: ...
    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[LabelLike]: ...
    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None: ...
    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None: ...
    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...
    async def list_issue_comments(
        self, org: str, repo: str, number: int
    ) -> Sequence[CommentLike]: ...
    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None: ...
    async def get_combined_status(self, org: str, repo: str, ref: str) -> CombinedStatusLike: ...
    async def get_pending_approval_action_runs(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> Sequence[RunLike]: ...
    async def approve_workflow_run(self, org: str, repo: str, run_id: int) -> None: ...
    async def get_failed_action_runs_by_head_branch(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> Sequence[RunLike]: ...
    async def rerun_failed_workflow_jobs(self, org: str, repo: str, run_id: int) -> None: ...
    async def find_issues_with_org(
        self, org: str, query: str, sort: str = "", asc: bool = False
    ) -> Sequence[object]: ...


class TriggerStore(Protocol):
    """The JobStore calls trigger makes: create jobs, and abort a PR's running ones."""

    async def create(self, job: ProwJob) -> ProwJob: ...

    def list(
        self,
        *,
        type: ProwJobType | None = None,
        org_repo: str | None = None,
        pull: int | None = None,
    ) -> builtins.list[ProwJob]: ...

    async def mutate(
        self, name: str, fn: Callable[[ProwJob], ProwJob | None], *, retries: int = 5
    ) -> ProwJob: ...

"""The GitHub objects minprow reads, as frozen models of GitHub's wire format
(Prow's pkg/github/types.go: `User`, `Label`, `Repo`, `PullRequest`,
`IssueComment`, `Status`, `CombinedStatus`, `PullRequestChange`).

Shared by the REST client and the webhook payloads: unknown fields are
ignored, fields GitHub may send as null are optional.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class User(_Wire):
    login: str
    id: int = 0
    type: str = "User"
    name: str | None = None
    email: str | None = None


class Label(_Wire):
    name: str
    color: str = ""
    description: str | None = None


class Repo(_Wire):
    name: str
    full_name: str
    owner: User
    html_url: str = ""
    default_branch: str = ""
    private: bool = False
    fork: bool = False


class PullRequestBranch(_Wire):
    ref: str
    sha: str
    repo: Repo | None = None
    """None when the head repository (a fork) has been deleted."""


class PullRequest(_Wire):
    number: int
    title: str = ""
    body: str | None = None
    state: str = "open"
    merged: bool = False
    mergeable: bool | None = None
    """None while GitHub is still computing it."""
    draft: bool = False
    head: PullRequestBranch
    base: PullRequestBranch
    user: User
    labels: tuple[Label, ...] = ()
    assignees: tuple[User, ...] = ()
    html_url: str = ""
    author_association: str = ""
    merge_commit_sha: str | None = None


class IssueComment(_Wire):
    id: int
    body: str = ""
    user: User
    html_url: str = ""
    author_association: str = ""
    created_at: str = ""
    updated_at: str = ""


class Status(_Wire):
    state: str
    context: str = ""
    description: str | None = None
    target_url: str | None = None


class CombinedStatus(_Wire):
    sha: str
    state: str
    statuses: tuple[Status, ...] = ()


class PullRequestChange(_Wire):
    """One file of a pull request, as Prow's GetPullRequestChanges returns it."""

    sha: str = ""
    filename: str
    status: str = ""
    additions: int = 0
    deletions: int = 0
    changes: int = 0
    patch: str = ""
    previous_filename: str = ""
    """The old name of a renamed file; empty otherwise."""


class WorkflowRun(_Wire):
    """A GitHub Actions workflow run (what trigger approves or reruns)."""

    id: int
    name: str | None = None
    status: str | None = None
    """queued, in_progress, completed, action_required, ..."""
    conclusion: str | None = None
    head_sha: str = ""
    head_branch: str | None = None
    event: str = ""


class IssueSearchResult(_Wire):
    """One issue or pull request found by `GET /search/issues`."""

    number: int
    state: str = ""
    user: User | None = None


class Team(_Wire):
    """An org's team: its display name and its slug."""

    name: str
    slug: str

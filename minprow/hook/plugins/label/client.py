"""The narrow GitHub client of the label plugin (STYLE 6).

Corresponds to the `githubClient` interface of Prow's pkg/plugins/label/label.go.
`LabelGitHub` is what every call needs and the real client has. Prow also reads
the repository's labels (`GetRepoLabels`) and team membership
(`TeamBySlugHasMember`); a client that has them satisfies `RepoLabelsGitHub` or
`TeamsGitHub` too and the plugin uses them. Without `list_repo_labels` the plugin
cannot tell a missing label from an existing one and adds it (GitHub then creates
it); without `team_has_member` an `allowed_teams` entry admits nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class LabelLike(Protocol):
    @property
    def name(self) -> str: ...


@runtime_checkable
class LabelGitHub(Protocol):
    """The GitHub calls label makes (`isinstance` narrows hook's client to it)."""

    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[LabelLike]: ...
    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None: ...
    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None: ...
    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...
    async def is_member(self, org: str, user: str) -> bool: ...
    async def assign_issue(
        self, org: str, repo: str, number: int, logins: Sequence[str]
    ) -> None: ...


@runtime_checkable
class RepoLabelsGitHub(Protocol):
    """A client that lists a repository's labels (Prow's `GetRepoLabels`)."""

    async def list_repo_labels(self, org: str, repo: str) -> Sequence[LabelLike]: ...


@runtime_checkable
class TeamsGitHub(Protocol):
    """A client that answers team membership by slug (Prow's `TeamBySlugHasMember`)."""

    async def team_has_member(self, org: str, team_slug: str, user: str) -> bool: ...

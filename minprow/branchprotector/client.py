"""The narrow GitHub client of branchprotector (STYLE 6).

Corresponds to the `client` interface of Prow's cmd/branchprotector/protect.go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from minprow.github.protection import (
    AppInstallation,
    Branch,
    BranchProtection,
    BranchProtectionRequest,
    Collaborator,
    Repo,
    RepoTeam,
)


@runtime_checkable
class ProtectorGitHub(Protocol):
    """The GitHub calls branchprotector makes."""

    async def list_org_repos(self, org: str) -> Sequence[Repo]: ...
    async def get_repo(self, org: str, repo: str) -> Repo: ...
    async def list_branches(
        self, org: str, repo: str, protected_only: bool = False
    ) -> Sequence[Branch]: ...
    async def get_branch_protection(
        self, org: str, repo: str, branch: str
    ) -> BranchProtection | None: ...
    async def update_branch_protection(
        self, org: str, repo: str, branch: str, request: BranchProtectionRequest
    ) -> None: ...
    async def remove_branch_protection(self, org: str, repo: str, branch: str) -> None: ...
    async def enable_commit_sign_protection(self, org: str, repo: str, branch: str) -> None: ...
    async def disable_commit_sign_protection(self, org: str, repo: str, branch: str) -> None: ...
    async def list_org_app_installations(self, org: str) -> Sequence[AppInstallation]: ...
    async def list_collaborators(self, org: str, repo: str) -> Sequence[Collaborator]: ...
    async def list_repo_teams(self, org: str, repo: str) -> Sequence[RepoTeam]: ...

"""The repository calls of the GitHub client: repos, branches, branch
protection and file contents (Prow's pkg/github/client.go: `GetRepos`,
`GetRepo`, `GetBranches`, `GetBranchProtection`, `UpdateBranchProtection`,
`RemoveBranchProtection`, `EnableCommitSignProtection`,
`DisableCommitSignProtection`, `GetFile`), for branchprotector and
config-updater.

`RepoCalls` is mixed into `GitHubClient`, whose plumbing (`_send`, `_items`,
`_model`: credentials, retries, rate limits and error translation) they use.

Names go into paths as RFC 6570 simple expansions, so a branch `release/1.0`
is sent as `release%2F1.0` and `#`, `?` or a space cannot cut the path short;
callers pass names as they are (Prow's branchprotector escapes its branch
names itself, with `url.QueryEscape`, before `GetBranchProtection`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from minprow.github.errors import GitHubError, NotFound
from minprow.github.protection import (
    AppInstallation,
    Branch,
    BranchProtection,
    BranchProtectionRequest,
    Collaborator,
    Repo,
    RepoTeam,
)

_PAGE = 100
_REPO = "/repos/{org}/{repo}"
_PROTECTION = _REPO + "/branches/{branch}/protection"
_NOT_PROTECTED = "Branch not protected"
"""GitHub's message on the 404 for a branch without protection; any other 404
(no such branch, or a token that may not see protection) is an error."""
_M = TypeVar("_M", bound=BaseModel)


class _Content(BaseModel):
    """A file as the contents and blobs APIs answer it (Prow's `Content`)."""

    type: str = "file"
    encoding: str = ""
    content: str = ""
    sha: str = ""


class RepoCalls:
    """Repos, branches, branch protection and files; see the module docstring."""

    if TYPE_CHECKING:
        # GitHubClient's plumbing (client.py), named here so these calls type-check.

        async def _send(
            self,
            method: str,
            org: str,
            path: str,
            url_vars: Mapping[str, Any],
            body: Any = b"",
        ) -> Any: ...

        def _items(
            self, org: str, path: str, url_vars: Mapping[str, Any], *, key: str = "items"
        ) -> AsyncIterator[dict[str, Any]]: ...

        @staticmethod
        def _model(kind: type[_M], data: Any, method: str, path: str) -> _M: ...

    # Repositories

    async def list_org_repos(self, org: str) -> list[Repo]:
        """Every repository of `org`, all pages (Prow's `GetRepos`). An owner
        that is a user, not an org, answers 404 there: its repositories are
        then listed from `/users/{org}/repos` (Prow's `isUser`)."""
        try:
            return await self._repos(org, "/orgs/{org}/repos{?per_page}")
        except NotFound:
            return await self._repos(org, "/users/{org}/repos{?per_page}")

    async def _repos(self, org: str, path: str) -> list[Repo]:
        items = self._items(org, path, {"per_page": _PAGE})
        return [self._model(Repo, item, "GET", path) async for item in items]

    async def get_repo(self, org: str, repo: str) -> Repo:
        """One repository (Prow's `GetRepo`), with `archived` and `private`
        that branchprotector checks before touching it."""
        data = await self._send("GET", org, _REPO, {"repo": repo})
        return self._model(Repo, data, "GET", _REPO)

    # Branches

    async def list_branches(
        self, org: str, repo: str, protected_only: bool = False
    ) -> list[Branch]:
        """The branches of org/repo, all pages (Prow's `GetBranches`): only the
        protected ones with `protected_only`, else every branch with its
        `protected` flag. Prow sends `protected=false` for the latter, which
        GitHub reads as "only the unprotected ones"; leaving the parameter out
        gives every branch, which is what the name promises."""
        path = _REPO + "/branches{?protected,per_page}"
        url_vars: dict[str, Any] = {"repo": repo, "per_page": _PAGE}
        if protected_only:
            url_vars["protected"] = "true"
        items = self._items(org, path, url_vars)
        return [self._model(Branch, item, "GET", path) async for item in items]

    # Branch protection

    async def get_branch_protection(
        self, org: str, repo: str, branch: str
    ) -> BranchProtection | None:
        """The protection on `branch`, or None when it has none (Prow's
        `GetBranchProtection`: GitHub's 404 "Branch not protected")."""
        try:
            data = await self._send("GET", org, _PROTECTION, {"repo": repo, "branch": branch})
        except NotFound as err:
            if err.message == _NOT_PROTECTED:
                return None
            raise
        return self._model(BranchProtection, data, "GET", _PROTECTION)

    async def update_branch_protection(
        self, org: str, repo: str, branch: str, request: BranchProtectionRequest
    ) -> None:
        """Replace the protection on `branch` (Prow's `UpdateBranchProtection`,
        a PUT with the default media type as Prow sends it)."""
        url_vars = {"repo": repo, "branch": branch}
        await self._send("PUT", org, _PROTECTION, url_vars, request.to_json())

    async def remove_branch_protection(self, org: str, repo: str, branch: str) -> None:
        """Lift every protection from `branch` (Prow's `RemoveBranchProtection`)."""
        await self._send("DELETE", org, _PROTECTION, {"repo": repo, "branch": branch})

    async def enable_commit_sign_protection(self, org: str, repo: str, branch: str) -> None:
        """Require signed commits on protected `branch` (Prow's
        `EnableCommitSignProtection`; a setting of its own, outside the PUT)."""
        path = _PROTECTION + "/required_signatures"
        await self._send("POST", org, path, {"repo": repo, "branch": branch})

    async def disable_commit_sign_protection(self, org: str, repo: str, branch: str) -> None:
        """Stop requiring signed commits on `branch` (Prow's `DisableCommitSignProtection`)."""
        path = _PROTECTION + "/required_signatures"
        await self._send("DELETE", org, path, {"repo": repo, "branch": branch})

    # Files

    async def list_org_app_installations(self, org: str) -> list[AppInstallation]:
        """The GitHub Apps installed in `org` (Prow's `ListAppInstallationsForOrg`)."""
        path = "/orgs/{org}/installations{?per_page}"
        return [
            self._model(AppInstallation, item, "GET", path)
            async for item in self._items(org, path, {"per_page": _PAGE}, key="installations")
        ]

    async def list_collaborators(self, org: str, repo: str) -> list[Collaborator]:
        """Everyone with access to the repository, with their permissions (Prow's
        `ListCollaborators`)."""
        path = _REPO + "/collaborators{?per_page}"
        return [
            self._model(Collaborator, item, "GET", path)
            async for item in self._items(org, path, {"repo": repo, "per_page": _PAGE})
        ]

    async def list_repo_teams(self, org: str, repo: str) -> list[RepoTeam]:
        """The teams with access to the repository, with their permission (Prow's
        `ListRepoTeams`)."""
        path = _REPO + "/teams{?per_page}"
        return [
            self._model(RepoTeam, item, "GET", path)
            async for item in self._items(org, path, {"repo": repo, "per_page": _PAGE})
        ]

    async def get_file(self, org: str, repo: str, path: str, ref: str = "") -> bytes | None:
        """The bytes of file `path` at `ref` (a commit SHA or a branch; the
        default branch when empty), or None when there is no such file there
        (Prow's `GetFile`, whose `FileNotFound` is this None).

        GitHub's contents API leaves a file over 1 MB out of its answer
        (`"encoding": "none"`); that file is read from the blobs API by its SHA,
        as Prow does not (its `GetFile` gives such a file as empty)."""
        template = _REPO + "/contents{/segments*}{?ref}"
        # Each segment escaped on its own: the slashes stay separators, and a `#`
        # or `?` in a name cannot end the path.
        url_vars: dict[str, Any] = {"repo": repo, "segments": tuple(path.strip("/").split("/"))}
        if ref:
            url_vars["ref"] = ref
        try:
            data = await self._send("GET", org, template, url_vars)
        except NotFound:
            return None
        if not isinstance(data, dict):
            raise GitHubError("GET", template, 200, f"{path} at {ref or 'HEAD'} is a directory")
        content = self._model(_Content, data, "GET", template)
        if content.type != "file":
            raise GitHubError("GET", template, 200, f"{path} is a {content.type}, not a file")
        if content.encoding == "none" and content.sha:
            blob = _REPO + "/git/blobs/{sha}"
            data = await self._send("GET", org, blob, {"repo": repo, "sha": content.sha})
            content = self._model(_Content, data, "GET", blob)
        return _decoded(content, template)


def _decoded(content: _Content, path: str) -> bytes:
    if content.encoding not in ("base64", ""):
        raise GitHubError("GET", path, 200, f"unexpected content encoding {content.encoding!r}")
    try:
        # GitHub wraps its base64 every 60 characters: the newlines are not data.
        return base64.b64decode(content.content)
    except (binascii.Error, ValueError) as err:
        raise GitHubError("GET", path, 200, f"content is not base64: {err}") from err

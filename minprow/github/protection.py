"""Repositories, branches and branch protection at the wire boundary (Prow's
pkg/github/types.go: `Repo`, `Branch`, `BranchProtection`,
`BranchProtectionRequest` and the types under them, and the installations,
collaborators and teams `--verify-restrictions` reads), for branchprotector and
config-updater.

What GitHub answers (`Repo`, `Branch`, `BranchProtection`) ignores fields this
side does not read; `Repo` keeps them (as Prow's `FullRepo` does) so a caller
can read one more without a new model. `BranchProtectionRequest` is what
minprow sends: `to_json()` writes the body exactly as Prow's Go struct
marshals, because GitHub reads null and absent differently there.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Request(BaseModel):
    # Built by minprow, never parsed from GitHub: a misspelt field is a bug.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Repo(BaseModel):
    """A repository as listed under an org or got by name; every other field
    GitHub sends (owner, html_url, fork, ...) is kept as an extra."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str
    full_name: str = ""
    archived: bool = False
    private: bool = False
    default_branch: str = ""


class Branch(_Answer):
    """A branch as `GET /repos/{o}/{r}/branches` lists it."""

    name: str
    protected: bool = False


class InstallationPermissions(_Answer):
    contents: str = ""
    """"read" or "write" (or "" when the app may not see contents)."""


class AppInstallation(_Answer):
    """A GitHub App installed in an org (Prow's `AppInstallation`)."""

    app_slug: str
    permissions: InstallationPermissions = InstallationPermissions()


class CollaboratorPermissions(_Answer):
    admin: bool = False
    push: bool = False
    pull: bool = False


class Collaborator(_Answer):
    """A user with access to a repository, and what access."""

    login: str
    permissions: CollaboratorPermissions = CollaboratorPermissions()


class RepoTeam(_Answer):
    """A team with access to a repository: `pull`, `triage`, `push`, `maintain`, `admin`."""

    slug: str
    permission: str = ""


# What GitHub answers for GET .../branches/{branch}/protection


class Enabled(_Answer):
    """GitHub's `{"enabled": bool}` wrapper for a yes/no protection setting."""

    enabled: bool = False


class RequiredStatusChecks(BaseModel):
    """The contexts that must pass, and whether the branch must be up to date
    (`strict`). Prow uses the same type in the answer and in the request."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    strict: bool = False
    contexts: tuple[str, ...] = ()


class UserRef(_Answer):
    login: str


class TeamRef(_Answer):
    slug: str


class AppRef(_Answer):
    slug: str


class DismissalRestrictions(_Answer):
    """Who may dismiss reviews (Prow's `DismissalRestrictions`)."""

    users: tuple[UserRef, ...] = ()
    teams: tuple[TeamRef, ...] = ()


class BypassRestrictions(_Answer):
    """Who may merge without the required reviews (`bypass_pull_request_allowances`)."""

    users: tuple[UserRef, ...] = ()
    teams: tuple[TeamRef, ...] = ()


class RequiredPullRequestReviews(_Answer):
    dismissal_restrictions: DismissalRestrictions | None = None
    dismiss_stale_reviews: bool = False
    require_code_owner_reviews: bool = False
    required_approving_review_count: int = 0
    bypass_pull_request_allowances: BypassRestrictions | None = None


class Restrictions(_Answer):
    """Who may push to the branch."""

    users: tuple[UserRef, ...] = ()
    teams: tuple[TeamRef, ...] = ()
    apps: tuple[AppRef, ...] = ()


class BranchProtection(_Answer):
    """The protection in place on a branch; a section GitHub leaves out
    (no required checks, reviews or push restrictions) is None."""

    required_status_checks: RequiredStatusChecks | None = None
    enforce_admins: Enabled = Enabled()
    required_pull_request_reviews: RequiredPullRequestReviews | None = None
    restrictions: Restrictions | None = None
    required_linear_history: Enabled = Enabled()
    allow_force_pushes: Enabled = Enabled()
    allow_deletions: Enabled = Enabled()
    required_signatures: Enabled = Enabled()


# What minprow sends with PUT .../branches/{branch}/protection


class DismissalRestrictionsRequest(_Request):
    """Who may dismiss reviews. An empty object (both None) lifts the
    restriction; lists (even empty ones) set it, as Prow's `*[]string`."""

    users: tuple[str, ...] | None = None
    """User logins."""
    teams: tuple[str, ...] | None = None
    """Team slugs."""


class BypassRestrictionsRequest(_Request):
    """Who may bypass the required reviews; None and empty as in
    `DismissalRestrictionsRequest`."""

    users: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None


class RequiredPullRequestReviewsRequest(_Request):
    dismissal_restrictions: DismissalRestrictionsRequest = DismissalRestrictionsRequest()
    dismiss_stale_reviews: bool = False
    require_code_owner_reviews: bool = False
    required_approving_review_count: int = 0
    bypass_pull_request_allowances: BypassRestrictionsRequest = BypassRestrictionsRequest()


class RestrictionsRequest(_Request):
    """Who may push. `apps` stays None (left out of the body) unless
    branchprotector's `--enable-apps-restrictions` is on; GitHub requires
    `users` and `teams` whenever restrictions are sent."""

    apps: tuple[str, ...] | None = None
    users: tuple[str, ...] | None = None
    teams: tuple[str, ...] | None = None


class BranchProtectionRequest(_Request):
    """The protection to put on a branch; None for a section turns it off."""

    required_status_checks: RequiredStatusChecks | None = None
    enforce_admins: bool | None = None
    required_pull_request_reviews: RequiredPullRequestReviewsRequest | None = None
    restrictions: RestrictionsRequest | None = None
    required_linear_history: bool = False
    allow_force_pushes: bool = False
    allow_deletions: bool = False

    def to_json(self) -> dict[str, Any]:
        """GitHub's body: the four sections always present (null when off, as
        GitHub requires), lists inside them left out when None (Go's
        `omitempty` on a nil `*[]string`) and sent when empty."""
        body = self.model_dump(mode="json")
        return {key: _without_none(value) for key, value in body.items()}


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    return value

"""`--verify-restrictions`: who a policy lets push must be allowed to push.

Corresponds to `authorizedApps`, `authorizedCollaborators`, `authorizedTeams`
and `validateRestrictions` of Prow's cmd/branchprotector/protect.go: apps
installed in the org with write access to contents, collaborators with push
or admin rights (logins lowercased, as Prow's `NormLogin`), teams with push or
admin permission. A request whose `restrictions` name anyone else is refused
for that branch, with who and where, rather than sent for GitHub to refuse.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from minprow.branchprotector.client import ProtectorGitHub
from minprow.branchprotector.compare import norm_login
from minprow.github.protection import BranchProtectionRequest


@dataclass(frozen=True)
class Authorized:
    """Who may be named in a repository's push restrictions."""

    apps: frozenset[str]
    users: frozenset[str]
    teams: frozenset[str]


async def authorized(github: ProtectorGitHub, org: str, repo: str) -> Authorized:
    apps = await github.list_org_app_installations(org)
    users = await github.list_collaborators(org, repo)
    teams = await github.list_repo_teams(org, repo)
    return Authorized(
        frozenset(a.app_slug for a in apps if a.permissions.contents == "write"),
        frozenset(norm_login(u.login) for u in users if u.permissions.admin or u.permissions.push),
        frozenset(t.slug for t in teams if t.permission in ("push", "admin")),
    )


def unauthorized(
    org: str, repo: str, request: BranchProtectionRequest | None, allowed: Authorized
) -> list[str]:
    """Prow's `validateRestrictions`: one line per kind naming who may not push."""
    if request is None or request.restrictions is None:
        return []
    found: list[str] = []
    wanted = request.restrictions
    for kind, names, known in (
        ("apps", wanted.apps, allowed.apps),
        ("collaborators", wanted.users, allowed.users),
        ("teams", wanted.teams, allowed.teams),
    ):
        if names is not None and (extra := _missing(names, known)):
            found.append(f"{kind} {', '.join(extra)} may not push to {org}/{repo}")
    return found


def _missing(names: Iterable[str], known: frozenset[str]) -> list[str]:
    return sorted(set(names) - known)

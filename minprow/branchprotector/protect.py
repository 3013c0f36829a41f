"""What branch protection the config asks for, branch by branch, and what differs.

Corresponds to `protector.protect`, `UpdateOrg`, `UpdateRepo` and
`UpdateBranch` of Prow's cmd/branchprotector/protect.go. The walk: every org
of `branch-protection.orgs` (its repositories listed from GitHub when the org
sets `protect`, else the repos it names), then, with `protect-tested-repos`,
every repository with presubmits not walked yet. Archived repositories and
private security-advisory forks are skipped. A repository's branches are
GitHub's, filtered by the policy's `include` / `exclude` regexes (branches the
config names always count). Each branch's policy is Prow's `GetPolicy` (the
contexts of the required presubmits that run on the branch included), and a
branch whose protection on GitHub already matches is left alone.

`plan` only reads GitHub; `apply` writes one planned change. A failure on a
repository is recorded and the walk goes on with the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from minprow.branchprotector import restrictions
from minprow.branchprotector.client import ProtectorGitHub
from minprow.branchprotector.compare import equal_protection, equal_signatures
from minprow.branchprotector.enablement import Enablement
from minprow.branchprotector.request import make_request
from minprow.config import Config
from minprow.config.branch_protection import (
    Branch,
    BranchProtectionError,
    Org,
    Repo,
    get_policy,
)
from minprow.config.goregex import RegexError, Regexp, compile_regex
from minprow.github.errors import GitHubError
from minprow.github.protection import BranchProtection, BranchProtectionRequest

log = logging.getLogger("minprow.branchprotector")

SECURITY_FORK = compile_regex(r"^[\w-]+-ghsa-[\w-]+$")
"""Prow's `SecurityForkNameRE`: GitHub's temporary private forks for advisories."""
REPO_CONCURRENCY = 8
"""Repositories read at once (the client waits out rate limits)."""


@dataclass(frozen=True)
class Change:
    """One branch whose protection differs from its policy (Prow's `requirements`)."""

    org: str
    repo: str
    branch: str
    request: BranchProtectionRequest | None
    """The protection to put in place; None removes it."""
    require_signed_commits: bool | None
    """Signed commits to require (True) or stop requiring (False); None leaves them."""
    current: BranchProtection | None
    """The protection GitHub has now (None: unprotected)."""

    @property
    def where(self) -> str:
        return f"{self.org}/{self.repo}={self.branch}"


@dataclass
class Plan:
    """What a walk found: the changes to make, and what could not be looked at."""

    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """One line per org, repository or branch that could not be planned."""
    repos: int = 0
    """Repositories looked at."""
    branches: int = 0
    """Branches looked at."""


class Protector:
    """Plans and applies the `branch-protection` section against GitHub."""

    def __init__(
        self,
        github: ProtectorGitHub,
        config: Callable[[], Config],
        *,
        enablement: Enablement | None = None,
        enable_apps_restrictions: bool = False,
        verify_restrictions: bool = False,
    ) -> None:
        self.github = github
        self._config = config
        self.enablement = enablement or Enablement()
        self.enable_apps_restrictions = enable_apps_restrictions
        self.verify_restrictions = verify_restrictions

    async def plan(self) -> Plan:
        """Every branch that needs a change, read from GitHub; errors per org/repo/branch."""
        config = self._config()
        bp = config.branch_protection
        plan = Plan()
        if (
            bp.unmanaged
            and not bp.has_managed_orgs()
            and not bp.has_managed_repos()
            and not bp.has_managed_branches()
        ):
            log.warning("branch-protection sets unmanaged: true globally: nothing to do")
            return plan
        slots = asyncio.Semaphore(REPO_CONCURRENCY)
        # Each repository once: an org's walk first, then the tested repos it missed
        # (Prow's `completedRepos`).
        walks: dict[str, tuple[str, str, Repo]] = {}
        for org_name in sorted(bp.orgs):
            if not self.enablement.allows(org_name, ""):
                continue
            try:
                repos = await self._org_repos(org_name, bp.get_org(org_name))
            except GitHubError as err:
                plan.errors.append(f"{org_name}: list repositories: {err}")
                continue
            for walk_args in repos:
                walks.setdefault(f"{org_name}/{walk_args[1]}", walk_args)
        if bp.protect_tested_repos:
            for full in sorted(r for r, jobs in config.presubmits.items() if jobs):
                org_name, _, repo_name = full.partition("/")
                if not repo_name or "/" in repo_name:
                    plan.errors.append(f"{full}: not an org/repo")
                    continue
                if full not in walks and self.enablement.allows(org_name, repo_name):
                    walks[full] = (org_name, repo_name, bp.get_org(org_name).get_repo(repo_name))

        async def walk(org_name: str, repo_name: str, repo: Repo) -> None:
            async with slots:
                await self._repo(config, plan, org_name, repo_name, repo)

        await asyncio.gather(*(walk(*w) for w in walks.values()))
        plan.changes.sort(key=lambda c: (c.org, c.repo, c.branch))
        plan.errors.sort()
        return plan

    async def apply(self, change: Change) -> None:
        """Put `change` in place on GitHub (Prow's `configureBranches`)."""
        org, repo, branch = change.org, change.repo, change.branch
        if change.request is None:
            await self.github.remove_branch_protection(org, repo, branch)
            return
        await self.github.update_branch_protection(org, repo, branch, change.request)
        if change.require_signed_commits is True:
            await self.github.enable_commit_sign_protection(org, repo, branch)
        elif change.require_signed_commits is False:
            await self.github.disable_commit_sign_protection(org, repo, branch)

    async def _org_repos(self, org_name: str, org: Org) -> list[tuple[str, str, Repo]]:
        if org.unmanaged and not org.has_managed_repos() and not org.has_managed_branches():
            return []
        if org.protect is not None:
            names = [
                r.name
                for r in await self.github.list_org_repos(org_name)
                if not r.archived and not (r.private and SECURITY_FORK.search(r.name))
            ]
        else:
            names = sorted(org.repos)
        return [
            (org_name, name, org.get_repo(name))
            for name in names
            if self.enablement.allows(org_name, name)
        ]

    async def _repo(self, config: Config, plan: Plan, org: str, name: str, repo: Repo) -> None:
        if repo.unmanaged and not repo.has_managed_branches():
            return
        where = f"{org}/{name}"
        try:
            github_repo = await self.github.get_repo(org, name)
            if github_repo.archived or (
                github_repo.private and SECURITY_FORK.search(github_repo.name)
            ):
                return
            include = _joined(repo.include, f"{where}: include")
            exclude = _joined(repo.exclude, f"{where}: exclude")
            branches: dict[str, bool] = {}
            for protected_only in (False, True):  # the second listing sets `protected` right
                for b in await self.github.list_branches(org, name, protected_only):
                    if b.name in repo.branches or _wanted(b.name, include, exclude):
                        branches[b.name] = b.protected
            allowed = (
                await restrictions.authorized(self.github, org, name)
                if self.verify_restrictions
                else None
            )
        except (GitHubError, RegexError) as err:
            plan.errors.append(f"{where}: {err}")
            return
        plan.repos += 1
        for branch_name in sorted(branches):
            plan.branches += 1
            try:
                change = await self._branch(
                    config, org, name, branch_name, repo, branches[branch_name], allowed
                )
            except (BranchProtectionError, GitHubError, _Refused) as err:
                plan.errors.append(f"{where}={branch_name}: {err}")
                continue
            if change is not None:
                plan.changes.append(change)

    async def _branch(
        self,
        config: Config,
        org: str,
        repo_name: str,
        name: str,
        repo: Repo,
        protected: bool,
        allowed: restrictions.Authorized | None,
    ) -> Change | None:
        branch: Branch = repo.get_branch(name)
        if branch.unmanaged:
            return None
        policy = get_policy(
            config.branch_protection,
            org,
            repo_name,
            name,
            branch,
            config.presubmits_for(org, repo_name),
            protected,
        )
        if policy is None or policy.protect is None:
            return None
        if not protected and not policy.protect:
            log.debug("%s/%s=%s: already unprotected", org, repo_name, name)
            return None
        pushers = policy.restrictions
        if not self.enable_apps_restrictions and pushers is not None and pushers.apps is not None:
            raise _Refused("the policy restricts apps, which needs --enable-apps-restrictions")
        request = make_request(policy, self.enable_apps_restrictions) if policy.protect else None
        if allowed is not None and (
            refused := restrictions.unauthorized(org, repo_name, request, allowed)
        ):
            raise _Refused("; ".join(refused))
        current = await self.github.get_branch_protection(org, repo_name, name)
        signed = policy.require_signed_commits
        if equal_protection(current, request) and equal_signatures(current, signed):
            return None
        return Change(org, repo_name, name, request, signed, current)


class _Refused(Exception):
    """A policy branchprotector will not apply as configured."""


def _joined(patterns: Sequence[str] | None, where: str) -> Regexp | None:
    if not patterns:
        return None
    try:
        return compile_regex("|".join(patterns))
    except RegexError as err:
        raise RegexError(f"{where}: {err}") from None


def _wanted(name: str, include: Regexp | None, exclude: Regexp | None) -> bool:
    if include is not None:
        return include.search(name) is not None
    return not (exclude is not None and exclude.search(name) is not None)


def summary(plan: Plan) -> str:
    return (
        f"{plan.repos} repositories, {plan.branches} branches: {len(plan.changes)} to change, "
        f"{len(plan.errors)} errors"
    )

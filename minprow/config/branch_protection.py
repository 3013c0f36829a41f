"""config.yaml's `branch-protection`: the policy of every org, repo and branch.

Corresponds to Prow's pkg/config/branch_protection.go: `Policy` and its parts,
`BranchProtection` / `Org` / `Repo` / `Branch`, `Apply` (a child's setting wins,
lists are unioned and sorted), `GetOrg` / `GetRepo` / `GetBranch`,
`GetBranchProtection`, `GetPolicy` (the contexts of the required presubmits
join the policy), `BranchRequirements` and the warnings about disabled
policies. Unset is None throughout, as Go's nil pointers and slices: a child
that says nothing inherits, a child that says `[]` does not. Prow's `merge` of
supplemental config files is left out: minprow reads one config.yaml.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Self, TypeVar

from pydantic import Field

from minprow.config.gomodel import GoPart
from minprow.config.goregex import RegexError, compile_regex
from minprow.config.jobs import Presubmit

log = logging.getLogger("minprow.branchprotector")
T = TypeVar("T")


class BranchProtectionError(ValueError):
    """A branch's policy that cannot be applied as configured; says why."""


class ContextPolicy(GoPart):
    """Prow's `ContextPolicy`: required status contexts, and whether a PR must be
    up to date with its base (`strict`)."""

    contexts: list[str] | None = None
    strict: bool | None = None


class People(GoPart):
    """Users and teams (Prow's `DismissalRestrictions` and `BypassRestrictions`)."""

    users: list[str] | None = None
    teams: list[str] | None = None


class ReviewPolicy(GoPart):
    """Prow's `ReviewPolicy`: `required_pull_request_reviews`."""

    dismissal_restrictions: People | None = None
    dismiss_stale_reviews: bool | None = None
    require_code_owner_reviews: bool | None = None
    required_approving_review_count: int | None = None
    bypass_pull_request_allowances: People | None = None


class Restrictions(GoPart):
    """Prow's `Restrictions`: who may push."""

    apps: list[str] | None = None
    users: list[str] | None = None
    teams: list[str] | None = None


_POLICY_FIELDS = (
    "unmanaged",
    "protect",
    "required_status_checks",
    "enforce_admins",
    "restrictions",
    "require_manually_triggered_jobs",
    "required_pull_request_reviews",
    "required_linear_history",
    "allow_force_pushes",
    "allow_deletions",
    "require_signed_commits",
    "exclude",
    "include",
)
_SETTINGS = tuple(f for f in _POLICY_FIELDS if f not in ("unmanaged", "exclude", "include"))
"""What `defined` looks at: the settings a policy puts on a branch."""


class Policy(GoPart):
    """Prow's `Policy`: the protection of a branch, each setting None when unset."""

    unmanaged: bool | None = None
    """True: branchprotector leaves it alone (a child may manage it again)."""
    protect: bool | None = None
    required_status_checks: ContextPolicy | None = None
    enforce_admins: bool | None = None
    restrictions: Restrictions | None = None
    require_manually_triggered_jobs: bool | None = None
    """Count the contexts of required jobs that run only when asked for."""
    required_pull_request_reviews: ReviewPolicy | None = None
    required_linear_history: bool | None = None
    allow_force_pushes: bool | None = None
    allow_deletions: bool | None = None
    require_signed_commits: bool | None = None
    exclude: list[str] | None = None
    """Regexes of branches to leave alone."""
    include: list[str] | None = None
    """Regexes of the only branches to protect."""

    def policy(self) -> Policy:
        """The policy part of an org, repo or branch entry."""
        return Policy.model_validate({f: getattr(self, f) for f in _POLICY_FIELDS})

    def with_policy(self, policy: Policy) -> Self:
        """This entry with `policy` in place of its own."""
        return self.model_copy(update={f: getattr(policy, f) for f in _POLICY_FIELDS})

    def managed(self) -> bool:
        """Prow's `Managed`: `unmanaged: false` said explicitly."""
        return self.unmanaged is False

    def defined(self) -> bool:
        """Prow's `defined`: any setting besides unmanaged, include and exclude."""
        return any(getattr(self, f) is not None for f in _SETTINGS)

    def is_set(self) -> bool:
        """Prow's `isPolicySet`: anything at all."""
        return any(getattr(self, f) is not None for f in _POLICY_FIELDS)

    def apply(self, child: Policy) -> Policy:
        """Prow's `Apply`: the child's settings over this one's."""
        return Policy(
            unmanaged=_pick(self.unmanaged, child.unmanaged),
            protect=_pick(self.protect, child.protect),
            required_status_checks=_merge_contexts(
                self.required_status_checks, child.required_status_checks
            ),
            enforce_admins=_pick(self.enforce_admins, child.enforce_admins),
            restrictions=_merge_restrictions(self.restrictions, child.restrictions),
            require_manually_triggered_jobs=_pick(
                self.require_manually_triggered_jobs, child.require_manually_triggered_jobs
            ),
            required_pull_request_reviews=_merge_reviews(
                self.required_pull_request_reviews, child.required_pull_request_reviews
            ),
            required_linear_history=_pick(
                self.required_linear_history, child.required_linear_history
            ),
            allow_force_pushes=_pick(self.allow_force_pushes, child.allow_force_pushes),
            allow_deletions=_pick(self.allow_deletions, child.allow_deletions),
            require_signed_commits=_pick(self.require_signed_commits, child.require_signed_commits),
            exclude=_union(self.exclude, child.exclude),
            include=_union(self.include, child.include),
        )


def _pick(parent: T | None, child: T | None) -> T | None:
    return parent if child is None else child


def _union(parent: list[str] | None, child: list[str] | None) -> list[str] | None:
    if child is None:
        return parent
    if parent is None:
        return child
    return sorted(set(parent) | set(child))


def _merge_contexts(
    parent: ContextPolicy | None, child: ContextPolicy | None
) -> ContextPolicy | None:
    if parent is None or child is None:
        return parent if child is None else child
    return ContextPolicy(
        contexts=_union(parent.contexts, child.contexts), strict=_pick(parent.strict, child.strict)
    )


def _merge_people(parent: People | None, child: People | None) -> People | None:
    if parent is None or child is None:
        return parent if child is None else child
    return People(users=_union(parent.users, child.users), teams=_union(parent.teams, child.teams))


def _merge_reviews(parent: ReviewPolicy | None, child: ReviewPolicy | None) -> ReviewPolicy | None:
    if parent is None or child is None:
        return parent if child is None else child
    return ReviewPolicy(
        dismissal_restrictions=_merge_people(
            parent.dismissal_restrictions, child.dismissal_restrictions
        ),
        dismiss_stale_reviews=_pick(parent.dismiss_stale_reviews, child.dismiss_stale_reviews),
        require_code_owner_reviews=_pick(
            parent.require_code_owner_reviews, child.require_code_owner_reviews
        ),
        required_approving_review_count=_pick(
            parent.required_approving_review_count, child.required_approving_review_count
        ),
        bypass_pull_request_allowances=_merge_people(
            parent.bypass_pull_request_allowances, child.bypass_pull_request_allowances
        ),
    )


def _merge_restrictions(
    parent: Restrictions | None, child: Restrictions | None
) -> Restrictions | None:
    if parent is None or child is None:
        return parent if child is None else child
    return Restrictions(
        apps=_union(parent.apps, child.apps),
        users=_union(parent.users, child.users),
        teams=_union(parent.teams, child.teams),
    )


class Branch(Policy):
    """Prow's `Branch`: a branch's own policy."""


class Repo(Policy):
    """Prow's `Repo`: a repository's policy and its branches'."""

    branches: dict[str, Branch] = Field(default_factory=dict)

    def has_managed_branches(self) -> bool:
        return any(b.managed() for b in self.branches.values())

    def get_branch(self, name: str) -> Branch:
        """Prow's `GetBranch`: the branch's policy over the repo's. Raises
        BranchProtectionError for a branch entry setting neither `protect` nor
        `unmanaged: true`."""
        own = self.branches.get(name)
        if own is None:
            return Branch().with_policy(self.policy())
        branch = own.with_policy(self.policy().apply(own.policy()))
        if branch.protect is None and branch.unmanaged is not True:
            raise BranchProtectionError(
                "defined branch policies must set protect or unmanaged=true"
            )
        return branch


class Org(Policy):
    """Prow's `Org`: an org's policy and its repositories'."""

    repos: dict[str, Repo] = Field(default_factory=dict)

    def has_managed_repos(self) -> bool:
        return any(r.managed() for r in self.repos.values())

    def has_managed_branches(self) -> bool:
        return any(r.has_managed_branches() for r in self.repos.values())

    def get_repo(self, name: str) -> Repo:
        """Prow's `GetRepo`: the repo's policy over the org's."""
        own = self.repos.get(name)
        if own is None:
            return Repo().with_policy(self.policy())
        return own.with_policy(self.policy().apply(own.policy()))


class BranchProtection(Policy):
    """Prow's `BranchProtection`: the top-level policy and the orgs'."""

    protect_tested_repos: bool | None = Field(default=None, alias="protect-tested-repos")
    """Also protect every repository with presubmits, org listed or not."""
    orgs: dict[str, Org] = Field(default_factory=dict)
    allow_disabled_policies: bool | None = None
    """Allow `protect: false` next to other settings (they are then ignored)."""
    allow_disabled_job_policies: bool | None = None
    """Allow `protect: false` on branches with required jobs (left unmanaged)."""
    protect_repos_with_optional_jobs: bool | None = None
    """Protect repositories whose presubmits are all optional or conditional too."""

    def has_managed_orgs(self) -> bool:
        return any(o.managed() for o in self.orgs.values())

    def has_managed_repos(self) -> bool:
        return any(o.has_managed_repos() for o in self.orgs.values())

    def has_managed_branches(self) -> bool:
        return any(o.has_managed_branches() for o in self.orgs.values())

    def get_org(self, name: str) -> Org:
        """Prow's `GetOrg`: the org's policy over the top-level one."""
        own = self.orgs.get(name)
        if own is None:
            return Org().with_policy(self.policy())
        return own.with_policy(self.policy().apply(own.policy()))


def branch_requirements(
    branch: str, presubmits: Iterable[Presubmit], require_manually_triggered_jobs: bool | None
) -> tuple[list[str], list[str], list[str]]:
    """Prow's `BranchRequirements`: the contexts of the presubmits that could run on
    `branch`, as (required, required if present, optional). A required job that
    runs only when asked for counts as required with `require_manually_triggered_jobs`."""
    required: list[str] = []
    if_present: list[str] = []
    optional: list[str] = []
    manual = bool(require_manually_triggered_jobs)
    for job in presubmits:
        if not job.could_run(branch):
            continue
        if not job.context_required():
            optional.append(job.context)
        elif manual and job.needs_explicit_trigger():
            required.append(job.context)
        elif job.triggers_conditionally():
            if_present.append(job.context)
        else:
            required.append(job.context)
    return required, if_present, optional


def get_branch_protection(
    bp: BranchProtection, org: str, repo: str, branch: str, presubmits: Sequence[Presubmit]
) -> Policy | None:
    """Prow's `GetBranchProtection`: the policy of a branch of a configured org, or
    None (not configured, or nothing to put on it)."""
    if org not in bp.orgs:
        return None
    entry = bp.get_org(org).get_repo(repo).get_branch(branch)
    return get_policy(bp, org, repo, branch, entry, presubmits, None)


def get_policy(
    bp: BranchProtection,
    org: str,
    repo: str,
    branch_name: str,
    branch: Branch,
    presubmits: Sequence[Presubmit],
    protected_on_github: bool | None,
) -> Policy | None:
    """Prow's `GetPolicy`: the branch's policy with the contexts of its required
    presubmits added (and `protect: true` with `protect-tested-repos`); None when
    it puts nothing on the branch. Raises BranchProtectionError where Prow refuses:
    required jobs on a branch with `protect: false`, or other settings next to it."""
    policy = branch.policy()
    required, if_present, optional = branch_requirements(
        branch_name, presubmits, policy.require_manually_triggered_jobs
    )
    if _manages_contexts(bp, required, if_present, optional):
        if policy.protect is False:
            if bp.allow_disabled_job_policies:
                if protected_on_github:
                    log.warning(
                        "%s/%s=%s: 'protect: false' makes branchprotector leave its "
                        "protection alone entirely; say 'unmanaged: true' if that is meant",
                        org,
                        repo,
                        branch_name,
                    )
                return None
            raise BranchProtectionError("required prow jobs require branch protection")
        jobs = Policy(
            required_status_checks=ContextPolicy(contexts=required),
            protect=True if bp.protect_tested_repos else None,
        )
        policy = policy.apply(jobs)
    if policy.protect is False:
        others = policy.model_copy(update={"protect": None})
        if others.defined() and not bp.allow_disabled_policies:
            raise BranchProtectionError(
                f"{org}/{repo}={branch_name} defines a policy, which requires protect: true"
            )
    if not policy.defined():
        return None
    return policy


def _manages_contexts(
    bp: BranchProtection, required: list[str], if_present: list[str], optional: list[str]
) -> bool:
    """Prow's `shouldManageRequiredStatusCheck`."""
    if required:
        return True
    if not bp.protect_repos_with_optional_jobs:
        return False
    return bool(if_present or optional)


def _is_unprotected(
    policy: Policy, allow_disabled: bool, has_required: bool, allow_disabled_jobs: bool
) -> bool:
    if policy.protect is not False:
        return False
    if has_required and allow_disabled_jobs:
        return True
    return allow_disabled and policy.model_copy(update={"protect": None}).defined()


def repos_with_disabled_policy(bp: BranchProtection) -> list[str]:
    """Prow's `reposWithDisabledPolicy`: org/repos defining a policy with protect: false."""
    found = {
        f"{org_name}/{repo_name}"
        for org_name, org in bp.orgs.items()
        for repo_name in org.repos
        if _is_unprotected(
            bp.get_org(org_name).get_repo(repo_name), bool(bp.allow_disabled_policies), False, False
        )
    }
    return sorted(found)


def unprotected_branches(bp: BranchProtection, presubmits: dict[str, list[Presubmit]]) -> list[str]:
    """Prow's `unprotectedBranches`: "org/repo=branch,..." for branches with a policy
    or required contexts but `protect: false`."""
    found: list[str] = []
    for org_name, org in bp.orgs.items():
        for repo_name, repo in org.repos.items():
            names: set[str] = set()
            for branch_name in repo.branches:
                try:
                    entry = bp.get_org(org_name).get_repo(repo_name).get_branch(branch_name)
                    policy = get_policy(bp, org_name, repo_name, branch_name, entry, [], None)
                except BranchProtectionError:
                    continue
                if policy is None:
                    continue
                jobs = presubmits.get(f"{org_name}/{repo_name}", [])
                required, _, _ = branch_requirements(
                    branch_name, jobs, policy.require_manually_triggered_jobs
                )
                if _is_unprotected(
                    policy,
                    bool(bp.allow_disabled_policies),
                    bool(required),
                    bool(bp.allow_disabled_job_policies),
                ):
                    names.add(branch_name)
            if names:
                found.append(f"{org_name}/{repo_name}={','.join(sorted(names))}")
    return sorted(found)


def problems(bp: BranchProtection) -> list[tuple[str, str]]:
    """(field, message) for what Prow refuses at load (both `include` and `exclude`
    at the top) and every include/exclude pattern Go's regexp refuses."""
    found: list[tuple[str, str]] = []
    if bp.include and bp.exclude:
        found.append(
            (
                "branch-protection",
                "include and exclude are both set: use one of them (Prow refuses both)",
            )
        )
    entries: list[tuple[str, Policy]] = [("branch-protection", bp)]
    for org_name, org in bp.orgs.items():
        entries.append((f"branch-protection.orgs.{org_name}", org))
        for repo_name, repo in org.repos.items():
            entries.append((f"branch-protection.orgs.{org_name}.repos.{repo_name}", repo))
    for where, entry in entries:
        for kind in ("include", "exclude"):
            for i, pattern in enumerate(getattr(entry, kind) or ()):
                try:
                    compile_regex(pattern)
                except RegexError as err:
                    found.append((f"{where}.{kind}[{i}]", f'invalid regex "{pattern}": {err}'))
    return found


def _has_settings(policy: Policy) -> bool:
    """Prow's `doesUnmanagedBranchprotectionPolicyHaveSettings`: anything besides `unmanaged`."""
    return policy.policy().model_copy(update={"unmanaged": None}).is_set()


def unmanaged_problems(bp: BranchProtection) -> list[tuple[str, str]]:
    """(field, message) for settings that `unmanaged: true` above them makes dead
    (Prow's checkconfig `validate-unmanaged-branchconfig-has-no-subconfig`, one of
    its default checks). As in Prow, an org under a globally unmanaged config is
    reported unless it has a managed repository."""
    found: list[tuple[str, str]] = []
    top = "branch-protection"
    if bp.unmanaged:
        if (
            _has_settings(bp)
            and not bp.has_managed_orgs()
            and not bp.has_managed_repos()
            and not bp.has_managed_branches()
        ):
            found.append((top, "unmanaged: true, yet it sets a policy that will never apply"))
        for org_name, org in bp.orgs.items():
            if not org.has_managed_repos():
                found.append(
                    (
                        f"{top}.orgs.{org_name}",
                        "configured under a globally unmanaged branch-protection; "
                        "set unmanaged: false on the org for it to apply",
                    )
                )
    for org_name, org in bp.orgs.items():
        where = f"{top}.orgs.{org_name}"
        if org.unmanaged:
            if (
                _has_settings(org)
                and not org.has_managed_repos()
                and not org.has_managed_branches()
            ):
                found.append((where, "unmanaged: true, yet it sets a policy that will never apply"))
            for repo_name, repo in org.repos.items():
                if not repo.has_managed_branches():
                    found.append(
                        (
                            f"{where}.repos.{repo_name}",
                            f"configured under unmanaged org {org_name}; set unmanaged: "
                            "false on the repo for it to apply",
                        )
                    )
        for repo_name, repo in org.repos.items():
            repo_where = f"{where}.repos.{repo_name}"
            if repo.unmanaged:
                if _has_settings(repo) and not repo.has_managed_branches():
                    found.append(
                        (repo_where, "unmanaged: true, yet it sets a policy that will never apply")
                    )
                for branch_name, branch in repo.branches.items():
                    if not branch.managed():
                        found.append(
                            (
                                f"{repo_where}.branches.{branch_name}",
                                f"configured under unmanaged repo {org_name}/{repo_name}; set "
                                "unmanaged: false on the branch for it to apply",
                            )
                        )
            for branch_name, branch in repo.branches.items():
                if branch.unmanaged and _has_settings(branch):
                    found.append(
                        (
                            f"{repo_where}.branches.{branch_name}",
                            "unmanaged: true, yet it sets a policy that will never apply",
                        )
                    )
    return found

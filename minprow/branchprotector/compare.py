"""Whether a branch's protection on GitHub already is what the policy asks.

Corresponds to `equalBranchProtections` and the `equal*` functions of Prow's
cmd/branchprotector/protect.go, with their quirks kept: lists compare as sets
of sorted values; logins compare case-insensitively (`NormLogin`); unset
`enforce_admins` equals "off"; an absent restriction section on GitHub equals
a requested one that lists nobody; `apps` not requested (no
`--enable-apps-restrictions`) match whatever apps GitHub has; a team list
not sent never matches, while a user list not sent matches nobody listed.
"""

from __future__ import annotations

from collections.abc import Iterable

from minprow.github.protection import (
    BranchProtection,
    BranchProtectionRequest,
    BypassRestrictions,
    BypassRestrictionsRequest,
    DismissalRestrictions,
    DismissalRestrictionsRequest,
    RequiredPullRequestReviews,
    RequiredPullRequestReviewsRequest,
    RequiredStatusChecks,
    Restrictions,
    RestrictionsRequest,
    TeamRef,
    UserRef,
)


def norm_login(login: str) -> str:
    """Prow's `github.NormLogin`: no leading "@", lower case."""
    return login.removeprefix("@").lower()


def equal_protection(
    state: BranchProtection | None, request: BranchProtectionRequest | None
) -> bool:
    """Whether `state` (None: unprotected) is what `request` (None: unprotect) asks."""
    if state is None or request is None:
        return state is None and request is None
    return (
        _equal_checks(state.required_status_checks, request.required_status_checks)
        and state.enforce_admins.enabled == bool(request.enforce_admins)
        and _equal_reviews(
            state.required_pull_request_reviews, request.required_pull_request_reviews
        )
        and _equal_restrictions(state.restrictions, request.restrictions)
        and state.allow_force_pushes.enabled == request.allow_force_pushes
        and state.required_linear_history.enabled == request.required_linear_history
        and state.allow_deletions.enabled == request.allow_deletions
    )


def equal_signatures(state: BranchProtection | None, require_signed_commits: bool | None) -> bool:
    """Whether signed commits are required as asked (None: not asked, always equal)."""
    if require_signed_commits is None:
        return True
    current = state is not None and state.required_signatures.enabled
    return current == require_signed_commits


def _same(a: Iterable[str] | None, b: Iterable[str] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return sorted(a) == sorted(b)


def _equal_checks(state: RequiredStatusChecks | None, request: RequiredStatusChecks | None) -> bool:
    if state is None or request is None:
        return state is None and request is None
    return state.strict == request.strict and _same(state.contexts, request.contexts)


def _equal_reviews(
    state: RequiredPullRequestReviews | None, request: RequiredPullRequestReviewsRequest | None
) -> bool:
    if state is None or request is None:
        return state is None and request is None
    return (
        state.dismiss_stale_reviews == request.dismiss_stale_reviews
        and state.require_code_owner_reviews == request.require_code_owner_reviews
        and state.required_approving_review_count == request.required_approving_review_count
        and _equal_people(state.dismissal_restrictions, request.dismissal_restrictions)
        and _equal_people(
            state.bypass_pull_request_allowances, request.bypass_pull_request_allowances
        )
    )


def _equal_people(
    state: DismissalRestrictions | BypassRestrictions | None,
    request: DismissalRestrictionsRequest | BypassRestrictionsRequest | None,
) -> bool:
    if request is None:  # never from a request made here; kept for Prow's table
        return state is None
    if state is None:
        return request.users is None and request.teams is None
    return _equal_teams(state.teams, request.teams) and _equal_users(state.users, request.users)


def _equal_restrictions(state: Restrictions | None, request: RestrictionsRequest | None) -> bool:
    if state is None or request is None:
        if state is None and request is not None:
            return request.apps is None and request.users is None and request.teams is None
        return state is None and request is None
    apps_equal = request.apps is None or _same([a.slug for a in state.apps], request.apps)
    return (
        apps_equal
        and _equal_teams(state.teams, request.teams)
        and _equal_users(state.users, request.users)
    )


def _equal_teams(state: Iterable[TeamRef], request: Iterable[str] | None) -> bool:
    # As Prow's `equalStringSlices(&teams, requestTeams)`: a team list not sent
    # (nil) never equals what GitHub has, even nothing; users, below, differ.
    if request is None:
        return False
    return _same([t.slug for t in state], request)


def _equal_users(state: Iterable[UserRef], request: Iterable[str] | None) -> bool:
    logins = [norm_login(u.login) for u in state]
    wanted = [norm_login(u) for u in request or ()]
    return _same(logins, wanted)

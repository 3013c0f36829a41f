"""A branch's policy as the request GitHub's branch protection API takes.

Corresponds to `makeRequest` and its helpers in Prow's
cmd/branchprotector/request.go: `enforce_admins` unset is sent as false
(GitHub's "unset" with null does not work, Prow notes); yes/no settings unset
are false; lists are sorted and de-duplicated, and present (empty) whenever
their section is; push restrictions carry `apps` only with
`--enable-apps-restrictions`; review requirements without
`required_approving_review_count` are not sent at all (and said).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from minprow.config.branch_protection import (
    ContextPolicy,
    Policy,
    Restrictions,
    ReviewPolicy,
)
from minprow.github.protection import (
    BranchProtectionRequest,
    BypassRestrictionsRequest,
    DismissalRestrictionsRequest,
    RequiredPullRequestReviewsRequest,
    RequiredStatusChecks,
    RestrictionsRequest,
)

log = logging.getLogger("minprow.branchprotector")


def make_request(policy: Policy, enable_apps_restrictions: bool = False) -> BranchProtectionRequest:
    """The PUT body that puts `policy` on a branch."""
    return BranchProtectionRequest(
        required_status_checks=_checks(policy.required_status_checks),
        enforce_admins=bool(policy.enforce_admins),
        required_pull_request_reviews=_reviews(policy.required_pull_request_reviews),
        restrictions=_restrictions(policy.restrictions, enable_apps_restrictions),
        required_linear_history=bool(policy.required_linear_history),
        allow_force_pushes=bool(policy.allow_force_pushes),
        allow_deletions=bool(policy.allow_deletions),
    )


def _sorted(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(sorted(set(values or ())))


def _checks(policy: ContextPolicy | None) -> RequiredStatusChecks | None:
    if policy is None:
        return None
    return RequiredStatusChecks(strict=bool(policy.strict), contexts=_sorted(policy.contexts))


def _restrictions(policy: Restrictions | None, with_apps: bool) -> RestrictionsRequest | None:
    if policy is None:
        return None
    return RestrictionsRequest(
        apps=_sorted(policy.apps) if with_apps else None,
        users=_sorted(policy.users),
        teams=_sorted(policy.teams),
    )


def _reviews(policy: ReviewPolicy | None) -> RequiredPullRequestReviewsRequest | None:
    if policy is None:
        return None
    if policy.required_approving_review_count is None:
        log.warning(
            "required_pull_request_reviews sets no required_approving_review_count: "
            "review requirements are not sent"
        )
        return None
    dismissal = policy.dismissal_restrictions
    bypass = policy.bypass_pull_request_allowances
    return RequiredPullRequestReviewsRequest(
        dismissal_restrictions=(
            DismissalRestrictionsRequest(
                users=_sorted(dismissal.users), teams=_sorted(dismissal.teams)
            )
            if dismissal is not None
            else DismissalRestrictionsRequest()
        ),
        dismiss_stale_reviews=bool(policy.dismiss_stale_reviews),
        require_code_owner_reviews=bool(policy.require_code_owner_reviews),
        required_approving_review_count=policy.required_approving_review_count,
        bypass_pull_request_allowances=(
            BypassRestrictionsRequest(users=_sorted(bypass.users), teams=_sorted(bypass.teams))
            if bypass is not None
            else BypassRestrictionsRequest()
        ),
    )

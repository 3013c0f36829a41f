"""A planned change as a diff of the protection GitHub has and the config's.

Both sides are written in the request's shape (what the PUT would send), one
setting a line, so the diff shows exactly the settings that change: `-` is
GitHub now, `+` the config. Removing protection shows the whole current
protection as `-` lines; protecting an unprotected branch, the whole request
as `+` lines.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from minprow.branchprotector.protect import Change
from minprow.github.protection import BranchProtection


def render(change: Change) -> str:
    """The diff for one branch, headed by where it is and what happens."""
    if change.request is None:
        what = "remove protection"
    elif change.current is None:
        what = "protect"
    else:
        what = "update protection"
    before = _lines(current_as_request(change.current), change.current is not None)
    after_body = change.request.to_json() if change.request is not None else None
    if change.request is not None and change.require_signed_commits is not None:
        after_body = {**(after_body or {}), "required_signatures": change.require_signed_commits}
    after = _lines(after_body, change.request is not None)
    diff = difflib.unified_diff(
        before, after, f"{change.where} (GitHub)", f"{change.where} (config)", n=0, lineterm=""
    )
    body = [line for line in diff if not line.startswith("@@")]
    return "\n".join([f"{change.where}: {what}", *body])


def current_as_request(state: BranchProtection | None) -> dict[str, Any] | None:
    """What GitHub has, in the request's shape (and `required_signatures`)."""
    if state is None:
        return None
    checks = state.required_status_checks
    reviews = state.required_pull_request_reviews
    restrictions = state.restrictions
    body: dict[str, Any] = {
        "required_status_checks": None
        if checks is None
        else {"strict": checks.strict, "contexts": sorted(checks.contexts)},
        "enforce_admins": state.enforce_admins.enabled,
        "required_pull_request_reviews": None,
        "restrictions": None,
        "required_linear_history": state.required_linear_history.enabled,
        "allow_force_pushes": state.allow_force_pushes.enabled,
        "allow_deletions": state.allow_deletions.enabled,
        "required_signatures": state.required_signatures.enabled,
    }
    if reviews is not None:
        people = {}
        for key, group in (
            ("dismissal_restrictions", reviews.dismissal_restrictions),
            ("bypass_pull_request_allowances", reviews.bypass_pull_request_allowances),
        ):
            people[key] = (
                {}
                if group is None
                else {
                    "users": sorted(u.login for u in group.users),
                    "teams": sorted(t.slug for t in group.teams),
                }
            )
        body["required_pull_request_reviews"] = {
            "dismiss_stale_reviews": reviews.dismiss_stale_reviews,
            "require_code_owner_reviews": reviews.require_code_owner_reviews,
            "required_approving_review_count": reviews.required_approving_review_count,
            **people,
        }
    if restrictions is not None:
        body["restrictions"] = {
            "apps": sorted(a.slug for a in restrictions.apps),
            "users": sorted(u.login for u in restrictions.users),
            "teams": sorted(t.slug for t in restrictions.teams),
        }
    return body


def _lines(body: dict[str, Any] | None, present: bool) -> list[str]:
    """One `path: value` line per setting, sorted, so a diff lines up by setting."""
    if body is None or not present:
        return []
    out: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict) and value:
            for key in sorted(value):
                walk(f"{prefix}.{key}" if prefix else key, value[key])
        else:
            out.append(f"{prefix}: {json.dumps(value)}")

    walk("", body)
    return out

"""Whom trigger trusts: Prow's `TrustedUser` and `TrustedPullRequest`.

Corresponds to pkg/plugins/trigger/trigger.go and pull-request.go. A user is
trusted when they are the bot itself, a member of the repo's org, a collaborator
on the repo (unless `only_org_members`), a trusted GitHub App (its login is the
app's name followed by "[bot]"), or a member of the trigger's `trusted_org`. A
pull request is trusted when its author is, or when it carries `ok-to-test`.
"""

from __future__ import annotations

from dataclasses import dataclass

from minprow.config import Trigger
from minprow.hook.plugins.trigger.client import TriggerGitHub

OK_TO_TEST = "ok-to-test"
NEEDS_OK_TO_TEST = "needs-ok-to-test"
LGTM = "lgtm"


@dataclass(frozen=True)
class TrustedUserResponse:
    """Whether the user is trusted; if not, why (for messages)."""

    trusted: bool
    reason: str = ""


def _reason(*, not_collaborator: bool, not_secondary: bool) -> str:
    parts = ["User is not a member of the org."]
    if not_collaborator:
        parts.append("User is not a collaborator.")
    if not_secondary:
        parts.append("User is not a member of the trusted secondary org.")
    parts.append("Satisfy at least one of these conditions to make the user trusted.")
    return " ".join(parts)


async def issue_labels(gh: TriggerGitHub, org: str, repo: str, number: int) -> list[str]:
    """The names of the labels on an issue or pull request."""
    return [label.name for label in await gh.list_issue_labels(org, repo, number)]


async def trusted_user(
    gh: TriggerGitHub, trigger: Trigger, user: str, org: str, repo: str, *, bot_login: str = ""
) -> TrustedUserResponse:
    """Prow's `TrustedUser`, checks in Prow's order."""
    if bot_login and user == bot_login:
        return TrustedUserResponse(True)
    if await gh.is_member(org, user):
        return TrustedUserResponse(True)
    if not trigger.only_org_members and await gh.is_collaborator(org, repo, user):
        return TrustedUserResponse(True)
    # Only an App's own login ("<name>[bot]") is the App: anyone may register the bare
    # name as a user.
    if user.endswith("[bot]") and user.removesuffix("[bot]") in trigger.trusted_apps:
        return TrustedUserResponse(True)
    not_collaborator = not trigger.only_org_members
    if not trigger.trusted_org or trigger.trusted_org == org:
        return TrustedUserResponse(
            False, _reason(not_collaborator=not_collaborator, not_secondary=False)
        )
    if await gh.is_member(trigger.trusted_org, user):
        return TrustedUserResponse(True)
    return TrustedUserResponse(
        False, _reason(not_collaborator=not_collaborator, not_secondary=True)
    )


async def trusted_pull_request(
    gh: TriggerGitHub,
    trigger: Trigger,
    author: str,
    org: str,
    repo: str,
    number: int,
    labels: list[str] | None = None,
    *,
    bot_login: str = "",
) -> tuple[list[str] | None, bool]:
    """Prow's `TrustedPullRequest`: (the PR's labels if they were read, trusted).

    The labels are only fetched when the author is not trusted."""
    if (await trusted_user(gh, trigger, author, org, repo, bot_login=bot_login)).trusted:
        return labels, True
    if labels is None:
        labels = await issue_labels(gh, org, repo, number)
    return labels, OK_TO_TEST in labels

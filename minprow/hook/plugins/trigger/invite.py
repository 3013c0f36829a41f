"""The org invitation in trigger's welcome comment.

Corresponds to `orgInvitationGuidance` of Prow's pkg/plugins/trigger/pull-request.go
(kubernetes-sigs/prow#627, #677): an author with `org_invite.prominent.merged_pr_threshold`
(3) merged pull requests in the org is invited prominently, as a GitHub `[!TIP]`
alert or the configured message; everyone else, a bot, or anyone when the search
fails or the invitation is disabled, gets the plain sentence.
"""

from __future__ import annotations

import logging

from minprow.config import Trigger
from minprow.github.errors import GitHubError
from minprow.hook.plugins.trigger.client import TriggerGitHub
from minprow.hook.plugins.trigger.respond import (
    join_org_url,
    plain_invitation,
    prominent_invitation,
)


async def org_invitation(
    gh: TriggerGitHub,
    trigger: Trigger,
    org: str,
    author: str,
    *,
    author_is_bot: bool,
    log: logging.Logger,
) -> str:
    """The welcome's paragraph inviting `author` into `org`: prominent once they
    have `merged_pr_threshold` merged pull requests there (found by GitHub's issue
    search; not for bots, nor when the search fails), plain otherwise."""
    url = join_org_url(trigger, org)
    prominent = trigger.org_invite.prominent
    if prominent.disabled or author_is_bot:
        return plain_invitation(url)
    query = f"type:pr is:merged org:{org} author:{author}"
    try:
        merged = await gh.find_issues_with_org(org, query, "", False)
    except GitHubError as err:
        log.debug("searching the merged pull requests of %s in %s: %s", author, org, err)
        return plain_invitation(url)
    if len(merged) < prominent.threshold:
        return plain_invitation(url)
    if prominent.message:
        return prominent.message.replace("{join_org_url}", url)
    return prominent_invitation(url)

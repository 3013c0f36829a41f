"""Comments trigger posts: replies quoting the comment, the welcome, the draft note.

Corresponds to the `welcomeMsg` / `draftMsg` texts of Prow's
pkg/plugins/trigger/pull-request.go; replies quoting a comment are
`generic.format_response` (Prow's pkg/plugins/respond.go). The wording is
minprow's.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from minprow.config import Trigger

DRAFT_MESSAGE = (
    "CI is skipped for draft pull requests.\n"
    "Mark the pull request ready for review to get CI signal, "
    "or start the tests by hand with `/test all`."
)


def join_org_url(trigger: Trigger, org: str) -> str:
    """Where an author joins the org: `join_org_url`, else the org's people page."""
    return trigger.join_org_url or f"https://github.com/orgs/{org}/people"


def plain_invitation(url: str) -> str:
    return f"Regular contributors can [join the org]({url}) to skip this step."


def prominent_invitation(url: str) -> str:
    """minprow's own prominent invitation: a GitHub `[!TIP]` alert."""
    return (
        ">[!TIP]\n"
        f">**Several of your pull requests have been merged here: [join the org]({url}) "
        "to skip this step and to use `/lgtm` and the other bot commands.** "
        "The approvers of your earlier pull requests can sponsor you."
    )


def welcome_message(
    trigger: Trigger, org: str, repo: str, author: str, invitation: str = ""
) -> str:
    """The comment for a PR opened by an untrusted author; `invitation` is the
    paragraph inviting them into the org (`org_invitation`)."""
    commands = f"https://go.k8s.io/bot-commands?repo={quote_plus(f'{org}/{repo}')}"
    if trigger.ignore_ok_to_test:
        return (
            f"Hi @{author}, thanks for the pull request.\n\n"
            "`/ok-to-test` cannot mark pull requests from untrusted authors as trusted "
            "in this repository, so their authors cannot start tests themselves. "
            "Collaborators can still start them with `/test all`.\n\n"
            f"The commands I understand are listed [here]({commands}).\n"
        )
    invitation = invitation or plain_invitation(join_org_url(trigger, org))
    more = ""
    if trigger.trusted_org and trigger.trusted_org != org:
        more = f"or [{trigger.trusted_org}](https://github.com/orgs/{trigger.trusted_org}/people) "
    return (
        f"Hi @{author}, thanks for the pull request.\n\n"
        f"A member of [{org}](https://github.com/orgs/{org}/people) {more}needs to check "
        "that this change is safe to test; if it is, they reply `/ok-to-test` on a line "
        "of its own. Until then new commits are not tested automatically, though org "
        "members can still run the usual test commands.\n\n"
        f"{invitation}\n\n"
        "The `ok-to-test` label shows when the change has been checked.\n\n"
        f"The commands I understand are listed [here]({commands}).\n"
    )


UNTRUSTED_IGNORE_OK_TO_TEST = (
    "`/ok-to-test` cannot mark pull requests from untrusted authors as trusted in this "
    "repository. Collaborators can still start tests with `/test`."
)
REVOKE_UNTRUSTED = "Only trusted users can revoke `/ok-to-test`."
UNTRUSTED = "Tests cannot start until a trusted user reviews the PR and comments `/ok-to-test`."

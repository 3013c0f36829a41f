"""What the label commands of a comment do, and what a push does to labels.

Corresponds to `handleCommentWithOwners`, `canUserSetLabel` and
`removeLabelsOnNewCommits` of Prow's pkg/plugins/label/label.go. On a newly
created comment (issue or pull request) each asked-for label is added unless
the issue has it already, the repository lacks it, it is `triage/accepted` and
the commenter is no org member, or it is restricted and the commenter may not
change it; removals likewise. A refusal of a restricted label is answered at
once; then one reply covers the first of: `/label` of an unconfigured label,
labels the repository lacks, removals of labels the issue does not have, a
non-member's `triage/accepted`. A failed add or remove is logged, not raised.

Where Prow asks OWNERS files (`allow_approvers_from_owners`) minprow has no
OWNERS client, so only allowed users and teams may change such a label.
"""

from __future__ import annotations

import logging

from minprow.config.plugins import Label
from minprow.github.errors import GitHubError
from minprow.hook.plugins.generic import GenericComment, format_response
from minprow.hook.plugins.label.client import LabelGitHub, RepoLabelsGitHub, TeamsGitHub
from minprow.hook.plugins.label.commands import NEEDS_CATEGORIES, parse_commands, with_category
from minprow.hook.plugins.label.restricted import RestrictedLabel, restricted_labels_for
from minprow.hook.plugins.trigger.inputs import PullRequestAction

TRIAGE_ACCEPTED = "triage/accepted"
"""Prow's `labels.TriageAccepted`: only org members may add it."""

_log = logging.getLogger(__name__)


async def _may_change(
    github: LabelGitHub, org: str, user: str, restricted: RestrictedLabel | None
) -> bool:
    if restricted is None:
        return True
    if any(allowed.lower() == user.lower() for allowed in restricted.allowed_users):
        return True
    if isinstance(github, TeamsGitHub):
        for team in restricted.allowed_teams:
            if await github.team_has_member(org, team, user):
                return True
    return False


async def handle_label(
    github: LabelGitHub, config: Label, comment: GenericComment, log: logging.Logger = _log
) -> None:
    """Add and remove the labels `comment` asks for."""
    if comment.action != "created":
        return
    org, repo, number, user = comment.org, comment.repo, comment.number, comment.author
    restricted = restricted_labels_for(config, org, repo)
    additional = {label.lower() for label in config.additional_labels}
    commands = parse_commands(
        comment.body, lambda label: label in restricted or label in additional
    )
    if not commands:
        return

    async def reply(message: str) -> None:
        body = format_response(commands.body, comment.html_url, user, message)
        await github.create_comment(org, repo, number, body)

    repo_labels: set[str] | None = None
    if isinstance(github, RepoLabelsGitHub):
        repo_labels = {label.name.lower() for label in await github.list_repo_labels(org, repo)}
    issue_labels = [label.name for label in await github.list_issue_labels(org, repo, number)]
    on_issue = {label.lower() for label in issue_labels}

    def in_repo(label: str) -> bool:
        return repo_labels is None or label in repo_labels

    to_add = list(commands.add)
    for category in NEEDS_CATEGORIES:
        needs = f"needs-{category}"
        if repo_labels is None or needs not in repo_labels:
            continue
        removed = with_category(commands.remove, category)
        if not removed or with_category(to_add, category):
            continue
        if removed >= with_category(issue_labels, category):
            to_add.append(needs)

    missing_in_repo: list[str] = []
    not_on_issue: list[str] = []
    non_member_triage = False
    for label in to_add:
        if label in on_issue:
            continue
        if not in_repo(label):
            missing_in_repo.append(label)
            continue
        if label == TRIAGE_ACCEPTED and not await github.is_member(org, user):
            non_member_triage = True
            continue
        if not await _may_change(github, org, user, restricted.get(label)):
            await reply(restricted[label].refusal())
            continue
        try:
            await github.add_labels(org, repo, number, [label])
        except GitHubError:
            log.exception("adding %s to %s/%s#%d failed", label, org, repo, number)
    for label in commands.remove:
        if label not in on_issue:
            not_on_issue.append(label)
            continue
        if not in_repo(label):
            continue
        if not await _may_change(github, org, user, restricted.get(label)):
            await reply(restricted[label].refusal())
            continue
        try:
            await github.remove_label(org, repo, number, label)
        except GitHubError:
            log.exception("removing %s from %s/%s#%d failed", label, org, repo, number)

    if commands.unconfigured:
        supported = [*config.additional_labels, *sorted(restricted)]
        await reply(
            f"`{', '.join(commands.unconfigured)}`: `/label` and `/remove-label` only take "
            f"the labels configured for them: `{', '.join(supported)}`. Others go under "
            "`label.additional_labels` or `label.restricted_labels` in plugins.yaml."
        )
    elif missing_in_repo:
        await reply(f"this repository has no label `{', '.join(missing_in_repo)}`.")
    elif not_on_issue:
        await reply(f"these labels are not on this issue: `{', '.join(not_on_issue)}`")
    elif non_member_triage:
        await reply(f"only members of the GitHub organization can add `{TRIAGE_ACCEPTED}`.")


async def handle_new_commits(github: LabelGitHub, config: Label, event: PullRequestAction) -> None:
    """On `synchronize` (of an unmerged pull request: the caller checks), remove
    the restricted labels marked `remove_on_new_commits`."""
    pr = event.pull_request
    if event.action != "synchronize":
        return
    restricted = restricted_labels_for(config, pr.org, pr.repo)
    sticky = {name for name, r in restricted.items() if r.remove_on_new_commits}
    if not sticky:
        return
    for label in await github.list_issue_labels(pr.org, pr.repo, pr.number):
        if label.name.lower() in sticky:
            await github.remove_label(pr.org, pr.repo, pr.number, label.name)


async def handle_label_added(
    github: LabelGitHub, config: Label, event: PullRequestAction, log: logging.Logger
) -> None:
    """On `labeled`: assign the allowed users of every restricted label whose
    `assign_on` names the label added (Prow's `handleLabelAdd`)."""
    pr = event.pull_request
    if event.action != "labeled" or not event.label:
        return
    for restricted in restricted_labels_for(config, pr.org, pr.repo).values():
        if any(on.lower() == event.label.lower() for on in restricted.assign_on):
            try:
                await github.assign_issue(
                    pr.org, pr.repo, pr.number, list(restricted.allowed_users)
                )
            except GitHubError as err:
                log.error(
                    "assigning the users of %s on %s/%s#%d: %s",
                    restricted.label,
                    pr.org,
                    pr.repo,
                    pr.number,
                    err,
                )

"""What trigger reads from a webhook: small typed inputs, and adapters from events.

The handlers take these dataclasses, not the webhook models, so they stay
independent of how a payload is parsed; comments are the shared
`generic.GenericComment`. `pull_request_event` and `push_event` read a parsed
event by attribute with GitHub's own field names (pull_request.head.sha,
repository.owner.login, ...), as Prow's pkg/github/types.go names them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minprow.hook.plugins.generic import _get


@dataclass(frozen=True)
class PullRequest:
    """A pull request as trigger needs it."""

    org: str
    repo: str
    number: int
    author: str
    head_sha: str
    base_ref: str
    base_sha: str
    head_ref: str = ""
    title: str = ""
    body: str = ""
    repo_link: str | None = None
    link: str | None = None
    author_link: str | None = None
    draft: bool = False
    mergeable: bool | None = None
    author_is_bot: bool = False
    """The author is an App (`user.type` Bot)."""


@dataclass(frozen=True)
class PullRequestAction:
    """A `pull_request` event: the action, the PR, and what the action carries."""

    action: str
    pull_request: PullRequest
    label: str = ""
    """The label of a `labeled` action."""
    base_changed: bool = False
    """An `edited` action changed the base (changes.base.ref.from or .sha.from)."""
    sender: str = ""


@dataclass(frozen=True)
class Push:
    """A `push` event."""

    org: str
    """The repository owner's login: how the job config is looked up."""
    owner_name: str
    """The owner's `name`, as Prow puts it in the refs' org."""
    repo: str
    ref: str
    after: str
    deleted: bool = False
    repo_link: str | None = None
    compare: str | None = None
    changed_files: tuple[str, ...] = ()


def pull_request_from(pr: Any) -> PullRequest:
    """A `PullRequest` from a GitHub pull request object (event or API)."""
    return PullRequest(
        org=_get(pr, "base", "repo", "owner", "login", default=""),
        repo=_get(pr, "base", "repo", "name", default=""),
        number=int(_get(pr, "number", default=0)),
        author=_get(pr, "user", "login", default=""),
        author_is_bot=_get(pr, "user", "type", default="") == "Bot",
        head_sha=_get(pr, "head", "sha", default=""),
        head_ref=_get(pr, "head", "ref", default=""),
        base_ref=_get(pr, "base", "ref", default=""),
        base_sha=_get(pr, "base", "sha", default=""),
        title=_get(pr, "title", default=""),
        body=_get(pr, "body", default=""),
        repo_link=_get(pr, "base", "repo", "html_url"),
        link=_get(pr, "html_url"),
        author_link=_get(pr, "user", "html_url"),
        draft=bool(_get(pr, "draft", default=False)),
        mergeable=_get(pr, "mergeable"),
    )


def pull_request_event(event: Any) -> PullRequestAction:
    """A `PullRequestAction` from a parsed `pull_request` webhook."""
    changes = _get(event, "changes")
    return PullRequestAction(
        action=_get(event, "action", default=""),
        pull_request=pull_request_from(_get(event, "pull_request")),
        label=_get(event, "label", "name", default=""),
        base_changed=bool(
            _get(changes, "base", "ref", "from") or _get(changes, "base", "sha", "from")
        ),
        sender=_get(event, "sender", "login", default=""),
    )


def push_event(event: Any) -> Push:
    """A `Push` from a parsed `push` webhook; changed files are the union of the
    commits' added, removed and modified paths."""
    files: set[str] = set()
    for commit in _get(event, "commits", default=[]):
        for kind in ("added", "removed", "modified"):
            files.update(_get(commit, kind, default=[]))
    login = _get(event, "repository", "owner", "login", default="")
    return Push(
        org=login,
        owner_name=_get(event, "repository", "owner", "name", default=login),
        repo=_get(event, "repository", "name", default=""),
        ref=_get(event, "ref", default=""),
        after=_get(event, "after", default=""),
        deleted=bool(_get(event, "deleted", default=False)),
        repo_link=_get(event, "repository", "html_url"),
        compare=_get(event, "compare"),
        changed_files=tuple(sorted(files)),
    )

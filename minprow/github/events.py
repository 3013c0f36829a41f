"""Typed GitHub webhook payloads, what hook's plugins read (Prow's
pkg/github/types.go: `PullRequestEvent`, `IssueCommentEvent`, `PushEvent`,
`ReviewEvent`, `ReviewCommentEvent`, `IssueEvent`; pkg/hook/events.go decides by `X-GitHub-Event`).

`parse_event(event_type, body)` turns a delivery into one of the models below,
returns None for an event type minprow does not handle, and raises
`MalformedEvent` saying what is wrong and where when the body is not JSON or
does not have the shape of its event type. Unknown fields are ignored, so
GitHub adding a field never breaks a delivery.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minprow.github.types import IssueComment, Label, PullRequest, Repo, User


class EventType(StrEnum):
    """The `X-GitHub-Event` header values minprow handles."""

    PULL_REQUEST = "pull_request"
    ISSUE_COMMENT = "issue_comment"
    PUSH = "push"
    PULL_REQUEST_REVIEW = "pull_request_review"
    PULL_REQUEST_REVIEW_COMMENT = "pull_request_review_comment"
    ISSUES = "issues"


class MalformedEvent(Exception):
    """A delivery whose body is not the JSON its event type promises."""

    def __init__(self, event_type: str, problems: list[str]) -> None:
        self.event_type = event_type
        self.problems = problems
        super().__init__(f"malformed {event_type} event: " + "; ".join(problems))


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Installation(_Payload):
    id: int


class FromRef(_Payload):
    """The previous value of a changed field (`changes.base.ref.from`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)
    from_: str = Field(default="", alias="from")


class BaseRefChange(_Payload):
    ref: FromRef | None = None


class PullRequestChanges(_Payload):
    """What an `edited` action changed; trigger cares about a retargeted base."""

    base: BaseRefChange | None = None


class PullRequestEvent(_Payload):
    action: str
    number: int
    pull_request: PullRequest
    label: Label | None = None
    """The label added or removed, on `labeled` / `unlabeled`."""
    changes: PullRequestChanges | None = None
    sender: User
    repository: Repo
    installation: Installation | None = None


class Issue(_Payload):
    number: int
    title: str = ""
    body: str | None = None
    user: User
    labels: tuple[Label, ...] = ()
    assignees: tuple[User, ...] = ()
    state: str = "open"
    html_url: str = ""
    author_association: str = ""
    pull_request: dict[str, Any] | None = None
    """Present (with its URLs) when the issue is a pull request."""

    @property
    def is_pull_request(self) -> bool:
        return self.pull_request is not None


class IssueCommentEvent(_Payload):
    action: str
    issue: Issue
    comment: IssueComment
    repository: Repo
    sender: User
    installation: Installation | None = None


class IssuesEvent(_Payload):
    """An issue opened, edited, labeled, ... (help and cat read an opened issue's body)."""

    action: str
    issue: Issue
    repository: Repo
    sender: User
    installation: Installation | None = None


class Review(_Payload):
    id: int
    user: User
    body: str | None = None
    state: str
    html_url: str = ""
    commit_id: str = ""
    submitted_at: str | None = None
    author_association: str = ""


class PullRequestReviewEvent(_Payload):
    action: str
    review: Review
    pull_request: PullRequest
    repository: Repo
    sender: User
    installation: Installation | None = None


class PullRequestReviewCommentEvent(_Payload):
    """A comment on a pull request's diff, created, edited or deleted."""

    action: str
    comment: IssueComment
    pull_request: PullRequest
    repository: Repo
    sender: User
    installation: Installation | None = None


class Owner(_Payload):
    """A push event's repository owner: `name` always, `login` in newer payloads."""

    login: str = ""
    name: str = ""

    @property
    def org(self) -> str:
        return self.login or self.name


class PushRepo(_Payload):
    name: str
    full_name: str
    owner: Owner
    html_url: str = ""
    default_branch: str = ""


class CommitAuthor(_Payload):
    name: str = ""
    email: str = ""
    username: str = ""


class Commit(_Payload):
    id: str
    message: str = ""
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    author: CommitAuthor | None = None
    timestamp: str = ""
    url: str = ""
    distinct: bool = True


class PushEvent(_Payload):
    ref: str
    before: str
    after: str
    created: bool = False
    deleted: bool = False
    forced: bool = False
    base_ref: str | None = None
    compare: str = ""
    commits: tuple[Commit, ...] = ()
    head_commit: Commit | None = None
    pusher: CommitAuthor
    sender: User
    repository: PushRepo
    installation: Installation | None = None

    @property
    def branch(self) -> str:
        """The branch pushed to, `refs/heads/` stripped (Prow's `PushEvent.Branch`)."""
        return self.ref.removeprefix("refs/heads/")


Event = (
    PullRequestEvent
    | IssueCommentEvent
    | PushEvent
    | PullRequestReviewEvent
    | PullRequestReviewCommentEvent
    | IssuesEvent
)

_MODELS: dict[str, type[Event]] = {
    EventType.PULL_REQUEST: PullRequestEvent,
    EventType.ISSUE_COMMENT: IssueCommentEvent,
    EventType.PUSH: PushEvent,
    EventType.PULL_REQUEST_REVIEW: PullRequestReviewEvent,
    EventType.PULL_REQUEST_REVIEW_COMMENT: PullRequestReviewCommentEvent,
    EventType.ISSUES: IssuesEvent,
}


def parse_event(event_type: str, body: bytes) -> Event | None:
    """The typed payload of one delivery; None for an event type minprow ignores."""
    model = _MODELS.get(event_type)
    if model is None:
        return None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MalformedEvent(event_type, [f"body is not JSON: {err}"]) from err
    return parse_payload(event_type, data)


def parse_payload(event_type: str, data: object) -> Event | None:
    """`parse_event` of a body already decoded from JSON (hook decodes it once)."""
    model = _MODELS.get(event_type)
    if model is None:
        return None
    if not isinstance(data, dict):
        raise MalformedEvent(event_type, [f"body is a JSON {type(data).__name__}, not an object"])
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(part) for part in e['loc']) or '(top)'}: {e['msg']}"
            for e in err.errors()
        ]
        raise MalformedEvent(event_type, problems) from err

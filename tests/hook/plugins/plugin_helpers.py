"""Helpers of the hold, label and lgtm tests: a GitHub fake that records calls,
the fixture plugins.yaml, real webhook payloads to adapt, and a `PluginContext`.

Imported as `from plugin_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fakes import VirtualClock

from minprow.config import Config, PluginConfig
from minprow.github.errors import LabelNotFound
from minprow.github.events import parse_event
from minprow.github.types import IssueComment, Label, PullRequest, Team, User
from minprow.hook.plugins.context import PluginContext
from minprow.store import JobStore

ROOT = Path(__file__).resolve().parents[3]
WEBHOOKS = ROOT / "fixtures" / "github" / "webhooks"
PLUGINS_YAML = ROOT / "fixtures" / "plugins" / "plugins.yaml"
GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
BOT = "k8s-ci-robot"
ORG, REPO = "Codertocat", "Hello-World"
AUTHOR = "Codertocat"
"""The author of the payloads' issue and pull request."""


def plugin_config() -> PluginConfig:
    return PluginConfig.model_validate(yaml.safe_load(PLUGINS_YAML.read_text()))


def payload(name: str) -> dict[str, Any]:
    """A copy of a vendored @octokit/webhooks-examples payload, to adapt."""
    data: dict[str, Any] = json.loads((WEBHOOKS / name).read_text())
    return copy.deepcopy(data)


def parsed(event_type: str, data: dict[str, Any]) -> Any:
    """The payload parsed by minprow's webhook models."""
    return parse_event(event_type, json.dumps(data).encode())


def pr_comment(body: str, *, user: str = AUTHOR, action: str = "created") -> Any:
    """A parsed `issue_comment` on pull request #1 by `user`."""
    data = payload("issue_comment.created.json")
    data["action"] = action
    data["comment"]["body"] = body
    data["comment"]["user"]["login"] = user
    data["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{ORG}/{REPO}/pulls/1"}
    return parsed("issue_comment", data)


def issue_comment(body: str, *, user: str = AUTHOR) -> Any:
    """A parsed `issue_comment` on issue #1 (not a pull request) by `user`."""
    data = payload("issue_comment.created.json")
    data["comment"]["body"] = body
    data["comment"]["user"]["login"] = user
    return parsed("issue_comment", data)


def review(state: str, body: str = "", *, user: str = "reviewer", user_type: str = "User") -> Any:
    """A parsed submitted `pull_request_review` on pull request #2."""
    data = payload("pull_request_review.submitted.json")
    data["review"]["state"] = state
    data["review"]["body"] = body
    data["review"]["user"]["login"] = user
    data["review"]["user"]["type"] = user_type
    return parsed("pull_request_review", data)


@dataclass
class FakeGitHub:
    """The GitHub calls of the hold, label and lgtm plugins, answered from
    in-memory state of one repository; every write is recorded in `calls`."""

    labels: list[str] = field(default_factory=list)
    """The labels on the issue or pull request."""
    repo_labels: list[str] | None = None
    """The repository's labels; None: the labels of the issue are all there is."""
    collaborators: set[str] = field(default_factory=set)
    members: set[str] = field(default_factory=set)
    comments: list[IssueComment] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    team_names: dict[str, str] = field(default_factory=dict)
    """Team slug -> name (for `sticky_lgtm_team`)."""
    teams: dict[str, set[str]] = field(default_factory=dict)
    """Team slug -> members."""
    head_sha: str = "0" * 40
    trees: dict[str, str] = field(default_factory=dict)
    """Commit sha -> its git tree."""

    async def get_user(self) -> User:
        return User(login=BOT, type="Bot")

    async def is_member(self, org: str, user: str) -> bool:
        return user in self.members

    async def is_collaborator(self, org: str, repo: str, user: str) -> bool:
        return user in self.collaborators

    async def list_issue_labels(self, org: str, repo: str, number: int) -> list[Label]:
        return [Label(name=n) for n in self.labels]

    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None:
        self.calls.append(("add_labels", number, tuple(labels)))
        self.labels.extend(labels)

    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None:
        self.calls.append(("remove_label", number, label))
        if label not in self.labels:
            raise LabelNotFound("DELETE", "labels", 404, f"label {label!r} is not on #{number}")
        self.labels.remove(label)

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None:
        self.calls.append(("comment", number, body))
        self.comments.append(
            IssueComment(id=len(self.comments) + 1, body=body, user=User(login=BOT, type="Bot"))
        )

    async def list_issue_comments(self, org: str, repo: str, number: int) -> list[IssueComment]:
        return list(self.comments)

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        self.calls.append(("delete_comment", comment_id))
        self.comments = [c for c in self.comments if c.id != comment_id]

    async def assign_issue(self, org: str, repo: str, number: int, logins: Sequence[str]) -> None:
        self.calls.append(("assign", number, tuple(logins)))

    async def request_review(self, org: str, repo: str, number: int, logins: Sequence[str]) -> None:
        self.calls.append(("request_review", number, tuple(logins)))

    async def get_pull_request(self, org: str, repo: str, number: int) -> PullRequest:
        branch = {"ref": "main", "sha": self.head_sha}
        return PullRequest.model_validate(
            {"number": number, "head": branch, "base": branch, "user": {"login": "author"}}
        )

    async def get_commit_tree(self, org: str, repo: str, sha: str) -> str:
        # An unknown commit has the zero tree, as in Prow's fake client.
        return self.trees.get(sha, "")

    async def list_teams(self, org: str) -> list[Team]:
        return [Team(name=name, slug=slug) for slug, name in self.team_names.items()]

    async def team_has_member(self, org: str, team_slug: str, user: str) -> bool:
        return user in self.teams.get(team_slug, set())

    def replies(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "comment"]

    def writes(self) -> list[tuple[Any, ...]]:
        """Every write but comments."""
        return [c for c in self.calls if c[0] != "comment"]


@dataclass
class FakeGitHubWithRepoLabels(FakeGitHub):
    """The fake with the repository's labels listed (`list_repo_labels`)."""

    async def list_repo_labels(self, org: str, repo: str) -> list[Label]:
        return [Label(name=n) for n in self.repo_labels or []]


def plugin_context(
    store: JobStore, github: Any, event_type: str, plugins: PluginConfig | None = None
) -> PluginContext:
    config = Config(plugins=plugins or plugin_config())
    return PluginContext(
        config=lambda: config,
        store=store,
        github=github,
        clock=VirtualClock(),
        log=logging.LoggerAdapter(logging.getLogger("test.plugins"), {}),
        delivery_id=GUID,
        event_type=event_type,
        org=ORG,
        repo=REPO,
    )

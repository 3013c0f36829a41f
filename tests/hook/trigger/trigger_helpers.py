"""Helpers of the trigger tests: a GitHub fake that records calls, the fixture
config, real webhook payloads to adapt, and a context over a real JobStore.

Imported as `from trigger_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minprow.config import Config, load_config
from minprow.github.events import parse_event
from minprow.github.types import (
    CombinedStatus,
    IssueComment,
    IssueSearchResult,
    Label,
    PullRequest,
    PullRequestChange,
    Status,
    User,
    WorkflowRun,
)
from minprow.hook.plugins.trigger import TriggerContext
from minprow.store import JobStore

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "trigger"
WEBHOOKS = ROOT / "fixtures" / "github" / "webhooks"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
BOT = "k8s-ci-robot"
ORG, REPO, NUMBER = "Codertocat", "Hello-World", 2
BASE_HEAD = "b" * 40
"""What heads/master points at now (differs from the payload's base.sha)."""


def load_trigger_config() -> Config:
    return load_config(FIXTURES / "config.yaml", FIXTURES / "jobs", FIXTURES / "plugins.yaml")


def payload(name: str) -> dict[str, Any]:
    """A copy of a vendored @octokit/webhooks-examples payload, to adapt."""
    data: dict[str, Any] = json.loads((WEBHOOKS / name).read_text())
    return copy.deepcopy(data)


def parsed(event_type: str, data: dict[str, Any]) -> Any:
    """The payload parsed by minprow's webhook models."""
    return parse_event(event_type, json.dumps(data).encode())


@dataclass
class FakeGitHub:
    """The GitHub calls of the trigger plugin, answered from in-memory state;
    every call that changes something is recorded in `calls`."""

    members: dict[str, set[str]] = field(default_factory=dict)
    collaborators: set[str] = field(default_factory=set)
    labels: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=lambda: ["README.md"])
    pull: dict[str, Any] | None = None
    statuses: list[tuple[str, str]] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    reads: list[str] = field(default_factory=list)

    async def get_user(self) -> User:
        return User(login=BOT, type="Bot")

    async def is_member(self, org: str, user: str) -> bool:
        self.reads.append(f"is_member {org} {user}")
        return user in self.members.get(org, set())

    async def is_collaborator(self, org: str, repo: str, user: str) -> bool:
        self.reads.append(f"is_collaborator {org}/{repo} {user}")
        return user in self.collaborators

    async def get_ref(self, org: str, repo: str, ref: str) -> str:
        self.reads.append(f"get_ref {ref}")
        return BASE_HEAD

    async def get_pull_request(self, org: str, repo: str, number: int) -> PullRequest:
        assert self.pull is not None, "test gave no pull request"
        return PullRequest.model_validate(self.pull)

    async def list_pull_request_files(
        self, org: str, repo: str, number: int
    ) -> list[PullRequestChange]:
        self.reads.append("files")
        return [PullRequestChange(filename=f) for f in self.files]

    async def list_issue_comments(self, org: str, repo: str, number: int) -> list[IssueComment]:
        return []

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        self.calls.append(("delete_comment", comment_id))

    async def get_pending_approval_action_runs(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        return []

    async def approve_workflow_run(self, org: str, repo: str, run_id: int) -> None:
        self.calls.append(("approve_run", run_id))

    async def get_failed_action_runs_by_head_branch(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        return []

    async def rerun_failed_workflow_jobs(self, org: str, repo: str, run_id: int) -> None:
        self.calls.append(("rerun_run", run_id))

    async def find_issues_with_org(
        self, org: str, query: str, sort: str = "", asc: bool = False
    ) -> list[IssueSearchResult]:
        return []

    async def list_issue_labels(self, org: str, repo: str, number: int) -> list[Label]:
        self.reads.append("labels")
        return [Label(name=n) for n in self.labels]

    async def add_labels(self, org: str, repo: str, number: int, labels: Any) -> None:
        self.calls.append(("add_labels", number, tuple(labels)))
        self.labels.extend(labels)

    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None:
        self.calls.append(("remove_label", number, label))
        self.labels.remove(label)

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None:
        self.calls.append(("comment", number, body))

    async def get_combined_status(self, org: str, repo: str, ref: str) -> CombinedStatus:
        self.reads.append(f"status {ref}")
        return CombinedStatus(
            sha=ref,
            state="pending",
            statuses=tuple(Status(context=c, state=s) for c, s in self.statuses),
        )

    def comments(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "comment"]


def context(gh: FakeGitHub, store: JobStore, config: Config | None = None) -> TriggerContext:
    return TriggerContext(
        github=gh,
        store=store,
        config=config or load_trigger_config(),
        now=NOW,
        event_guid=GUID,
        bot_login=BOT,
        create_backoff=0.0,  # create retries without waiting
    )


def job_names(store: JobStore) -> list[str]:
    return sorted(j.spec.job for j in store.list())

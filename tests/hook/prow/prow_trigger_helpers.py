"""Helpers of the Prow trigger conformance suite: the fixture tables, the config
each case describes, and small extensions of the trigger tests' GitHub fake.

The cases are Prow's own (pkg/plugins/trigger/*_test.go), kept as data under
fixtures/hook/prow/trigger/; a case may name `skip: <reason>` when it tests a Go
function with no behaviour a user could observe. The GitHub fake, the webhook
payloads and the `TriggerContext` come from tests/hook/trigger/trigger_helpers.py.

Imported as `from prow_trigger_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from trigger_helpers import FakeGitHub, payload

from minprow.config import Config, PluginConfig, Postsubmit, Presubmit, Trigger
from minprow.github.errors import GitHubError
from minprow.github.types import IssueComment, IssueSearchResult, User, WorkflowRun
from minprow.model import ProwJob
from minprow.store import JobStore, StoreError

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "hook" / "prow" / "trigger"


def table(name: str) -> dict[str, Any]:
    """One fixture file: Prow's test function as `world` (what every case shares)
    and `cases`."""
    data: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return data


def cases(name: str, xfail: Mapping[str, str] | None = None) -> list[Any]:
    """The cases of one fixture as `pytest.param`s with the Go case's name as id.

    A case with `skip: <reason>` is reported as skipped with that reason; a case
    named in `xfail` is expected to fail (strictly) for the reason given."""
    xfail = xfail or {}
    known = {case["name"] for case in table(name)["cases"]}
    unknown = set(xfail) - known
    assert not unknown, f"xfail names no case of {name}: {sorted(unknown)}"
    params = []
    for case in table(name)["cases"]:
        marks: list[Any] = []
        if "skip" in case:
            marks.append(pytest.mark.skip(reason=case["skip"]))
        elif case["name"] in xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=xfail[case["name"]]))
        params.append(pytest.param(case, id=case["name"], marks=marks))
    return params


def world(name: str) -> dict[str, Any]:
    world: dict[str, Any] = table(name).get("world", {})
    return world


def config(
    *,
    presubmits: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    postsubmits: Mapping[str, Iterable[Mapping[str, Any]]] | None = None,
    trigger: Mapping[str, Any] | None = None,
    prowjob_namespace: str = "prowjobs",
    scheduler_enabled: bool = False,
) -> Config:
    """The `Config` a case describes: jobs by "org/repo" and one trigger entry."""
    plugins = PluginConfig(triggers=[Trigger.model_validate(dict(trigger))] if trigger else [])
    cfg = Config(
        presubmits={
            repo: [Presubmit.model_validate(dict(job)) for job in jobs]
            for repo, jobs in (presubmits or {}).items()
        },
        postsubmits={
            repo: [Postsubmit.model_validate(dict(job)) for job in jobs]
            for repo, jobs in (postsubmits or {}).items()
        },
        prowjob_namespace=prowjob_namespace,
        plugins=plugins,
    )
    if scheduler_enabled:
        # Prow's `scheduler: {enabled: true}` in config.yaml; minprow keeps the
        # section it does not implement as read.
        cfg.raw_sections["scheduler"] = {"enabled": True}
        cfg.not_implemented.append("scheduler")
    return cfg


def pull_request(
    *,
    org: str,
    repo: str,
    number: int,
    author: str,
    branch: str = "master",
    head_sha: str | None = None,
    head_ref: str | None = None,
    draft: bool = False,
    mergeable: bool | None = None,
    body: str = "",
) -> dict[str, Any]:
    """The vendored `pull_request.opened` pull request, adapted to a case."""
    pr: dict[str, Any] = payload("pull_request.opened.json")["pull_request"]
    pr["number"] = number
    pr["user"]["login"] = author
    pr["base"]["ref"] = branch
    pr["base"]["repo"]["owner"]["login"] = org
    pr["base"]["repo"]["name"] = repo
    if head_sha is not None:
        pr["head"]["sha"] = head_sha
    if head_ref is not None:
        pr["head"]["ref"] = head_ref
    pr["draft"] = draft
    pr["mergeable"] = mergeable
    pr["body"] = body
    return pr


@dataclass
class ProwFakeGitHub(FakeGitHub):
    """The trigger tests' fake plus what Prow's trigger also calls: a PR's
    comments (to prune stale help replies), pending GitHub Actions runs (to
    approve on `/ok-to-test`) and the issue search (for the org invitation).
    minprow's trigger may never call these; the tests then see nothing recorded."""

    issue_comments: list[IssueComment] = field(default_factory=list)
    pending_runs: list[int] = field(default_factory=list)
    approved_runs: list[int] = field(default_factory=list)
    merged_prs: int = 0
    search_fails: bool = False
    searches: list[tuple[str, str, str, bool]] = field(default_factory=list)

    async def list_issue_comments(self, org: str, repo: str, number: int) -> list[IssueComment]:
        return list(self.issue_comments)

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        self.calls.append(("delete_comment", comment_id))
        self.issue_comments = [c for c in self.issue_comments if c.id != comment_id]

    async def get_pending_approval_action_runs(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        self.reads.append(f"pending runs {branch} {head_sha}")
        return [WorkflowRun(id=run, status="action_required") for run in self.pending_runs]

    async def approve_workflow_run(self, org: str, repo: str, run_id: int) -> None:
        self.calls.append(("approve_run", run_id))
        self.approved_runs.append(run_id)

    async def find_issues_with_org(
        self, org: str, query: str, sort: str = "", asc: bool = False
    ) -> list[IssueSearchResult]:
        self.searches.append((org, query, sort, asc))
        if self.search_fails:
            raise GitHubError("GET", "/search/issues", 503, "search failed")
        return [IssueSearchResult(number=n + 1, state="closed") for n in range(self.merged_prs)]

    def seed_comment(self, body: str, login: str) -> None:
        self.issue_comments.append(
            IssueComment(id=len(self.issue_comments) + 1, body=body, user=User(login=login))
        )

    def added_labels(self) -> list[str]:
        return [label for c in self.calls if c[0] == "add_labels" for label in c[2]]

    def removed_labels(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "remove_label"]

    def deleted_comments(self) -> list[int]:
        return [c[1] for c in self.calls if c[0] == "delete_comment"]


class FlakyStore:
    """A JobStore whose `create` fails: always for the jobs named in `fail_jobs`,
    and for the first `fail_first` attempts of any job. Counts the attempts."""

    def __init__(
        self, store: JobStore, *, fail_jobs: Iterable[str] = (), fail_first: int = 0
    ) -> None:
        self._store = store
        self._fail_jobs = set(fail_jobs)
        self._fail_left = fail_first
        self.attempts = 0

    async def create(self, job: ProwJob) -> ProwJob:
        self.attempts += 1
        if job.spec.job in self._fail_jobs:
            raise StoreError(f"failed to create job {job.spec.job}")
        if self._fail_left > 0:
            self._fail_left -= 1
            raise StoreError("need retrying")
        return await self._store.create(job)

    def list(self, **filters: Any) -> list[ProwJob]:
        return self._store.list(**filters)

    async def mutate(self, name: str, fn: Any, *, retries: int = 5) -> ProwJob:
        return await self._store.mutate(name, fn, retries=retries)


def reply_lines(body: str) -> list[str]:
    """The lines of a reply, without the quoted comment it answers (lines
    starting with ">") and without surrounding blanks."""
    return [line.strip() for line in body.splitlines() if not line.startswith(">")]


def check_help_reply(
    body: str, facts: Mapping[str, Any], job_names: Iterable[str], notes: Mapping[str, str]
) -> None:
    """Assert the facts of a `/test` help reply, not its wording: who is
    mentioned, which problem it notes (minprow's own note text for that problem),
    exactly which commands it lists (each on a line of its own; required ones
    before optional ones), and which jobs it names as run by `/test all` (each
    on a line of its own; "all" means it names none, every job being one)."""
    for login in facts.get("mentions", []):
        assert f"@{login}" in body, body
    note = facts.get("note")
    if note is not None:
        assert notes[note] in body, body
    lines = reply_lines(body)
    required = list(facts.get("required_commands", []))
    optional = list(facts.get("optional_commands", []))
    listed = [line for line in lines if line.startswith("/")]
    assert sorted(set(listed)) == sorted(required + optional), body
    if required and optional:
        assert max(listed.index(c) for c in required) < min(listed.index(c) for c in optional)
    test_all = facts.get("test_all", "all")
    named = sorted({line for line in lines if line in set(job_names)})
    assert named == ([] if test_all == "all" else sorted(test_all)), body


__all__ = [
    "FlakyStore",
    "ProwFakeGitHub",
    "cases",
    "check_help_reply",
    "config",
    "pull_request",
    "table",
    "world",
]

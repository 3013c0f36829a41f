"""trigger's comment handler over the real `issue_comment` payload made a PR
comment: trust, labels, `/retest` from the combined status, help answers."""

from __future__ import annotations

from typing import Any

import pytest
from trigger_helpers import (
    BOT,
    ORG,
    FakeGitHub,
    context,
    job_names,
    load_trigger_config,
    parsed,
    payload,
)

from minprow.config import Trigger
from minprow.github.types import WorkflowRun
from minprow.hook.plugins.generic import from_issue_comment as comment_event
from minprow.hook.plugins.trigger import handle_comment
from minprow.store import JobStore

AUTO = ["not-docs", "optional-check", "unit"]
MEMBER = {ORG: {"Codertocat"}}


def _pull(author: str = "Codertocat", **changes: Any) -> dict[str, Any]:
    pr: dict[str, Any] = payload("pull_request.opened.json")["pull_request"]
    pr["number"] = 1
    pr["user"]["login"] = author
    pr.update(changes)
    return pr


def _comment(
    body: str,
    *,
    commenter: str = "Codertocat",
    author: str = "Codertocat",
    is_pr: bool = True,
    action: str = "created",
    state: str = "open",
) -> Any:
    data = payload("issue_comment.created.json")
    data["action"] = action
    data["comment"]["body"] = body
    data["comment"]["user"]["login"] = commenter
    data["issue"]["user"]["login"] = author
    data["issue"]["state"] = state
    if is_pr:
        url = "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"
        data["issue"]["pull_request"] = {"url": url}
    return parsed("issue_comment", data)


@pytest.mark.parametrize(
    ("body", "kwargs", "jobs"),
    [
        ("/test all", {}, AUTO),
        ("/test e2e", {}, ["e2e"]),
        ("/test e2e unit", {}, ["e2e", "unit"]),
        ("/run custom", {}, ["custom"]),
        ("/test all", {"is_pr": False}, []),
        ("/test all", {"action": "edited"}, []),
        ("/test all", {"state": "closed"}, []),
        ("/test all", {"commenter": BOT}, []),
        ("/lgtm", {}, []),
        ("```\n/test all\n```", {}, []),
        ("/test all", {"commenter": "mallory"}, AUTO),
        ("/test all", {"commenter": "dependabot[bot]", "author": "mallory"}, AUTO),
        ("/test all", {"commenter": "dependabot", "author": "mallory"}, []),
        ("/test-manual-required", {}, ["custom", "e2e"]),
        ("/test-manual-required", {"commenter": "mallory", "author": "mallory"}, []),
    ],
    ids=[
        "test-all",
        "explicit-job",
        "two-jobs",
        "custom-trigger",
        "not-a-pr",
        "edited-comment",
        "closed-pr",
        "bot-comment",
        "not-for-trigger",
        "in-code-block",
        "stranger-on-trusted-pr",
        "trusted-app-on-untrusted-pr",
        "spoofed-app-login-on-untrusted-pr",
        "test-manual-required",
        "test-manual-required-untrusted",
    ],
)
async def test_comment_starts_jobs(
    store: JobStore, body: str, kwargs: dict[str, Any], jobs: list[str]
) -> None:
    gh = FakeGitHub(members=MEMBER, pull=_pull(author=kwargs.get("author", "Codertocat")))
    await handle_comment(context(gh, store), comment_event(_comment(body, **kwargs)))
    assert job_names(store) == jobs


@pytest.mark.parametrize(
    ("trigger", "labels", "reply"),
    [
        (None, [], "Tests cannot start until a trusted user reviews the PR"),
        (Trigger(repos=["Codertocat"], ignore_ok_to_test=True), [], "cannot mark pull requests"),
        (None, ["ok-to-test"], None),
    ],
    ids=["untrusted", "untrusted-ignore-ok-to-test", "ok-to-test-label-makes-it-trusted"],
)
async def test_untrusted_commenter_on_untrusted_pr(
    store: JobStore, trigger: Trigger | None, labels: list[str], reply: str | None
) -> None:
    config = load_trigger_config()
    if trigger is not None:
        config.plugins.triggers = [trigger]
    gh = FakeGitHub(labels=list(labels), pull=_pull(author="mallory"))
    event = _comment("/test all", commenter="mallory", author="mallory")
    await handle_comment(context(gh, store, config), comment_event(event))
    if reply is None:
        assert job_names(store) == AUTO
        assert gh.comments() == []
    else:
        assert job_names(store) == []
        [body] = gh.comments()
        assert body.startswith("@mallory: ")
        assert reply in body
        assert ">/test all" in body
        assert "issuecomment-492700400" in body


@pytest.mark.parametrize(
    ("commenter", "labels", "calls", "jobs"),
    [
        (
            "Codertocat",
            ["needs-ok-to-test"],
            [
                ("add_labels", 1, ("ok-to-test",)),
                ("remove_label", 1, "needs-ok-to-test"),
            ],
            AUTO,
        ),
        ("Codertocat", ["ok-to-test"], [], AUTO),
        ("mallory", ["needs-ok-to-test"], None, []),
    ],
    ids=["member-ok-to-test", "already-ok", "stranger-cannot-ok-to-test"],
)
async def test_ok_to_test(
    store: JobStore,
    commenter: str,
    labels: list[str],
    calls: list[tuple[Any, ...]] | None,
    jobs: list[str],
) -> None:
    gh = FakeGitHub(members=MEMBER, labels=list(labels), pull=_pull(author="newcomer"))
    event = _comment("/ok-to-test", commenter=commenter, author="newcomer")
    await handle_comment(context(gh, store), comment_event(event))
    assert job_names(store) == jobs
    if calls is not None:
        assert gh.calls == calls


@pytest.mark.parametrize(
    ("commenter", "labels", "calls", "reply"),
    [
        (
            "Codertocat",
            ["ok-to-test"],
            [("remove_label", 1, "ok-to-test"), ("add_labels", 1, ("needs-ok-to-test",))],
            None,
        ),
        ("Codertocat", [], [("add_labels", 1, ("needs-ok-to-test",))], None),
        ("Codertocat", ["needs-ok-to-test"], [], None),
        ("mallory", ["ok-to-test"], [], "Only trusted users can revoke `/ok-to-test`."),
    ],
    ids=["member-revokes", "member-on-unlabelled-pr", "already-revoked", "stranger-cannot"],
)
async def test_ok_to_test_cancel(
    store: JobStore,
    commenter: str,
    labels: list[str],
    calls: list[tuple[Any, ...]],
    reply: str | None,
) -> None:
    gh = FakeGitHub(members=MEMBER, labels=list(labels), pull=_pull(author="newcomer"))
    event = _comment("/ok-to-test cancel", commenter=commenter, author="newcomer")
    await handle_comment(context(gh, store), comment_event(event))
    assert job_names(store) == []
    assert [c for c in gh.calls if c[0] != "comment"] == calls
    if reply is None:
        assert gh.comments() == []
    else:
        [body] = gh.comments()
        assert body.startswith(f"@{commenter}: ")
        assert reply in body


@pytest.mark.parametrize(
    ("body", "statuses", "jobs", "retest_label"),
    [
        (
            "/retest",
            [("unit", "failure"), ("e2e", "error"), ("not-docs", "success")],
            ["e2e", "optional-check", "unit"],
            True,
        ),
        (
            "/retest-required",
            [("unit", "failure"), ("optional-check", "failure")],
            ["not-docs", "unit"],
            True,
        ),
        ("/test unit", [("unit", "failure")], ["unit"], False),
    ],
    ids=["retest-failed-errored-and-missing", "retest-required", "test-is-not-a-retest"],
)
async def test_retest(
    store: JobStore,
    body: str,
    statuses: list[tuple[str, str]],
    jobs: list[str],
    retest_label: bool,
) -> None:
    pull = _pull()
    gh = FakeGitHub(members=MEMBER, pull=pull, statuses=statuses)
    await handle_comment(context(gh, store), comment_event(_comment(body)))
    assert job_names(store) == jobs
    for job in store.list():
        assert (job.metadata.labels.get("prow.k8s.io/retest") == "true") is retest_label
    if retest_label:
        assert f"status {pull['head']['sha']}" in gh.reads


@pytest.mark.parametrize(
    ("body", "note"),
    [
        ("/test ?", "These commands run required jobs"),
        ("/test", "`/test` needs the name of at least one job."),
        ("/test nothing-like-it", "No job matches the name(s) given to `/test`."),
        ("/retest unit", "`/retest` takes no job names."),
    ],
    ids=["help", "empty-test", "unknown-job", "retest-with-target"],
)
async def test_help_answers(store: JobStore, body: str, note: str) -> None:
    gh = FakeGitHub(members=MEMBER, pull=_pull())
    await handle_comment(context(gh, store), comment_event(_comment(body)))
    assert job_names(store) == []
    [reply] = gh.comments()
    assert note in reply
    assert "```\n/test e2e\n```" in reply


async def test_unmergeable_pr_starts_nothing(store: JobStore) -> None:
    gh = FakeGitHub(members=MEMBER, pull=_pull(mergeable=False))
    await handle_comment(context(gh, store), comment_event(_comment("/test all")))
    assert job_names(store) == []


async def test_trigger_comment_job_refs(store: JobStore) -> None:
    pull = _pull(title="A title")
    gh = FakeGitHub(members=MEMBER, pull=pull)
    await handle_comment(context(gh, store), comment_event(_comment("/test e2e")))
    [job] = store.list()
    assert job.spec.refs is not None
    assert job.spec.refs.pulls is not None
    [first] = job.spec.refs.pulls
    assert (first.number, first.sha, first.title) == (1, pull["head"]["sha"], "A title")
    assert job.metadata.labels["team"] == "e2e"
    assert job.metadata.labels["prow.k8s.io/is-optional"] == "false"


class _WithFailedRuns(FakeGitHub):
    async def get_failed_action_runs_by_head_branch(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        return [WorkflowRun(id=41, status="completed", conclusion="failure")]


@pytest.mark.parametrize(
    ("body", "workflows", "reruns"),
    [
        ("/retest", True, [41]),
        ("/test all", True, [41]),
        ("/test e2e", True, []),
        ("/retest", False, []),
    ],
    ids=["retest", "test-all", "named-test", "setting-off"],
)
async def test_failed_github_workflows_rerun(
    store: JobStore, body: str, workflows: bool, reruns: list[int]
) -> None:
    config = load_trigger_config()
    config.plugins.triggers = [Trigger(repos=["Codertocat"], trigger_github_workflows=workflows)]
    gh = _WithFailedRuns(members=MEMBER, pull=_pull(), statuses=[("unit", "failure")])
    await handle_comment(context(gh, store, config), comment_event(_comment(body)))
    assert [c[1] for c in gh.calls if c[0] == "rerun_run"] == reruns

"""Prow's own trigger plugin tests, run against minprow's trigger plugin.

The table cases of Prow's pkg/plugins/trigger/{generic-comment,pull-request,push,
trigger}_test.go are data under fixtures/hook/prow/trigger/ (one file per Go test
function, each case under its Go name). Each test here drives minprow's real
handlers (minprow/hook/plugins/trigger/) with one case through the trigger tests'
GitHub fake and a real in-memory JobStore, and checks Prow's expected outcome:
the jobs started, the labels added and removed, the comments and the facts they
carry. Where minprow lacks what Prow does, the case stays and is a strict xfail
saying what differs and where.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from prow_trigger_helpers import (
    FlakyStore,
    ProwFakeGitHub,
    cases,
    check_help_reply,
    config,
    pull_request,
    table,
    world,
)
from trigger_helpers import BASE_HEAD, NOW, context, parsed, payload

from minprow.config import Presubmit, Trigger
from minprow.hook.plugins.generic import GenericComment
from minprow.hook.plugins.trigger import (
    TRIGGER,
    handle_comment,
    handle_pull_request,
    handle_push,
    pull_request_event,
    push_event,
    trusted_pull_request,
    trusted_user,
)
from minprow.hook.plugins.trigger import PullRequest as TriggerPullRequest
from minprow.hook.plugins.trigger.filters import RetestFilter
from minprow.hook.plugins.trigger.help import (
    NO_TARGET_NOTE,
    NO_TEST_ALL_NOTE,
    NOT_FOUND_NOTE,
    RETEST_TARGET_NOTE,
    help_message,
)
from minprow.hook.plugins.trigger.run import ABORTED_DESCRIPTION, abort_all_jobs, run_requested
from minprow.hook.plugins.trigger.trust import _reason as trust_reason
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.pjutil import new_presubmit, pull_request_refs
from minprow.store import JobStore

NOTES = {
    "test_without_target": NO_TARGET_NOTE,
    "retest_with_target": RETEST_TARGET_NOTE,
    "target_not_found": NOT_FOUND_NOTE,
    "no_test_all_jobs": NO_TEST_ALL_NOTE,
}
"""The problems a help reply points out, as minprow words them."""

# --- TestHandleGenericComment ---------------------------------------------------

GENERIC = "handle_generic_comment.yaml"
GENERIC_XFAIL: dict[str, str] = {}


def _generic_world(case: dict[str, Any], w: dict[str, Any]) -> tuple[ProwFakeGitHub, Any]:
    members = {org: set(users) for org, users in w["org_members"].items()}
    gh = ProwFakeGitHub(
        members=members,
        collaborators=set(w["collaborators"]),
        labels=list(case.get("issue_labels", [])),
        files=list(w["changed_files"]),
        statuses=list(w["statuses"].items()),
        pull=pull_request(
            org=w["org"],
            repo=w["repo"],
            number=w["number"],
            author=case.get("pr_author", ""),
            branch=case.get("branch", w["branch"]),
            head_sha=w["head_sha"],
        ),
    )
    cfg = config(
        presubmits={f"{w['org']}/{w['repo']}": case.get("presubmits", w["presubmits"])},
        trigger={
            "repos": [f"{w['org']}/{w['repo']}"],
            "ignore_ok_to_test": case.get("ignore_ok_to_test", False),
        },
    )
    return gh, cfg


def _generic_comment(case: dict[str, Any], w: dict[str, Any]) -> GenericComment:
    return GenericComment(
        action="created",
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        is_pr=case["is_pr"],
        issue_state=case["state"],
        issue_author=case.get("pr_author", ""),
        author=case["author"],
        body=case["body"],
    )


@pytest.mark.parametrize("case", cases(GENERIC, GENERIC_XFAIL))
async def test_handle_generic_comment(store: JobStore, case: dict[str, Any]) -> None:
    w = world(GENERIC)
    gh, cfg = _generic_world(case, w)
    expect = case["expect"]
    names = [job["name"] for job in case.get("presubmits", w["presubmits"])]
    # Prow handles the same comment twice (hook may see a body twice) and
    # checks the outcome after each.
    for _ in range(2):
        await handle_comment(context(gh, store, cfg), _generic_comment(case, w))
        started = {job.spec.context for job in store.list()}
        assert bool(started) is expect["builds"], started
        if "starts_exactly" in expect:
            assert started == {expect["starts_exactly"]}
        assert gh.added_labels() == expect.get("added_labels", [])
        assert gh.removed_labels() == expect.get("removed_labels", [])
        comment = expect.get("comment")
        if comment == "none":
            assert gh.comments() == []
        elif comment is not None:
            assert gh.comments()
            for body in gh.comments():
                check_help_reply(body, comment, names, NOTES)


@pytest.mark.parametrize("case", cases(GENERIC))
async def test_handle_generic_comment_prunes_help(store: JobStore, case: dict[str, Any]) -> None:
    """The `PruneHelp` half of the same cases: with an earlier help reply of the
    bot on the PR, is it deleted?"""
    w = world(GENERIC)
    gh, cfg = _generic_world(case, w)
    stale = help_message(w["org"], w["repo"], "master", "", {"job"}, set(), {"/test job"})
    gh.seed_comment(f"@{case['author']}: {stale}", w["bot"])
    await handle_comment(context(gh, store, cfg), _generic_comment(case, w))
    assert bool(gh.deleted_comments()) is case["expect"].get("prunes_help", False)


# --- TestRetestFilter -----------------------------------------------------------


@pytest.mark.parametrize("case", cases("retest_filter.yaml"))
def test_retest_filter(case: dict[str, Any]) -> None:
    chosen = RetestFilter(frozenset(case["failed_contexts"]), frozenset(case["all_contexts"]))
    verdicts = [
        list(chosen.should_run(Presubmit.model_validate(job))) for job in case["presubmits"]
    ]
    assert verdicts == case["expect"]


# --- TestApproveGitHubActionsWorkflowRuns ---------------------------------------

APPROVE = "approve_github_actions_workflow_runs.yaml"
APPROVE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(APPROVE, APPROVE_XFAIL))
async def test_approve_github_actions_workflow_runs(store: JobStore, case: dict[str, Any]) -> None:
    w = world(APPROVE)
    gh = ProwFakeGitHub(
        members={org: set(users) for org, users in w["org_members"].items()},
        pending_runs=list(case["pending_runs"]),
        pull=pull_request(
            org=w["org"],
            repo=w["repo"],
            number=w["number"],
            author=w["pr_author"],
            branch=w["branch"],
            head_sha=w["head_sha"],
            head_ref=w["head_ref"],
        ),
    )
    cfg = config(
        presubmits={f"{w['org']}/{w['repo']}": w["presubmits"]},
        trigger={
            "repos": [f"{w['org']}/{w['repo']}"],
            "trigger_github_workflows": case["trigger_github_workflows"],
            "ignore_ok_to_test": case["ignore_ok_to_test"],
        },
    )
    comment = GenericComment(
        action="created",
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        is_pr=True,
        issue_state="open",
        issue_author=w["pr_author"],
        author=w["commenter"],
        body=case["body"],
    )
    await handle_comment(context(gh, store, cfg), comment)
    assert sorted(gh.approved_runs) == case["expect"]["approved_runs"]


# --- TestTrusted ----------------------------------------------------------------


@pytest.mark.parametrize("case", cases("trusted.yaml"))
async def test_trusted(case: dict[str, Any]) -> None:
    w = world("trusted.yaml")
    gh = ProwFakeGitHub(
        members={org: set(users) for org, users in w["org_members"].items()},
        collaborators=set(w["collaborators"]),
    )
    trigger = Trigger.model_validate(w["trigger"])
    _, trusted = await trusted_pull_request(
        gh,
        trigger,
        case["author"],
        w["org"],
        w["repo"],
        w["number"],
        list(case["labels"]) or None,
        bot_login=w["bot"],
    )
    assert trusted is case["expect"]["trusted"]


# --- TestHandlePullRequest ------------------------------------------------------

PULL = "handle_pull_request.yaml"


def _pr_refs(org: str, repo: str, number: int, author: str = "t") -> Any:
    return pull_request_refs(
        org=org,
        repo=repo,
        base_ref="master",
        base_sha=BASE_HEAD,
        number=number,
        author=author,
        head_sha="c" * 40,
    )


async def _existing_job(store: JobStore, refs: Any, name: str) -> ProwJob:
    # Started by an earlier delivery: trigger never aborts what the delivery it
    # is handling created (a replay after a crash), and Prow's table does not
    # tell its GUIDs apart.
    job = new_presubmit(
        refs,
        Presubmit(name=name),
        now=NOW,
        event_guid="an-earlier-delivery",
        prowjob_namespace="prowjobs",
    )
    return await store.create(job)


def _pull_request_event(
    w: dict[str, Any],
    *,
    author: str,
    action: str,
    draft: bool = False,
    label: str = "",
    sender: str = "",
    base_changed: bool = False,
    author_type: str = "User",
) -> Any:
    data = payload("pull_request.opened.json")
    data["action"] = action
    data["pull_request"] = pull_request(
        org=w["org"], repo=w["repo"], number=w["number"], author=author, draft=draft
    )
    data["pull_request"]["user"]["type"] = author_type
    if label:
        data["label"] = {"name": label, "color": "fff"}
    data["sender"]["login"] = sender or author
    if base_changed:
        data["changes"] = {"base": {"ref": {"from": "REF"}, "sha": {"from": "SHA"}}}
    return parsed("pull_request", data)


@pytest.mark.parametrize("case", cases(PULL))
async def test_handle_pull_request(store: JobStore, case: dict[str, Any]) -> None:
    w = world(PULL)
    existing = await _existing_job(
        store, _pr_refs(w["org"], w["repo"], w["number"]), w["existing_job"]["name"]
    )
    gh = ProwFakeGitHub(
        members={org: set(users) for org, users in w["org_members"].items()},
        labels=["ok-to-test"] if case.get("has_ok_to_test") else [],
    )
    cfg = config(
        presubmits={f"{w['org']}/{w['repo']}": w["presubmits"]},
        trigger={"repos": [f"{w['org']}/{w['repo']}"], **w["trigger"]},
    )
    event = _pull_request_event(
        w,
        author=case["author"],
        action=case["action"],
        draft=case.get("draft", False),
        label=case.get("label", ""),
        sender=case.get("sender", ""),
        base_changed=case.get("base_changed", False),
    )
    gh.pull = event.pull_request.model_dump(mode="json")
    await handle_pull_request(context(gh, store, cfg), pull_request_event(event))
    expect = case["expect"]
    started = [j for j in store.list() if j.metadata.name != existing.metadata.name]
    assert bool(started) is expect["builds"], [j.spec.job for j in started]
    assert bool(gh.comments()) is expect.get("comments", False), gh.comments()
    assert gh.added_labels() == expect.get("added_labels", [])
    if "aborts_existing_job" in expect:
        job = store.get(existing.metadata.name)
        assert (job.status.state == ProwJobState.ABORTED) is expect["aborts_existing_job"]
        assert job.status.completion_time is None


# --- TestAbortAllJobs -----------------------------------------------------------


@pytest.mark.parametrize("case", cases("abort_all_jobs.yaml"))
async def test_abort_all_jobs(store: JobStore, case: dict[str, Any]) -> None:
    w = world("abort_all_jobs.yaml")
    spec = case["job"]
    refs = _pr_refs(spec.get("org", w["org"]), spec.get("repo", w["repo"]), spec.get("pull", 1))
    job = new_presubmit(
        refs,
        Presubmit(name="my-pj"),
        now=NOW,
        event_guid="an-earlier-delivery",
        prowjob_namespace="prowjobs",
    )
    if "type" in spec:
        job.spec.type = ProwJobType(spec["type"])
    if spec.get("completed"):
        job.status.state = ProwJobState.SUCCESS
        job.status.completion_time = NOW
    created = await store.create(job)
    pr = TriggerPullRequest(
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        author="",
        head_sha="",
        base_ref="",
        base_sha="",
    )
    await abort_all_jobs(context(ProwFakeGitHub(), store), pr)
    after = store.get(created.metadata.name)
    aborted = (
        after.status.state == ProwJobState.ABORTED
        and after.status.description == ABORTED_DESCRIPTION
    )
    assert aborted is case["expect"]["aborted"]


# --- The org invitation: TestShouldHighlightJoinOrgMessage* and TestOrgInvitationGuidance

INVITE_XFAIL = {
    "should_highlight_join_org_message.yaml": {},
    "should_highlight_join_org_message_uses_filtered_query.yaml": {},
    "should_highlight_join_org_message_custom_threshold.yaml": {},
    "org_invitation_guidance.yaml": {},
    "should_highlight_join_org_message_ignores_search_errors.yaml": {},
    "should_highlight_join_org_message_skips_bot_authors.yaml": {},
}


@pytest.mark.parametrize(
    ("fixture", "case"),
    [
        pytest.param(name, *p.values, id=f"{table(name)['go_test']}/{p.id}", marks=p.marks)
        for name, xfail in INVITE_XFAIL.items()
        for p in cases(name, xfail)
    ],
)
async def test_org_invitation(store: JobStore, fixture: str, case: dict[str, Any]) -> None:
    w = world(fixture)
    gh = ProwFakeGitHub(
        merged_prs=case.get("merged_prs", 0), search_fails=case.get("search_fails", False)
    )
    trigger: dict[str, Any] = {"repos": [f"{w['org']}/{w['repo']}"]}
    if "join_org_url" in case:
        trigger["join_org_url"] = case["join_org_url"]
    if "org_invite" in case:
        trigger["org_invite"] = case["org_invite"]
    cfg = config(presubmits={f"{w['org']}/{w['repo']}": w["presubmits"]}, trigger=trigger)
    event = _pull_request_event(
        w, author=case["author"], action="opened", author_type=case.get("author_type", "User")
    )
    gh.pull = event.pull_request.model_dump(mode="json")
    await handle_pull_request(context(gh, store, cfg), pull_request_event(event))
    [welcome] = gh.comments()
    expect = case["expect"]
    if "highlighted" in expect:
        assert ("[!TIP]" in welcome) is expect["highlighted"], welcome
    for text in expect.get("contains", []):
        assert text in welcome, welcome
    if "searches" in expect:
        assert [list(s) for s in gh.searches] == expect["searches"]


# --- push_test.go: TestCreateRefs, TestHandlePE, TestHandlePEScheduling -------------


def _push_event(
    *,
    ref: str,
    owner: str,
    repo: str,
    owner_name: str | None = None,
    after: str = "",
    deleted: bool = False,
    commits: list[dict[str, Any]] | None = None,
    html_url: str | None = None,
    compare: str | None = None,
) -> Any:
    """The vendored `push` payload, adapted to a case."""
    data = payload("push.event.4.json")
    data["ref"] = ref
    data["after"] = after
    data["deleted"] = deleted
    data["repository"]["owner"]["login"] = owner
    # Prow's events in these tests carry the owner's login only.
    data["repository"]["owner"]["name"] = owner if owner_name is None else owner_name
    data["repository"]["name"] = repo
    if html_url is not None:
        data["repository"]["html_url"] = html_url
    if compare is not None:
        data["compare"] = compare
    data["commits"] = [
        {
            "id": str(n),
            "added": c.get("added", []),
            "removed": c.get("removed", []),
            "modified": c.get("modified", []),
        }
        for n, c in enumerate(commits or [])
    ]
    return parsed("push", data)


@pytest.mark.parametrize("case", cases("create_refs.yaml"))
async def test_create_refs(store: JobStore, case: dict[str, Any]) -> None:
    push = case["push"]
    event = _push_event(
        ref=push["ref"],
        owner=push["owner"]["login"],
        owner_name=push["owner"]["name"],
        repo=push["repo"],
        after=push["after"],
        html_url=push["html_url"],
        compare=push["compare"],
    )
    cfg = config(postsubmits=case["postsubmits"])
    await handle_push(context(ProwFakeGitHub(), store, cfg), push_event(event))
    [job] = store.list()
    assert job.spec.refs is not None
    refs = job.spec.refs.model_dump(exclude_none=True, exclude_defaults=True)
    assert refs == case["expect"]["refs"]


@pytest.mark.parametrize("case", cases("handle_pe.yaml"))
async def test_handle_pe(store: JobStore, case: dict[str, Any]) -> None:
    cfg = config(postsubmits=world("handle_pe.yaml")["postsubmits"])
    event = _push_event(
        ref=case["ref"],
        owner=case["owner"],
        repo=case["repo"],
        after=case.get("after", ""),
        deleted=case.get("deleted", False),
        commits=case.get("commits"),
    )
    await handle_push(context(ProwFakeGitHub(), store, cfg), push_event(event))
    assert len(store.list()) == case["expect"]["jobs_to_run"]


SCHEDULING_XFAIL = {
    "Create job in scheduling state": (
        "with the scheduler enabled Prow creates ProwJobs in state `scheduling`; "
        "minprow has no scheduler setting (config.yaml `scheduler` is kept unread) and "
        "its trigger (push.py handle_push) never passes require_scheduling to "
        "pjutil.new_postsubmit, so the job is `triggered`"
    )
}


@pytest.mark.parametrize("case", cases("handle_pe_scheduling.yaml", SCHEDULING_XFAIL))
async def test_handle_pe_scheduling(store: JobStore, case: dict[str, Any]) -> None:
    w = world("handle_pe_scheduling.yaml")
    cfg = config(postsubmits=w["postsubmits"], scheduler_enabled=case["scheduler_enabled"])
    event = _push_event(ref=w["ref"], owner=w["owner"], repo=w["repo"])
    await handle_push(context(ProwFakeGitHub(), store, cfg), push_event(event))
    jobs = store.list()
    assert [j.spec.job for j in jobs] == case["expect"]["jobs"]
    assert jobs[0].status.state == ProwJobState(case["expect"]["state"])


# --- trigger_test.go ------------------------------------------------------------


@pytest.mark.parametrize("case", cases("help_provider.yaml"))
def test_help_provider(case: dict[str, Any]) -> None:
    """minprow's help does not depend on the configuration: one text for all."""
    w = world("help_provider.yaml")
    config(trigger=case["triggers"][0] if case["triggers"] else None)
    help_text = TRIGGER.help
    assert help_text
    for command in w["commands"]:
        assert command in help_text, command


def _trigger_pull(pr: dict[str, Any]) -> TriggerPullRequest:
    return TriggerPullRequest(
        org=pr.get("org", ""),
        repo=pr.get("repo", ""),
        number=0,
        author="",
        head_sha=pr.get("head_sha", ""),
        base_ref=pr.get("branch", ""),
        base_sha=BASE_HEAD,
        mergeable=pr.get("mergeable"),
    )


@pytest.mark.parametrize("case", cases("run_requested.yaml"))
async def test_run_requested(store: JobStore, case: dict[str, Any]) -> None:
    flaky = FlakyStore(store, fail_jobs=case.get("fail_jobs", []))
    ctx = replace(context(ProwFakeGitHub(), store, config()), store=flaky)
    jobs = [Presubmit.model_validate(job) for job in case["requested"]]
    error = False
    try:
        await run_requested(ctx, _trigger_pull(case["pr"]), jobs)
    except Exception:
        error = True
    assert sorted(j.spec.job for j in store.list()) == case["expect"]["jobs"]
    assert error is case["expect"]["error"]


@pytest.mark.parametrize("case", cases("validate_context_overlap.yaml"))
def test_validate_context_overlap(case: dict[str, Any]) -> None:
    pytest.fail("every case is skipped: the fixture says why")


TRUSTED_USER_XFAIL = {
    "Self as app is trusted": (
        "on purpose: Prow's fake client trims `[bot]` from every login before comparing it "
        "with the bot's name, so `k8s-ci-robot[bot]` is the token-authenticated bot "
        "`k8s-ci-robot`. minprow knows its own login exactly (`<slug>[bot]` when it is a "
        "GitHub App, the user's login otherwise: trust.py trusted_user), so an App someone "
        "registered under the bot user's name is not trusted as the bot"
    )
}


@pytest.mark.parametrize("case", cases("trusted_user.yaml", TRUSTED_USER_XFAIL))
async def test_trusted_user(case: dict[str, Any]) -> None:
    w = world("trusted_user.yaml")
    gh = ProwFakeGitHub(
        members={org: set(users) for org, users in w["org_members"].items()},
        collaborators=set(w["collaborators"]),
    )
    trigger = Trigger(
        only_org_members=case.get("only_org_members", False),
        trusted_apps=case.get("trusted_apps", []),
        trusted_org=case.get("trusted_org", ""),
    )
    got = await trusted_user(
        gh, trigger, case["user"], case["org"], case["repo"], bot_login=w["bot"]
    )
    expect = case["expect"]
    assert got.trusted is expect["trusted"]
    if not expect["trusted"]:
        # The conditions failed, in minprow's words (not_member is always one).
        reasons = set(expect["reason"])
        assert got.reason == trust_reason(
            not_collaborator="not_collaborator" in reasons,
            not_secondary="not_secondary_member" in reasons,
        )


_NO_IN_REPO_CONFIG = (
    "Prow's trigger adds the presubmits/postsubmits of the repo's .prow.yaml when "
    "in-repo config is enabled; minprow has no in-repo config (minprow/config reads "
    "static job files only; trigger uses Config.presubmits_for / postsubmits_for)"
)


@pytest.mark.parametrize(
    "case",
    cases(
        "get_presubmits.yaml", {"Result of GetPresubmits is used by default": _NO_IN_REPO_CONFIG}
    ),
)
async def test_get_presubmits(store: JobStore, case: dict[str, Any]) -> None:
    """The in-repo jobs are what the repo's .prow.yaml would add; minprow has
    nowhere to read them from, so only the static ones are configured."""
    w = world("get_presubmits.yaml")
    org, repo = w["org"], w["repo"]
    gh = ProwFakeGitHub(
        members={org: {"trusted-member"}},
        pull=pull_request(org=org, repo=repo, number=1, author="trusted-member"),
    )
    cfg = config(presubmits={f"{org}/{repo}": w["static"]})
    names = " ".join(job["name"] for job in [*w["static"], *w["in_repo"]])
    comment = GenericComment(
        action="created",
        org=org,
        repo=repo,
        number=1,
        is_pr=True,
        issue_state="open",
        issue_author="trusted-member",
        author="trusted-member",
        body=f"/test {names}",
    )
    await handle_comment(context(gh, store, cfg), comment)
    assert sorted(j.spec.job for j in store.list()) == case["expect"]["jobs"]


@pytest.mark.parametrize(
    "case",
    cases(
        "get_postsubmits.yaml", {"Result of GetPostsubmits is used by default": _NO_IN_REPO_CONFIG}
    ),
)
async def test_get_postsubmits(store: JobStore, case: dict[str, Any]) -> None:
    w = world("get_postsubmits.yaml")
    cfg = config(postsubmits={f"{w['org']}/{w['repo']}": w["static"]})
    event = _push_event(ref="refs/heads/master", owner=w["org"], repo=w["repo"], after="a" * 40)
    await handle_push(context(ProwFakeGitHub(), store, cfg), push_event(event))
    assert sorted(j.spec.job for j in store.list()) == case["expect"]["jobs"]


@pytest.mark.parametrize(
    "case",
    cases("create_with_retry.yaml"),
)
async def test_create_with_retry(store: JobStore, case: dict[str, Any]) -> None:
    flaky = FlakyStore(store, fail_first=case["failed_creates"])
    ctx = replace(context(ProwFakeGitHub(), store, config()), store=flaky)
    pr = _trigger_pull({"org": "org", "repo": "repo", "branch": "master", "head_sha": "abc"})
    error = False
    try:
        await run_requested(ctx, pr, [Presubmit(name="foo")])
    except Exception:
        error = True
    expect = case["expect"]
    assert flaky.attempts == expect["attempts"]
    assert bool(store.list()) is expect["created"]
    assert error is expect["error"]

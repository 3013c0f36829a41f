"""trigger's `pull_request` handler over real webhook payloads, the GitHub fake
and a real JobStore: which jobs start, which labels and comments appear."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from trigger_helpers import (
    BASE_HEAD,
    BOT,
    GUID,
    NOW,
    ORG,
    FakeGitHub,
    context,
    job_names,
    load_trigger_config,
    parsed,
    payload,
)

from minprow.config import Trigger
from minprow.hook.plugins.trigger import handle_pull_request, pull_request_event
from minprow.hook.plugins.trigger.run import ABORTED_DESCRIPTION
from minprow.model import ProwJobState
from minprow.pjutil import new_presubmit, pull_request_refs
from minprow.store import JobStore

AUTO = ["not-docs", "optional-check", "unit"]
"""What `/test all` starts on master when only README.md changed."""
MEMBER = {ORG: {"Codertocat"}}


def _event(name: str, **changes: Any) -> Any:
    data = payload(name)
    pr = data["pull_request"]
    for key, value in changes.items():
        if key == "author":
            pr["user"]["login"] = value
        elif key == "label":
            data["label"] = {"name": value, "color": "fff"}
        elif key == "sender":
            data["sender"]["login"] = value
        elif key == "base_ref":
            pr["base"]["ref"] = value
        elif key == "changes":
            data["changes"] = value
        else:
            pr[key] = value
    return parsed("pull_request", data)


@pytest.mark.parametrize(
    ("changes", "members", "labels", "trigger", "jobs", "added", "comment"),
    [
        ({}, MEMBER, [], None, AUTO, [], None),
        ({"author": "mallory"}, MEMBER, [], None, [], ["needs-ok-to-test"], "/ok-to-test"),
        ({"author": "mallory"}, MEMBER, ["ok-to-test"], None, [], [], "/ok-to-test"),
        (
            {"author": "mallory"},
            MEMBER,
            [],
            Trigger(repos=["Codertocat"], ignore_ok_to_test=True),
            [],
            [],
            "Collaborators can still start them with `/test all`",
        ),
        (
            {"author": "mallory"},
            MEMBER,
            [],
            Trigger(repos=["Codertocat"], trusted_org="friends", join_org_url="https://join"),
            [],
            ["needs-ok-to-test"],
            "[friends](https://github.com/orgs/friends/people) needs",
        ),
        ({"author": "carol"}, {"trusted-org": {"carol"}}, [], None, AUTO, [], None),
        ({"author": "dependabot[bot]"}, {}, [], None, AUTO, [], None),
        ({"draft": True}, MEMBER, [], None, [], [], "CI is skipped for draft pull requests"),
        ({"mergeable": False}, MEMBER, [], None, [], [], None),
        ({"mergeable": None}, MEMBER, [], None, AUTO, [], None),
        # The body's commands reach trigger as hook's generic comment, not here.
        ({"body": "Fixes it.\n/test e2e"}, MEMBER, [], None, AUTO, [], None),
        (
            {"author": "mallory", "body": "/test all"},
            MEMBER,
            [],
            None,
            [],
            ["needs-ok-to-test"],
            "thanks for the pull request",
        ),
        (
            {"base_ref": "release-1x1"},
            MEMBER,
            [],
            None,
            ["not-docs", "optional-check", "release-only", "skip-master", "unit"],
            [],
            None,
        ),
    ],
    ids=[
        "member-runs-automatic-jobs",
        "stranger-welcomed-and-labelled",
        "stranger-already-ok-to-test-not-labelled",
        "ignore-ok-to-test-no-label",
        "trusted-org-named-in-welcome",
        "trusted-org-member-runs",
        "trusted-app-runs",
        "draft-gets-a-note",
        "unmergeable-starts-nothing",
        "mergeable-unknown-runs",
        "body-commands-left-to-the-generic-comment",
        "stranger-body-gets-the-welcome-only",
        "unanchored-branch-regexes",
    ],
)
async def test_opened(
    store: JobStore,
    changes: dict[str, Any],
    members: dict[str, set[str]],
    labels: list[str],
    trigger: Trigger | None,
    jobs: list[str],
    added: list[str],
    comment: str | None,
) -> None:
    config = load_trigger_config()
    if trigger is not None:
        config.plugins.triggers = [trigger]
    gh = FakeGitHub(members=members, labels=list(labels))
    event = _event("pull_request.opened.json", **changes)
    gh.pull = event.pull_request.model_dump(mode="json")
    await handle_pull_request(context(gh, store, config), pull_request_event(event))
    assert job_names(store) == sorted(jobs)
    assert [label for c in gh.calls if c[0] == "add_labels" for label in c[2]] == added
    if comment is None:
        assert gh.comments() == []
    else:
        assert any(comment in body for body in gh.comments()), gh.comments()


@pytest.mark.parametrize(
    ("name", "changes", "members", "labels", "jobs", "removed"),
    [
        ("pull_request.synchronize.json", {}, MEMBER, [], AUTO, []),
        ("pull_request.synchronize.json", {"author": "mallory"}, MEMBER, [], [], []),
        (
            "pull_request.synchronize.json",
            {"author": "mallory"},
            MEMBER,
            ["ok-to-test", "needs-ok-to-test"],
            AUTO,
            ["needs-ok-to-test"],
        ),
        ("pull_request.synchronize.json", {"draft": True}, MEMBER, [], [], []),
        ("pull_request.reopened.json", {}, MEMBER, [], AUTO, []),
        ("pull_request.ready_for_review.json", {}, MEMBER, [], AUTO, []),
        (
            "pull_request.opened.json",
            {"changes": {"base": {"ref": {"from": "develop"}}}},
            MEMBER,
            [],
            AUTO,
            [],
        ),
        ("pull_request.opened.json", {"changes": {"title": {"from": "x"}}}, MEMBER, [], [], []),
        (
            "pull_request.labeled.json",
            {"label": "ok-to-test", "author": "mallory"},
            {},
            [],
            AUTO,
            [],
        ),
        (
            "pull_request.labeled.json",
            {"label": "ok-to-test", "author": "mallory", "sender": BOT},
            {},
            [],
            [],
            [],
        ),
        ("pull_request.labeled.json", {"label": "lgtm", "author": "mallory"}, {}, [], AUTO, []),
        ("pull_request.labeled.json", {"label": "lgtm"}, MEMBER, [], [], []),
        ("pull_request.labeled.json", {"label": "bug"}, MEMBER, [], [], []),
        ("pull_request.assigned.json", {}, MEMBER, [], [], []),
    ],
    ids=[
        "synchronize-trusted",
        "synchronize-untrusted",
        "synchronize-ok-to-test-drops-needs-ok-to-test",
        "synchronize-draft",
        "reopened",
        "ready-for-review",
        "edited-base-changed",
        "edited-title-only",
        "labeled-ok-to-test-by-a-human",
        "labeled-ok-to-test-by-the-bot",
        "lgtm-on-untrusted-runs-once",
        "lgtm-on-trusted-does-nothing",
        "other-label",
        "assigned",
    ],
)
async def test_updates(
    store: JobStore,
    name: str,
    changes: dict[str, Any],
    members: dict[str, set[str]],
    labels: list[str],
    jobs: list[str],
    removed: list[str],
) -> None:
    gh = FakeGitHub(members=members, labels=list(labels))
    event = _event(name, **changes)
    if name == "pull_request.opened.json":
        event = event.model_copy(update={"action": "edited"})
    await handle_pull_request(context(gh, store), pull_request_event(event))
    assert job_names(store) == sorted(jobs)
    assert [c[2] for c in gh.calls if c[0] == "remove_label"] == removed
    assert gh.comments() == []


@pytest.mark.parametrize(
    ("name", "aborts"),
    [
        ("pull_request.synchronize.json", True),
        ("pull_request.closed.json", True),
        ("pull_request.converted_to_draft.json", True),
        ("pull_request.reopened.json", False),
    ],
    ids=["synchronize", "closed", "converted-to-draft", "reopened"],
)
async def test_abort_unfinished_jobs(store: JobStore, name: str, aborts: bool) -> None:
    gh = FakeGitHub(members=MEMBER)
    ctx = context(gh, store)
    await handle_pull_request(ctx, pull_request_event(_event("pull_request.opened.json")))
    done = next(j for j in store.list() if j.spec.job == "unit")

    def succeed(job: Any) -> Any:
        job.status.state = ProwJobState.SUCCESS
        return job

    await store.mutate(done.metadata.name, succeed)
    old = {j.metadata.name for j in store.list()}
    later = dataclasses.replace(ctx, event_guid="a-later-delivery")
    await handle_pull_request(later, pull_request_event(_event(name)))
    for job in store.list():
        if job.metadata.name not in old:
            assert job.status.state == ProwJobState.TRIGGERED
        elif job.spec.job == "unit":
            assert job.status.state == ProwJobState.SUCCESS
        elif aborts:
            assert job.status.state == ProwJobState.ABORTED
            assert job.status.description == ABORTED_DESCRIPTION
        else:
            assert job.status.state == ProwJobState.TRIGGERED


@pytest.mark.parametrize(
    "name",
    ["pull_request.opened.json", "pull_request.synchronize.json"],
    ids=["opened", "synchronize"],
)
async def test_replayed_delivery_creates_and_aborts_nothing_twice(
    store: JobStore, name: str
) -> None:
    # A delivery handled again after a crash finds the ProwJobs it created the
    # first time (keyed by delivery and job), and does not abort them.
    gh = FakeGitHub(members=MEMBER)
    ctx = context(gh, store)
    first = await handle_pull_request(ctx, pull_request_event(_event(name)))
    before = {j.metadata.name: j.status.state for j in store.list()}
    again = await handle_pull_request(ctx, pull_request_event(_event(name)))
    assert first
    assert sorted(j.metadata.name for j in again) == sorted(j.metadata.name for j in first)
    assert {j.metadata.name: j.status.state for j in store.list()} == before
    assert set(before.values()) == {ProwJobState.TRIGGERED}


async def test_no_presubmits_no_calls(store: JobStore) -> None:
    data = payload("pull_request.opened.json")
    data["pull_request"]["base"]["repo"]["name"] = "other"
    gh = FakeGitHub()
    await handle_pull_request(context(gh, store), pull_request_event(parsed("pull_request", data)))
    assert (gh.calls, gh.reads, store.list()) == ([], [], [])


async def test_created_job_is_pjutils(store: JobStore) -> None:
    gh = FakeGitHub(members=MEMBER)
    config = load_trigger_config()
    event = _event("pull_request.opened.json")
    await handle_pull_request(context(gh, store, config), pull_request_event(event))
    created = next(j for j in store.list() if j.spec.job == "unit")
    pr = event.pull_request
    refs = pull_request_refs(
        org=ORG,
        repo="Hello-World",
        base_ref="master",
        base_sha=BASE_HEAD,
        number=2,
        author="Codertocat",
        head_sha=pr.head.sha,
        head_ref="changes",
        title=pr.title,
        repo_link="https://github.com/Codertocat/Hello-World",
        link="https://github.com/Codertocat/Hello-World/pull/2",
    )
    job = next(p for p in config.presubmits_for(ORG, "Hello-World") if p.name == "unit")
    expected = new_presubmit(refs, job, now=NOW, event_guid=GUID, prowjob_namespace="prowjobs")
    # What the store sets on create: name aside, the rest is pjutil's.
    for key in ("name", "uid", "resource_version", "creation_timestamp"):
        setattr(expected.metadata, key, getattr(created.metadata, key))
    assert created.model_dump() == expected.model_dump()
    assert created.metadata.namespace == "prowjobs"
    assert created.metadata.labels["event-GUID"] == GUID
    assert created.metadata.labels["prow.k8s.io/refs.pull"] == "2"
    assert created.spec.refs is not None
    assert created.spec.refs.base_sha == BASE_HEAD
    assert created.spec.refs.pulls is not None
    pull = created.spec.refs.pulls[0]
    assert (pull.author, pull.sha, pull.title) == ("Codertocat", pr.head.sha, pr.title)
    assert pull.link == "https://github.com/Codertocat/Hello-World/pull/2"

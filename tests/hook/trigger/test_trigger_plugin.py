"""The trigger plugin value: registered under "trigger", handlers for the three
event types, run through hook's `PluginContext` as hook would."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fakes import VirtualClock
from trigger_helpers import GUID, ORG, FakeGitHub, job_names, load_trigger_config, parsed, payload

from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.registry import Registry
from minprow.hook.plugins.trigger import HELP, TRIGGER
from minprow.store import JobStore


def _ctx(store: JobStore, github: Any, event_type: str) -> PluginContext:
    config = load_trigger_config()
    return PluginContext(
        config=lambda: config,
        store=store,
        github=github,
        clock=VirtualClock(),
        log=logging.LoggerAdapter(logging.getLogger("test.trigger"), {}),
        delivery_id=GUID,
        event_type=event_type,
        org=ORG,
        repo="Hello-World",
    )


def test_plugin_value() -> None:
    assert TRIGGER.name == "trigger"
    assert set(TRIGGER.handlers) == {"pull_request", "generic_comment", "push"}
    assert "/ok-to-test" in HELP
    assert "/retest" in HELP


@pytest.mark.parametrize(
    ("event_type", "fixture", "jobs"),
    [
        ("pull_request", "pull_request.opened.json", ["not-docs", "optional-check", "unit"]),
        ("push", "push.event.json", ["post-all", "post-tag"]),
    ],
    ids=["pull-request", "push"],
)
async def test_dispatched_through_registry(
    store: JobStore, event_type: str, fixture: str, jobs: list[str]
) -> None:
    config = load_trigger_config()
    handlers = Registry([TRIGGER]).handlers_for(event_type, ORG, "Hello-World", config.plugins)
    [(name, handler)] = handlers
    gh = FakeGitHub(members={ORG: {"Codertocat"}})
    gh.pull = payload("pull_request.opened.json")["pull_request"]
    await handler(_ctx(store, gh, event_type), parsed(event_type, payload(fixture)))
    assert name == "trigger"
    assert job_names(store) == jobs
    assert all(j.metadata.labels["event-GUID"] == GUID for j in store.list())


def _with_body(event_type: str, fixture: str, body: str) -> dict[str, Any]:
    data = payload(fixture)
    if event_type == "issue_comment":
        data["comment"]["body"] = body
        data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    elif event_type == "pull_request_review":
        data["review"]["body"] = body
    elif event_type == "pull_request":
        data["pull_request"]["body"] = body
    else:
        data["comment"]["body"] = body
    return data


@pytest.mark.parametrize(
    ("event_type", "fixture", "jobs"),
    [
        ("issue_comment", "issue_comment.created.json", ["e2e"]),
        ("issue_comment", "issue_comment.edited.json", []),
        ("pull_request", "pull_request.opened.json", ["e2e", "not-docs", "optional-check", "unit"]),
        ("pull_request_review", "pull_request_review.submitted.json", ["e2e"]),
        ("pull_request_review", "pull_request_review.dismissed.json", []),
        ("pull_request_review_comment", "pull_request_review_comment.created.json", ["e2e"]),
        ("pull_request_review_comment", "pull_request_review_comment.edited.json", []),
        ("pull_request_review_comment", "pull_request_review_comment.deleted.json", []),
    ],
    ids=[
        "issue-comment",
        "issue-comment-edited",
        "opened-pr-body",
        "review-submitted",
        "review-dismissed",
        "review-comment",
        "review-comment-edited",
        "review-comment-deleted",
    ],
)
async def test_a_test_command_in_any_kind_of_comment(
    store: JobStore, event_type: str, fixture: str, jobs: list[str]
) -> None:
    """Prow's hook turns comments, review bodies and diff comments alike into generic
    comments; trigger acts on a newly created one."""
    config = load_trigger_config()
    [(_, handler)] = Registry([TRIGGER]).handlers_for(
        event_type, ORG, "Hello-World", config.plugins
    )
    gh = FakeGitHub(members={ORG: {"Codertocat"}})
    gh.pull = payload("pull_request.opened.json")["pull_request"]
    event = parsed(event_type, _with_body(event_type, fixture, "/test e2e"))
    await handler(_ctx(store, gh, event_type), event)
    assert job_names(store) == jobs


async def test_needs_a_github_client(store: JobStore) -> None:
    with pytest.raises(TypeError, match="GitHub client"):
        await TRIGGER.for_event("push")(
            _ctx(store, object(), "push"), parsed("push", payload("push.event.json"))
        )


@pytest.mark.parametrize(
    "as_model",
    [True, False],
    ids=["parsed-model", "plain-json"],
)
def test_adapters_read_githubs_field_names(as_model: bool) -> None:
    from minprow.hook.plugins.generic import from_issue_comment as comment_event
    from minprow.hook.plugins.trigger import pull_request_event, push_event

    pr = payload("pull_request.opened.json")
    pr["action"] = "edited"
    pr["changes"] = {"base": {"ref": {"from": "develop"}}}
    push = payload("push.event.4.json")
    comment = payload("issue_comment.created.json")
    if as_model:
        pr, push, comment = (
            parsed("pull_request", pr),
            parsed("push", push),
            parsed("issue_comment", comment),
        )
    got = pull_request_event(pr)
    assert (got.action, got.base_changed, got.pull_request.base_ref) == ("edited", True, "master")
    assert (got.pull_request.org, got.pull_request.repo, got.pull_request.number) == (
        "Codertocat",
        "Hello-World",
        2,
    )
    pushed = push_event(push)
    assert (pushed.ref, pushed.owner_name, pushed.deleted) == (
        "refs/heads/master",
        "Codertocat",
        False,
    )
    said = comment_event(comment)
    assert (said.is_pr, said.comment_id, said.author) == (False, 492700400, "Codertocat")

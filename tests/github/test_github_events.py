"""Webhook payloads: every real payload vendored from @octokit/webhooks-examples
parses into its typed model, the fields the plugins read come through, unknown
event types are ignored and malformed bodies say what is wrong and where."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from minprow.github.events import (
    IssueCommentEvent,
    IssuesEvent,
    MalformedEvent,
    PullRequestEvent,
    PullRequestReviewCommentEvent,
    PullRequestReviewEvent,
    PushEvent,
    parse_event,
)

WEBHOOKS = Path(__file__).resolve().parents[2] / "fixtures" / "github" / "webhooks"
MODELS: dict[str, type[Any]] = {
    "pull_request": PullRequestEvent,
    "issue_comment": IssueCommentEvent,
    "push": PushEvent,
    "pull_request_review": PullRequestReviewEvent,
    "pull_request_review_comment": PullRequestReviewCommentEvent,
    "issues": IssuesEvent,
}
HANDLED = sorted(p for p in WEBHOOKS.glob("*.json") if p.name.split(".")[0] in MODELS)
IGNORED = sorted(p for p in WEBHOOKS.glob("*.json") if p.name.split(".")[0] not in MODELS)


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((WEBHOOKS / name).read_text())
    return data


def test_the_vendored_payloads_are_there() -> None:
    kinds = {p.name.split(".")[0] for p in HANDLED}
    assert kinds == set(MODELS)
    assert len(HANDLED) >= 40


@pytest.mark.parametrize("path", HANDLED, ids=[p.name for p in HANDLED])
def test_every_vendored_payload_parses(path: Path) -> None:
    event_type, action = path.name.split(".")[:2]
    event = parse_event(event_type, path.read_bytes())
    assert isinstance(event, MODELS[event_type])
    if not isinstance(event, PushEvent):
        assert event.action == action
    assert event.repository.full_name.count("/") == 1


@pytest.mark.parametrize("path", IGNORED, ids=[p.name for p in IGNORED])
def test_other_event_types_are_ignored(path: Path) -> None:
    assert parse_event(path.name.split(".")[0], path.read_bytes()) is None


def test_pull_request_fields_for_trigger() -> None:
    event = parse_event("pull_request", (WEBHOOKS / "pull_request.opened.json").read_bytes())
    assert isinstance(event, PullRequestEvent)
    raw = _load("pull_request.opened.json")
    pr = event.pull_request
    assert (event.number, pr.number) == (raw["number"], raw["pull_request"]["number"])
    assert pr.head.sha == raw["pull_request"]["head"]["sha"]
    assert pr.base.ref == raw["pull_request"]["base"]["ref"]
    assert pr.base.repo is not None
    assert pr.base.repo.owner.login == raw["repository"]["owner"]["login"]
    assert pr.user.login == raw["pull_request"]["user"]["login"]
    assert pr.mergeable is None
    assert event.sender.login == raw["sender"]["login"]


def test_labeled_carries_the_label() -> None:
    event = parse_event("pull_request", (WEBHOOKS / "pull_request.labeled.json").read_bytes())
    assert isinstance(event, PullRequestEvent)
    assert event.label is not None
    assert event.label.name == _load("pull_request.labeled.json")["label"]["name"]


def test_edited_base_carries_the_old_branch() -> None:
    raw = _load("pull_request.opened.json")
    raw.update(action="edited", changes={"base": {"ref": {"from": "release-1.0"}}})
    event = parse_event("pull_request", json.dumps(raw).encode())
    assert isinstance(event, PullRequestEvent)
    assert event.changes is not None
    assert event.changes.base is not None
    assert event.changes.base.ref is not None
    assert event.changes.base.ref.from_ == "release-1.0"


def _comment_on_pull_request() -> dict[str, Any]:
    """issue_comment.created as GitHub sends it for a pull request: the issue has
    a `pull_request` object (none of the vendored comments is on one)."""
    raw = _load("issue_comment.created.json")
    url = raw["issue"]["html_url"].replace("/issues/", "/pull/")
    raw["issue"]["pull_request"] = {"url": url, "html_url": url, "diff_url": f"{url}.diff"}
    return raw


@pytest.mark.parametrize(
    ("raw", "on_pull_request"),
    [(_load("issue_comment.created.json"), False), (_comment_on_pull_request(), True)],
    ids=["on-issue", "on-pull-request"],
)
def test_issue_comment_knows_whether_it_is_on_a_pull_request(
    raw: dict[str, Any], on_pull_request: bool
) -> None:
    event = parse_event("issue_comment", json.dumps(raw).encode())
    assert isinstance(event, IssueCommentEvent)
    assert event.issue.is_pull_request is on_pull_request
    assert event.comment.body == raw["comment"]["body"]
    assert event.comment.user.login == raw["comment"]["user"]["login"]
    assert event.issue.number == raw["issue"]["number"]


@pytest.mark.parametrize("path", sorted(WEBHOOKS.glob("push.*.json")), ids=lambda p: p.name)
def test_push_names_its_org_and_branch(path: Path) -> None:
    raw = json.loads(path.read_text())
    event = parse_event("push", path.read_bytes())
    assert isinstance(event, PushEvent)
    owner = raw["repository"]["owner"]
    assert event.repository.owner.org == owner.get("login") or owner["name"]
    assert event.branch == raw["ref"].removeprefix("refs/heads/")
    assert (event.before, event.after) == (raw["before"], raw["after"])
    assert len(event.commits) == len(raw["commits"])


def test_review_has_its_state() -> None:
    name = "pull_request_review.submitted.json"
    event = parse_event("pull_request_review", (WEBHOOKS / name).read_bytes())
    assert isinstance(event, PullRequestReviewEvent)
    assert event.review.state == _load(name)["review"]["state"]


def _without_head_sha() -> bytes:
    raw = _load("pull_request.opened.json")
    del raw["pull_request"]["head"]["sha"]
    return json.dumps(raw).encode()


@pytest.mark.parametrize(
    ("event_type", "body", "words"),
    [
        ("pull_request", b"{not json", "body is not JSON"),
        ("push", b"\xff\xfe", "body is not JSON"),
        ("issue_comment", b"[1, 2]", "body is a JSON list, not an object"),
        ("pull_request", _without_head_sha(), "pull_request.head.sha: Field required"),
        ("push", b'{"ref": 5}', "ref: Input should be a valid string"),
    ],
    ids=["bad-json", "not-utf8", "not-an-object", "missing-field", "wrong-type"],
)
def test_malformed_bodies_say_what_and_where(event_type: str, body: bytes, words: str) -> None:
    with pytest.raises(MalformedEvent, match=f"malformed {event_type} event: ") as raised:
        parse_event(event_type, body)
    assert words in str(raised.value)
    assert raised.value.event_type == event_type

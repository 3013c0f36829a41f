"""Hook's HTTP server over real HTTP with real payloads (minprow.hook.server)."""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
from pathlib import Path

import pytest
from hook_helpers import HOOK, Call, captured, payload, running_hook

from minprow.hook.server import RECEIVED

DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


@pytest.mark.parametrize(
    ("event_type", "file", "plugins", "model"),
    [
        (
            "pull_request",
            "pull_request.opened.json",
            ("recorder", "failing", "second"),
            "PullRequestEvent",
        ),
        ("push", "push.event.json", ("recorder", "failing", "repo-only"), "PushEvent"),
        (
            "issue_comment",
            "issue_comment.created.json",
            ("recorder", "failing"),
            "IssueCommentEvent",
        ),
        (
            "pull_request_review",
            "pull_request_review.submitted.json",
            ("recorder", "failing"),
            "PullRequestReviewEvent",
        ),
    ],
    ids=["pull-request", "push", "issue-comment", "review"],
)
async def test_good_signature_dispatches(
    event_type: str, file: str, plugins: tuple[str, ...], model: str
) -> None:
    async with running_hook() as hook:
        status, text = await hook.post(event_type, payload(file), delivery_id=DELIVERY)
        await hook.settled()
    assert (status, text.strip()) == (200, RECEIVED)
    assert sorted(hook.recorder.calls, key=lambda c: c.plugin) == sorted(
        (Call(p, event_type, DELIVERY, "Codertocat", "Hello-World", model) for p in plugins),
        key=lambda c: c.plugin,
    )


def _sha1(body: bytes, token: str) -> str:
    return "sha1=" + hmac.new(token.encode(), body, hashlib.sha1).hexdigest()


BODY = payload("pull_request.opened.json")


@pytest.mark.parametrize(
    ("token", "headers"),
    [
        (None, {}),
        ("not-the-token", {}),
        (None, {"X-Hub-Signature": _sha1(BODY, "repo-token-new")}),
        (None, {"X-Hub-Signature-256": "sha256=zz"}),
        ("global-token", {}),
    ],
    ids=["missing", "wrong-token", "sha1-only", "not-hex", "global-token-when-repo-has-its-own"],
)
async def test_bad_signature_refused(token: str | None, headers: dict[str, str]) -> None:
    async with running_hook() as hook:
        status, _ = await hook.post("pull_request", BODY, token=token, headers=headers)
        await hook.settled()
    assert status == 403
    assert hook.recorder.calls == []


@pytest.mark.parametrize(
    ("secret", "file", "token", "status"),
    [
        ("hmac-scoped.yaml", "pull_request.opened.json", "repo-token-new", 200),
        ("hmac-scoped.yaml", "pull_request.opened.json", "repo-token-old", 200),
        ("hmac-scoped.yaml", "ping.event.json", "org-token", 200),
        ("hmac-scoped.yaml", "ping.event.json", "global-token", 403),
        ("hmac-scoped.yaml", "ping.event.3.json", "org-token", 200),
        ("hmac-scoped.yaml", "issues.transferred.json", "global-token", 200),
        ("hmac-scoped.yaml", "issues.transferred.json", "org-token", 403),
        ("hmac-no-global.yaml", "issues.transferred.json", "only-repo-token", 403),
        ("hmac-legacy", "issues.transferred.json", "legacy-global-token", 200),
    ],
    ids=[
        "repo-new-token",
        "repo-old-token-during-rotation",
        "org-token-for-org-repo",
        "global-token-when-org-has-its-own",
        "org-level-event",
        "global-for-other-org",
        "other-orgs-token",
        "no-token-for-org",
        "legacy-bare-token",
    ],
)
async def test_tokens_by_org_and_repo(secret: str, file: str, token: str, status: int) -> None:
    event_type = file.split(".")[0]
    async with running_hook(HOOK / secret) as hook:
        got, _ = await hook.post(event_type, payload(file), token=token)
    assert got == status


async def test_secret_file_rotated_while_serving(tmp_path: Path) -> None:
    secret = tmp_path / "hmac"
    shutil.copy(HOOK / "hmac-legacy", secret)
    async with running_hook(secret) as hook:
        assert (await hook.post("pull_request", BODY, token="legacy-global-token"))[0] == 200
        shutil.copy(HOOK / "hmac-scoped.yaml", secret)
        st = secret.stat()
        os.utime(secret, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        assert (await hook.post("pull_request", BODY, token="legacy-global-token"))[0] == 403
        assert (await hook.post("pull_request", BODY, token="repo-token-old"))[0] == 200


@pytest.mark.parametrize(
    ("event_type", "body", "headers", "status"),
    [
        ("pull_request", b"{not json", {}, 400),
        ("pull_request", b"[1, 2]", {}, 400),
        (None, BODY, {}, 400),
        ("pull_request", BODY, {"X-GitHub-Delivery": ""}, 400),
        ("pull_request", BODY, {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        ("pull_request", payload("issues.opened.json"), {}, 400),
        ("push", payload("pull_request.opened.json"), {}, 400),
    ],
    ids=[
        "not-json",
        "json-not-object",
        "no-event-header",
        "no-delivery-header",
        "form-encoded",
        "issue-sent-as-pull-request",
        "pull-request-sent-as-push",
    ],
)
async def test_malformed_refused(
    event_type: str | None, body: bytes, headers: dict[str, str], status: int
) -> None:
    async with running_hook() as hook:
        got, _ = await hook.post(event_type, body, headers=headers)
        await hook.settled()
    assert got == status
    assert hook.recorder.calls == []


@pytest.mark.parametrize(
    ("max_body", "status"),
    [(len(BODY) - 1, 413), (len(BODY), 200)],
    ids=["one-byte-over", "exactly-the-limit"],
)
async def test_size_limit(max_body: int, status: int) -> None:
    async with running_hook(max_body=max_body) as hook:
        got, _ = await hook.post("pull_request", BODY)
        await hook.settled()
    assert got == status
    assert bool(hook.recorder.calls) is (status == 200)


async def test_oversized_chunked_body_refused() -> None:
    async def chunks() -> object:
        for _ in range(4):
            yield BODY

    async with (
        running_hook(max_body=len(BODY) * 2) as hook,
        hook.session.post(
            hook.hook_url,
            data=chunks(),
            headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": DELIVERY},
        ) as response,
    ):
        assert response.status == 413


IDLE = (
    f"{RECEIVED} No plugin enabled for Codertocat/Hello-World acts on issues events "
    "(see plugins.yaml), so nothing is done."
)


@pytest.mark.parametrize(
    ("event_type", "file", "answer"),
    [
        ("issues", "issues.opened.json", IDLE),
        ("ping", "ping.event.json", RECEIVED),
        ("status", "pull_request.opened.json", RECEIVED),
    ],
    ids=["issues-no-plugin-enabled", "ping", "status"],
)
async def test_unhandled_event_types_answered(event_type: str, file: str, answer: str) -> None:
    token = "org-token" if file.startswith("ping") else "repo-token-new"
    async with running_hook() as hook:
        status, text = await hook.post(event_type, payload(file), token=token)
        await hook.settled()
    assert (status, text.strip()) == (200, answer)
    assert hook.recorder.calls == []


async def test_duplicate_delivery_ignored() -> None:
    async with running_hook() as hook:
        first = await hook.post("push", payload("push.event.json"), delivery_id=DELIVERY)
        second = await hook.post("push", payload("push.event.json"), delivery_id=DELIVERY)
        await hook.settled()
    assert first[0] == second[0] == 200
    assert "already received" in second[1]
    assert sorted(c.plugin for c in hook.recorder.calls) == ["failing", "recorder", "repo-only"]


async def test_remembered_deliveries_are_bounded() -> None:
    async with running_hook(remembered_deliveries=1) as hook:
        await hook.post("push", payload("push.event.json"), delivery_id="a")
        await hook.post("push", payload("push.event.json"), delivery_id="b")
        _, again = await hook.post("push", payload("push.event.json"), delivery_id="a")
    assert "already received" not in again


async def test_failing_handler_isolated_and_logged() -> None:
    with captured() as records:
        async with running_hook() as hook:
            await hook.post("pull_request", BODY, delivery_id="first")
            await hook.settled()
            await hook.post("push", payload("push.event.json"), delivery_id="second")
            await hook.settled()
    ran = [(c.plugin, c.delivery_id) for c in hook.recorder.calls]
    assert ("recorder", "first") in ran
    assert ("second", "first") in ran
    assert ("recorder", "second") in ran
    assert ("repo-only", "second") in ran
    failures = [r for r in records if r.exc_info]
    assert [r.__dict__["event_guid"] for r in failures] == ["first", "second"]
    assert {r.__dict__["plugin"] for r in failures} == {"failing"}
    assert all(r.__dict__["org"] == "Codertocat" for r in failures)
    assert all("Codertocat/Hello-World" in r.getMessage() for r in failures)
    assert "repo-token" not in " ".join(r.getMessage() for r in records)


async def test_healthz_and_metrics() -> None:
    async with running_hook() as hook:
        await hook.post("pull_request", BODY)
        await hook.post("pull_request", BODY, token=None)
        await hook.settled()
        async with hook.session.get(hook.url + "/healthz") as response:
            assert (response.status, await response.text()) == (200, "OK")
        async with hook.session.get(hook.url + "/metrics") as response:
            assert response.status == 200
            metrics = await response.text()
    assert 'prow_webhook_counter_total{event_type="pull_request"} 1.0' in metrics
    assert 'prow_webhook_response_codes_total{response_code="200"} 1.0' in metrics
    assert 'prow_webhook_response_codes_total{response_code="403"} 1.0' in metrics
    assert (
        'prow_plugin_handler_errors_total{event_type="pull_request",plugin="failing"} 1.0'
        in metrics
    )
    assert (
        'prow_plugin_handle_duration_seconds_count{event_type="pull_request",plugin="recorder"} 1.0'
        in metrics
    )

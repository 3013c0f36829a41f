"""`minprow send-event` end to end against a real hook (minprow.runtime.send_event)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from hook_helpers import HOOK, WEBHOOKS, running_hook

from minprow.runtime.send_event import send_event, send_event_async


async def test_delivers_signed_event_and_plugins_run(capsys: pytest.CaptureFixture[str]) -> None:
    async with running_hook() as hook:
        code = await asyncio.to_thread(
            send_event,
            HOOK / "hmac-scoped.yaml",
            "pull_request",
            WEBHOOKS / "pull_request.opened.json",
            hook.hook_url,
            "delivery-1",
        )
        await hook.settled()
    assert code == 0
    assert capsys.readouterr().out == "200 Event received. Have a nice day.\n"
    assert {(c.plugin, c.delivery_id) for c in hook.recorder.calls} == {
        ("recorder", "delivery-1"),
        ("failing", "delivery-1"),
        ("second", "delivery-1"),
    }


@pytest.mark.parametrize(
    ("secret", "event_type", "file"),
    [
        ("hmac-scoped.yaml", "push", "push.event.json"),
        ("hmac-scoped.yaml", "ping", "ping.event.3.json"),
        ("hmac-scoped.yaml", "issues", "issues.transferred.json"),
    ],
    ids=["repo-token", "org-token", "global-token"],
)
async def test_signs_with_the_token_for_the_repo(
    secret: str, event_type: str, file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_hook(HOOK / secret) as hook:
        code = await send_event_async(HOOK / secret, event_type, WEBHOOKS / file, hook.hook_url)
    assert code == 0
    assert capsys.readouterr().out.startswith("200 ")


async def test_fresh_delivery_ids_unless_given(capsys: pytest.CaptureFixture[str]) -> None:
    secret, body = HOOK / "hmac-scoped.yaml", WEBHOOKS / "push.event.json"
    async with running_hook() as hook:
        for _ in range(2):
            assert await send_event_async(secret, "push", body, hook.hook_url) == 0
        for _ in range(2):
            assert await send_event_async(secret, "push", body, hook.hook_url, "same") == 0
        await hook.settled()
    out = capsys.readouterr().out.splitlines()
    assert [line.startswith("200 Delivery same already received") for line in out] == [
        False,
        False,
        False,
        True,
    ]
    assert len({c.delivery_id for c in hook.recorder.calls}) == 3


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("secret", "event_type", "file", "message"),
    [
        ("hmac-legacy", "push", "push.event.json", "answered 403"),
        ("hmac-scoped.yaml", "pull_request", "push.event.json", "answered 400"),
        ("hmac-no-global.yaml", "issues", "issues.transferred.json", "has no token for octo-org"),
        ("hmac-scoped.yaml", "push", "absent.json", "cannot read the payload"),
        ("hmac-scoped.yaml", "push", "LICENSE", "is not JSON"),
        ("absent-secret", "push", "push.event.json", "cannot read the HMAC secret"),
    ],
    ids=["wrong-secret", "bad-request", "no-token", "no-payload", "not-json", "no-secret"],
)
async def test_failures_exit_non_zero(
    secret: str, event_type: str, file: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with running_hook() as hook:
        code = await send_event_async(HOOK / secret, event_type, WEBHOOKS / file, hook.hook_url)
    assert code == 1
    assert message in capsys.readouterr().err


async def test_unreachable_address(capsys: pytest.CaptureFixture[str]) -> None:
    address = f"http://127.0.0.1:{_closed_port()}/hook"
    code = await send_event_async(
        HOOK / "hmac-scoped.yaml", "push", WEBHOOKS / "push.event.json", address
    )
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot deliver to {address}")
    assert "repo-token" not in err


def test_payload_directory_refused(tmp_path: Path) -> None:
    assert send_event(HOOK / "hmac-scoped.yaml", "push", tmp_path, "http://127.0.0.1:1/hook") == 1

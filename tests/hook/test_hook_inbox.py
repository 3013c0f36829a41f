"""The durable inbox as hook uses it (minprow.hook.inbox.queue, consume, server):
deliveries kept before the 200, handled oldest first, handled again after a
stop that cut them short (only the calls that had not run), recognised after a
restart, reported in /metrics and /healthz, and a 503 when they cannot be kept."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import VirtualClock
from hook_helpers import captured, payload, running_hook

from minprow.hook import Plugin, PluginContext, Registry
from minprow.hook.inbox import Inbox, InboxEntry, InboxError, MemoryInbox, SqliteInbox

PUSH = payload("push.event.json")
COMMENT = payload("issue_comment.created.json")
T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@dataclass
class Gated:
    """Plugins whose handlers record what they were given, each waiting for its gate."""

    gates: dict[str, asyncio.Event] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)
    """(plugin, delivery id), in the order the handlers finished."""

    def handler(self, name: str) -> Any:
        async def handle(ctx: PluginContext, event: Any) -> None:
            await self.gates.setdefault(name, asyncio.Event()).wait()
            self.seen.append((name, ctx.delivery_id))

        return handle

    def open(self, *names: str) -> None:
        for name in names:
            self.gates.setdefault(name, asyncio.Event()).set()

    def registry(self, *names: str) -> Registry:
        return Registry(
            tuple(Plugin(n, "Waits for its gate.", {"push": self.handler(n)}) for n in names)
        )


def _inbox(state: Path, clock: VirtualClock | None = None, **options: Any) -> Inbox:
    return Inbox(SqliteInbox.in_dir(state), clock or VirtualClock(T0), **options)


async def _settle(hook: Any, done: int, gated: Gated) -> None:
    for _ in range(500):
        if len(gated.seen) >= done:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"only {gated.seen} handled")


@pytest.mark.parametrize(
    ("plugins", "open_before_stop", "replayed"),
    [
        (("recorder",), (), [("recorder", "d0"), ("recorder", "d1"), ("recorder", "d2")]),
        # "recorder" ran before the stop: only "second" runs again.
        (
            ("recorder", "second"),
            ("recorder",),
            [("second", "d0"), ("second", "d1"), ("second", "d2")],
        ),
    ],
    ids=["nothing-ran", "one-call-of-two-ran"],
)
async def test_a_stop_mid_handling_is_replayed_at_the_next_start(
    tmp_path: Path,
    plugins: tuple[str, ...],
    open_before_stop: tuple[str, ...],
    replayed: list[tuple[str, str]],
) -> None:
    first = Gated()
    first.open(*open_before_stop)
    inbox = _inbox(tmp_path)
    async with running_hook(
        registry=first.registry(*plugins), inbox=inbox, drain_timeout=0.01
    ) as hook:
        for n in range(3):
            assert (await hook.post("push", PUSH, delivery_id=f"d{n}"))[0] == 200
        await _settle(hook, len(open_before_stop) * 3, first)
    await inbox.close()
    assert sorted(first.seen) == sorted((p, f"d{n}") for n in range(3) for p in open_before_stop)

    second = Gated()
    second.open(*plugins)
    inbox = _inbox(tmp_path)
    async with running_hook(registry=second.registry(*plugins), inbox=inbox, workers=1) as hook:
        await _settle(hook, len(replayed), second)
        await hook.settled()
        assert second.seen == replayed  # oldest first, one worker
        # Recognised after the restart: GitHub's redelivery of one is ignored.
        status, text = await hook.post("push", PUSH, delivery_id="d1")
        assert (status, text) == (200, "Delivery d1 already received; ignored.\n")
    await inbox.close()
    inbox = _inbox(tmp_path)
    assert await inbox.start() == 0  # every delivery finished: nothing left to replay
    await inbox.close()


async def test_a_backlog_is_handled_oldest_first(tmp_path: Path) -> None:
    gated = Gated()
    inbox = _inbox(tmp_path, memory_limit=len(PUSH) * 2)  # the rest is read back when due
    async with running_hook(registry=gated.registry("recorder"), inbox=inbox, workers=1) as hook:
        for n in range(8):
            assert (await hook.post("push", PUSH, delivery_id=f"d{n}"))[0] == 200
        gated.open("recorder")
        await _settle(hook, 8, gated)
    await inbox.close()
    assert gated.seen == [("recorder", f"d{n}") for n in range(8)]


async def test_metrics_and_health_show_the_backlog(tmp_path: Path) -> None:
    gated = Gated()
    clock = VirtualClock(T0)
    inbox = _inbox(tmp_path, clock)
    async with running_hook(
        registry=gated.registry("recorder"), inbox=inbox, clock=clock, degraded_after=60
    ) as hook:
        assert await _get(hook, "/healthz") == "OK"
        for n in range(3):
            await hook.post("push", PUSH, delivery_id=f"d{n}")
        clock.advance(timedelta(seconds=90))
        metrics = await _get(hook, "/metrics")
        assert "minprow_webhook_inbox_depth 3.0" in metrics.splitlines()
        assert "minprow_webhook_inbox_oldest_age_seconds 90.0" in metrics.splitlines()
        health = await _get(hook, "/healthz")
        assert health.startswith("degraded: the oldest webhook delivery has waited 90 s")
        assert "3 waiting or being handled" in health
        gated.open("recorder")
        await _settle(hook, 3, gated)
        await hook.settled()
        for _ in range(100):
            if await _get(hook, "/healthz") == "OK":
                break
            await asyncio.sleep(0.01)
        assert "minprow_webhook_inbox_depth 0.0" in (await _get(hook, "/metrics")).splitlines()
        assert await _get(hook, "/healthz") == "OK"
    await inbox.close()


async def _get(hook: Any, path: str) -> str:
    async with hook.session.get(hook.url + path) as response:
        assert response.status == 200
        text: str = await response.text()
        return text


class _Refusing(MemoryInbox):
    async def accept(self, entry: InboxEntry) -> bool:
        raise InboxError("the disk is full")


async def test_a_delivery_that_cannot_be_kept_is_answered_503() -> None:
    gated = Gated()
    inbox = Inbox(_Refusing(), VirtualClock(T0))
    with captured() as records:
        async with running_hook(registry=gated.registry("recorder"), inbox=inbox) as hook:
            status, text = await hook.post("push", PUSH, delivery_id="d0")
    assert status == 503
    assert "could not be kept; redeliver it" in text
    assert any("the disk is full" in r.getMessage() for r in records)


async def test_a_delivery_no_plugin_handles_is_answered_without_being_kept(
    tmp_path: Path,
) -> None:
    gated = Gated()
    inbox = _inbox(tmp_path)
    async with running_hook(registry=gated.registry("recorder"), inbox=inbox) as hook:
        # No plugin here handles issue comments.
        assert (await hook.post("issue_comment", COMMENT, delivery_id="c0"))[0] == 200
        assert inbox.depth == 0
        status, text = await hook.post("issue_comment", COMMENT, delivery_id="c0")
        assert (status, text) == (200, "Delivery c0 already received; ignored.\n")
    await inbox.close()
    again = _inbox(tmp_path)
    assert await again.start() == 0
    await again.close()


async def test_one_hook_per_state_dir(tmp_path: Path) -> None:
    first = _inbox(tmp_path)
    await first.start()
    second = _inbox(tmp_path)
    with pytest.raises(InboxError, match=r"another minprow .* takes webhooks for"):
        await second.start()
    await first.close()
    assert await second.start() == 0
    await second.close()


class _FlakyLoad(MemoryInbox):
    """Its first read of a payload fails, as an unreachable API server would."""

    failed = False

    async def load(self, delivery_id: str) -> bytes:
        if not self.failed:
            self.failed = True
            raise InboxError("the API server is unreachable")
        return await super().load(delivery_id)


async def test_a_payload_that_cannot_be_read_back_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("minprow.hook.consume.RETRY_AFTER", 0.01)
    gated = Gated()
    gated.open("recorder")
    inbox = Inbox(_FlakyLoad(), VirtualClock(T0), memory_limit=0)  # every payload read back
    with captured() as records:
        async with running_hook(registry=gated.registry("recorder"), inbox=inbox) as hook:
            assert (await hook.post("push", PUSH, delivery_id="d0"))[0] == 200
            await _settle(hook, 1, gated)
    assert gated.seen == [("recorder", "d0")]
    assert any("trying again" in r.getMessage() for r in records)

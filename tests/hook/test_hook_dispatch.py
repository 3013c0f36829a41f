"""Background dispatch: answers before handlers finish, bounded concurrency, drained
on shutdown (minprow.hook.dispatch, minprow.hook.server.serve)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from hook_helpers import HOOK, captured, hook_config, payload, running_hook

from minprow.github.hmac import HmacSecretFile, sign
from minprow.hook import Plugin, PluginContext, Registry, make_app, serve
from minprow.store import open_store
from tests.conftest import free_port

PUSH = payload("push.event.json")


@dataclass
class Gate:
    """A `recorder` plugin whose push handler waits for `open` and counts overlap."""

    open: asyncio.Event = field(default_factory=asyncio.Event)
    running: int = 0
    most: int = 0
    done: list[str] = field(default_factory=list)

    async def handle(self, ctx: PluginContext, event: Any) -> None:
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.open.wait()
            self.done.append(ctx.delivery_id)
        finally:
            self.running -= 1

    def registry(self) -> Registry:
        return Registry((Plugin("recorder", "Waits for the gate.", {"push": self.handle}),))


@pytest.mark.parametrize("concurrency", [1, 2, 8], ids=["one", "two", "eight"])
async def test_answers_at_once_and_bounds_concurrency(concurrency: int) -> None:
    gate = Gate()
    async with running_hook(registry=gate.registry(), concurrency=concurrency) as hook:
        for n in range(5):
            status, _ = await hook.post("push", PUSH, delivery_id=f"d{n}")
            assert status == 200
        for _ in range(20):
            await asyncio.sleep(0)
        assert gate.done == []
        assert gate.running == min(concurrency, 5)
        gate.open.set()
        await hook.settled()
    assert gate.most == min(concurrency, 5)
    assert sorted(gate.done) == [f"d{n}" for n in range(5)]


@pytest.mark.parametrize(
    ("release", "grace", "finished", "warned"),
    [(True, 5.0, ["d"], False), (False, 0.05, [], True)],
    ids=["handlers-drained", "grace-exceeded-cancelled"],
)
async def test_serve_drains_on_shutdown(
    release: bool, grace: float, finished: list[str], warned: bool
) -> None:
    gate = Gate()
    config = hook_config()
    port = free_port()
    with captured() as records:
        async with open_store("memory") as store:
            app = make_app(
                secret=HmacSecretFile(HOOK / "hmac-scoped.yaml").secret,
                registry=gate.registry(),
                config=lambda: config,
                store=store,
                drain_timeout=grace,
            )
            started = asyncio.Event()
            server = asyncio.create_task(serve(app, host="127.0.0.1", port=port, started=started))
            await started.wait()
            headers = {
                "X-GitHub-Event": "push",
                "X-GitHub-Delivery": "d",
                "X-Hub-Signature-256": sign(PUSH, "repo-token-new"),
                "Content-Type": "application/json",
            }
            async with (
                aiohttp.ClientSession() as session,
                session.post(f"http://127.0.0.1:{port}/hook", data=PUSH, headers=headers) as r,
            ):
                assert r.status == 200
            if release:
                asyncio.get_running_loop().call_later(0.05, gate.open.set)
            server.cancel()
            with pytest.raises(asyncio.CancelledError):
                await server
    assert gate.done == finished
    assert any("unfinished" in r.getMessage() for r in records) is warned

"""Hook test helpers: a real hook server on a free port, plugins that record or fail,
and signed deliveries of the vendored webhook payloads."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from minprow.config import Config, load_config
from minprow.github.hmac import HmacSecretFile, sign
from minprow.hook import Plugin, PluginContext, Registry, make_app
from minprow.hook.server import DISPATCHER
from minprow.store import JobStore, open_store

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "fixtures" / "hook"
WEBHOOKS = REPO / "fixtures" / "github" / "webhooks"
PLUGINS_YAML = HOOK / "plugins.yaml"


def payload(name: str) -> bytes:
    """A vendored @octokit/webhooks-examples payload, byte for byte."""
    return (WEBHOOKS / name).read_bytes()


def hook_config() -> Config:
    return load_config(None, None, PLUGINS_YAML)


@dataclass(frozen=True)
class Call:
    plugin: str
    event_type: str
    delivery_id: str
    org: str
    repo: str
    event: str


@dataclass
class Recorder:
    """Plugins whose handlers record each call; `failing` raises on every event."""

    calls: list[Call] = field(default_factory=list)

    def _handler(self, name: str, *, fail: bool = False) -> Any:
        async def handle(ctx: PluginContext, event: Any) -> None:
            self.calls.append(
                Call(name, ctx.event_type, ctx.delivery_id, ctx.org, ctx.repo, type(event).__name__)
            )
            if fail:
                raise RuntimeError(f"{name} broke on purpose")

        return handle

    def plugins(self) -> tuple[Plugin, ...]:
        events = ("pull_request", "issue_comment", "push", "pull_request_review")
        return (
            Plugin(
                "recorder", "Records every event.", {e: self._handler("recorder") for e in events}
            ),
            Plugin(
                "failing",
                "Raises on every event.",
                {e: self._handler("failing", fail=True) for e in events},
            ),
            Plugin("second", "Records pull requests.", {"pull_request": self._handler("second")}),
            Plugin("repo-only", "Records pushes.", {"push": self._handler("repo-only")}),
        )


@dataclass
class RunningHook:
    url: str
    app: web.Application
    store: JobStore
    recorder: Recorder
    session: aiohttp.ClientSession

    @property
    def hook_url(self) -> str:
        return self.url + "/hook"

    async def post(
        self,
        event_type: str | None,
        body: bytes,
        *,
        token: str | None = "repo-token-new",
        delivery_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, str]:
        """POST a delivery, signed with `token` unless None; `headers` override."""
        sent = {
            "Content-Type": "application/json",
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        }
        if event_type is not None:
            sent["X-GitHub-Event"] = event_type
        if token is not None:
            sent["X-Hub-Signature-256"] = sign(body, token)
        sent.update(headers or {})
        async with self.session.post(self.hook_url, data=body, headers=sent) as response:
            return response.status, await response.text()

    async def settled(self) -> None:
        """Wait until every dispatched handler has finished."""
        await self.app[DISPATCHER].drain(10.0)


@contextlib.asynccontextmanager
async def running_hook(
    secret: Path = HOOK / "hmac-scoped.yaml",
    registry: Registry | None = None,
    **options: Any,
) -> AsyncIterator[RunningHook]:
    """The hook app on 127.0.0.1 and a free port, over a memory store; the
    recorder's plugins unless `registry` is given."""
    recorder = Recorder()
    config = hook_config()
    async with open_store("memory") as store:
        app = make_app(
            secret=HmacSecretFile(secret).secret,
            registry=registry if registry is not None else Registry(recorder.plugins()),
            config=lambda: config,
            store=store,
            **options,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        try:
            async with aiohttp.ClientSession() as session:
                yield RunningHook(f"http://{host}:{port}", app, store, recorder, session)
        finally:
            await runner.cleanup()


@contextlib.contextmanager
def captured(logger: str = "minprow.hook") -> Any:
    """Records of `logger` at INFO and above, whatever the root logger's set-up."""
    records: list[logging.LogRecord] = []

    class _Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = _Keep(logging.INFO)
    target = logging.getLogger(logger)
    old_level = target.level
    target.addHandler(handler)
    target.setLevel(logging.INFO)
    try:
        yield records
    finally:
        target.removeHandler(handler)
        target.setLevel(old_level)

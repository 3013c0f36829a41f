"""Helpers of the help and cat plugin tests: real webhook payloads to adapt, a
hand-written GitHub fake answering both plugins' Protocols from memory, and a
`PluginContext` over a plugins.yaml written for the test.

Imported as `from misc_plugin_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from fakes import VirtualClock

from minprow.config import Config, load_config
from minprow.github.errors import GitHubError
from minprow.github.events import parse_event
from minprow.github.types import IssueComment, Label, User
from minprow.hook.plugins.context import PluginContext
from minprow.store import JobStore

ROOT = Path(__file__).resolve().parents[3]
WEBHOOKS = ROOT / "fixtures" / "github" / "webhooks"
GUID = "3d6f2a0e-cc78-11e3-81ab-4c9367dc0958"
BOT = "k8s-ci-robot"
ORG, REPO = "Codertocat", "Hello-World"


def payload(name: str) -> dict[str, Any]:
    """A copy of a vendored @octokit/webhooks-examples payload, to adapt."""
    data: dict[str, Any] = json.loads((WEBHOOKS / name).read_text())
    return copy.deepcopy(data)


def parsed(event_type: str, data: dict[str, Any]) -> Any:
    """The payload parsed by minprow's webhook models."""
    return parse_event(event_type, json.dumps(data).encode())


def comment_payload(body: str, *, pr: bool = False, state: str = "open") -> dict[str, Any]:
    """issue_comment.created.json with the comment's body, the issue's state and kind set."""
    data = payload("issue_comment.created.json")
    data["comment"]["body"] = body
    data["issue"]["state"] = state
    if pr:
        data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/1"}
    return data


def plugin_config(tmp_path: Path, plugins: list[str], extra: str = "") -> Config:
    """A Config whose plugins.yaml enables `plugins` for ORG, plus `extra` sections."""
    path = tmp_path / "plugins.yaml"
    path.write_text(f"plugins:\n  {ORG}:\n    plugins: {json.dumps(plugins)}\n{extra}")
    return load_config(None, None, path)


def plugin_context(store: JobStore, github: Any, event_type: str, config: Config) -> PluginContext:
    return PluginContext(
        config=lambda: config,
        store=store,
        github=github,
        clock=VirtualClock(),
        log=logging.LoggerAdapter(logging.getLogger("test.plugins_misc"), {}),
        delivery_id=GUID,
        event_type=event_type,
        org=ORG,
        repo=REPO,
    )


@dataclass
class FakeGitHub:
    """The calls of the help and cat plugins on one issue, answered from memory.

    Every change is recorded in `calls`; a name in `failing` makes that call
    raise `GitHubError` as the real client does on an API error."""

    labels: list[str] = field(default_factory=list)
    existing: list[IssueComment] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def _maybe_fail(self, name: str) -> None:
        if name in self.failing:
            raise GitHubError("POST", f"/{name}", 500, "Server Error")

    async def get_user(self) -> User:
        self._maybe_fail("get_user")
        return User(login=BOT, type="Bot")

    async def list_issue_labels(self, org: str, repo: str, number: int) -> list[Label]:
        self._maybe_fail("list_issue_labels")
        return [Label(name=n) for n in self.labels]

    async def add_labels(self, org: str, repo: str, number: int, labels: Any) -> None:
        self._maybe_fail("add_labels")
        self.calls.append(("add_labels", number, tuple(labels)))
        self.labels.extend(labels)

    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None:
        self._maybe_fail("remove_label")
        self.calls.append(("remove_label", number, label))
        self.labels.remove(label)

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None:
        self._maybe_fail("create_comment")
        self.calls.append(("comment", number, body))

    async def list_issue_comments(self, org: str, repo: str, number: int) -> list[IssueComment]:
        self._maybe_fail("list_issue_comments")
        return list(self.existing)

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        self._maybe_fail("delete_comment")
        self.calls.append(("delete_comment", comment_id))
        self.existing = [c for c in self.existing if c.id != comment_id]

    def comments(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "comment"]

    def changes(self) -> list[tuple[Any, ...]]:
        """Every recorded call but comments, in order."""
        return [c for c in self.calls if c[0] != "comment"]


def comment_by(login: str, comment_id: int, body: str) -> IssueComment:
    return IssueComment(id=comment_id, body=body, user=User(login=login))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    api_key: str | None


@dataclass
class CatAPI:
    """A real HTTP server standing in for thecatapi.com and the images it names.

    `GET /v1/images/search` answers as `mode` says: "cat" (one cat whose image
    is served here), "500", "hang" (past any client timeout), "bad-json",
    "no-cats", "no-url"; `failures` 500s come first. `HEAD|GET /images/...`
    answers `image_status` with `image_size` bytes."""

    mode: str = "cat"
    failures: int = 0
    image_status: int = 200
    image_size: int = 2048
    requests: list[Request] = field(default_factory=list)
    url: str = ""
    _runner: Any = None
    _release: Any = None

    @property
    def search_url(self) -> str:
        return f"{self.url}/v1/images/search"

    @property
    def image_url(self) -> str:
        return f"{self.url}/images/tabby.jpg"

    def searches(self) -> list[Request]:
        return [r for r in self.requests if r.path == "/v1/images/search"]

    async def _search(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.failures:
            self.failures -= 1
            return web.Response(status=500, text="upstream down")
        if self.mode == "hang":
            await self._release.wait()
        answers: dict[str, web.Response] = {
            "cat": web.json_response([{"id": "a1", "url": self.image_url, "width": 8}]),
            "500": web.Response(status=500, text="Internal Server Error"),
            "bad-json": web.Response(text="<html>not json</html>", content_type="text/html"),
            "no-cats": web.json_response([]),
            "no-url": web.json_response([{"id": "a1"}]),
        }
        return answers.get(self.mode) or web.Response(status=503)

    async def _image(self, request: web.Request) -> web.StreamResponse:
        self._record(request)
        if self.image_status != 200:
            return web.Response(status=self.image_status)
        return web.Response(body=b"\0" * self.image_size, content_type="image/jpeg")

    def _record(self, request: web.Request) -> None:
        self.requests.append(
            Request(
                request.method, request.path, dict(request.query), request.headers.get("x-api-key")
            )
        )

    async def __aenter__(self) -> CatAPI:
        self._release = asyncio.Event()
        app = web.Application()
        app.router.add_get("/v1/images/search", self._search)
        app.router.add_get("/images/{name}", self._image)
        app.router.add_get("/grumpy/{name}", self._image)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._release.set()
        await self._runner.cleanup()


def closed_port_url() -> str:
    """A URL on a local port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1/images/search"

"""How Prow's hook turns webhooks into plugin calls, run against minprow's hook.

- TestHook (Prow's pkg/hook/hook_test.go) is data in fixtures/hook/prow/hook/
  hook.yaml: a signed `issues` delivery under several HMAC secret files, posted to
  minprow's real hook server (`running_hook` of tests/hook/hook_helpers.py), and
  whether the enabled plugin is called with it.
- Prow has no events_test.go; the behaviour of its pkg/hook/events.go is data in
  events.yaml (which handler calls a webhook becomes: the typed handler, and a
  generic comment for issue comments, reviews, review comments and opened or
  edited issues and pull requests) and events_to_plugins.yaml (the same seen
  through minprow's real hold, label and lgtm plugins). Both drive minprow's
  `Dispatcher` (minprow/hook/dispatch.py) with the vendored webhook payloads.

Where minprow differs from Prow, the case stays and is a strict xfail saying what
differs and where.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fakes import VirtualClock
from prow_plugin_cases import (
    ProwPluginGitHub,
    cases,
    get_path,
    hook_helpers,
    memory_store,
    parsed,
    payload,
    plugin_config,
    set_path,
    world,
)

from minprow.config import Config, PluginConfig
from minprow.hook import Plugin, PluginContext, Registry
from minprow.hook.dispatch import Delivery, Dispatcher
from minprow.hook.metrics import HookMetrics
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.hold import HOLD
from minprow.hook.plugins.label import LABEL
from minprow.hook.plugins.lgtm import LGTM

EVENT_TYPES = (
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "push",
)


class Recorder:
    """A plugin whose handlers record (handler key, payload) for every call."""

    def __init__(self, name: str, keys: tuple[str, ...]) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.plugin = Plugin(name, "Records every call.", {key: self._handler(key) for key in keys})

    def _handler(self, key: str) -> Any:
        async def handle(ctx: PluginContext, event: Any) -> None:
            self.calls.append((key, event))

        return handle


def _adapted(case: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = payload(case["payload"])
    for path, value in (case.get("set") or {}).items():
        set_path(data, path, value)
    return data


async def _dispatch(
    registry: Registry, plugins: PluginConfig, github: Any, event_type: str, data: dict[str, Any]
) -> None:
    config = Config(plugins=plugins)
    org = data["repository"]["owner"]["login"]
    async with memory_store() as store:
        dispatcher = Dispatcher(
            registry=registry,
            config=lambda: config,
            store=store,
            github=github,
            clock=VirtualClock(),
            metrics=HookMetrics(),
        )
        delivery = Delivery("prow-conformance", event_type, org, data["repository"]["name"])
        dispatcher.dispatch(delivery, parsed(event_type, data))
        assert await dispatcher.drain(10.0) == 0


# --- TestHook -------------------------------------------------------------------

HOOK = "hook/hook.yaml"


@pytest.mark.parametrize("case", cases(HOOK))
async def test_hook(case: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    w = world(HOOK)
    secret = tmp_path / "hmac.yaml"
    secret.write_text(case["secret"])
    config = Config(plugins=PluginConfig.model_validate({"plugins": w["plugins"]}))
    monkeypatch.setattr(hook_helpers, "hook_config", lambda: config)
    [name] = w["plugins"][f"{w['org']}/{w['repo']}"]["plugins"]
    recorder = Recorder(name, (w["event_type"],))
    data = payload(w["payload"])
    data["repository"].update(name=w["repo"], full_name=f"{w['org']}/{w['repo']}")
    data["repository"]["owner"]["login"] = w["org"]
    async with hook_helpers.running_hook(secret, Registry([recorder.plugin])) as hook:
        status, _ = await hook.post(w["event_type"], json.dumps(data).encode(), token=w["token"])
        await hook.settled()
    accepted = case["expect"]["accepted"]
    assert (status == 200) is accepted
    assert [key for key, _ in recorder.calls] == ([w["event_type"]] if accepted else [])


# --- events.go: which calls a webhook becomes -------------------------------------

EVENTS = "hook/events.yaml"


@pytest.mark.parametrize("case", cases(EVENTS))
async def test_events(case: dict[str, Any]) -> None:
    data = _adapted(case)
    recorder = Recorder("recorder", (*EVENT_TYPES, GENERIC_COMMENT))
    org = data["repository"]["owner"]["login"]
    plugins = PluginConfig.model_validate({"plugins": {org: ["recorder"]}})
    await _dispatch(Registry([recorder.plugin]), plugins, None, case["event_type"], data)
    typed = [event for key, event in recorder.calls if key == case["event_type"]]
    comments = [event for key, event in recorder.calls if key == GENERIC_COMMENT]
    assert len(typed) == (1 if case["expect"]["typed"] else 0)
    want = case["expect"]["generic"]
    if want is None:
        assert comments == []
        return
    [comment] = comments
    assert isinstance(comment, GenericComment)
    assert (comment.action, comment.is_pr, comment.number) == (
        want["action"],
        want["is_pr"],
        want["number"],
    )
    assert (comment.org, comment.repo) == (org, data["repository"]["name"])
    for field in ("author", "issue_author", "body", "html_url"):
        assert getattr(comment, field) == (get_path(data, want[field]) or ""), field


# --- events.go through the hold, label and lgtm plugins ----------------------------

TO_PLUGINS = "hook/events_to_plugins.yaml"


@pytest.mark.parametrize("case", cases(TO_PLUGINS))
async def test_events_to_plugins(case: dict[str, Any]) -> None:
    w = world(TO_PLUGINS)
    gh = ProwPluginGitHub(
        labels=list(case.get("labels", [])),
        repo_labels=list(w["repo_labels"]),
        collaborators=set(w["collaborators"]),
    )
    data = _adapted(case)
    await _dispatch(Registry([HOLD, LABEL, LGTM]), plugin_config(), gh, case["event_type"], data)
    expect = case["expect"]
    assert gh.added() == expect["added"]
    assert gh.removed() == expect["removed"]
    assert len(gh.replies()) == expect["comments"], gh.replies()

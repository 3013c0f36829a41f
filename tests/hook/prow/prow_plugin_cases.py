"""Helpers of the Prow hold, label, lgtm and hook conformance suites: the fixture
tables, a memory store, the GitHub fake extended with the calls Prow's plugins
also make, and checks of a comment's facts.

The cases are Prow's own (pkg/plugins/{lgtm,hold,label}/*_test.go,
pkg/hook/hook_test.go) and the behaviour of pkg/hook/events.go, kept as data under
fixtures/hook/prow/{lgtm,hold,label,hook}/; a case may name `skip: <reason>`. The
GitHub fake, the plugin context and the payload helpers are the plugin tests'
(tests/hook/plugins/plugin_helpers.py) and hook's (tests/hook/hook_helpers.py),
put on the import path here and imported, not copied.

Imported as `from prow_plugin_cases import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

_HOOK_TESTS = Path(__file__).resolve().parents[1]
for _path in (_HOOK_TESTS / "plugins", _HOOK_TESTS):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import hook_helpers  # noqa: E402
from plugin_helpers import (  # noqa: E402
    FakeGitHubWithRepoLabels,
    parsed,
    payload,
    plugin_config,
    plugin_context,
)

from minprow.github.types import IssueComment, User  # noqa: E402
from minprow.hook.plugins.lgtm import REMOVED_NOTICE  # noqa: E402
from minprow.hook.plugins.lgtm.lgtm import TREE_NOTE  # noqa: E402
from minprow.store import JobStore, open_store  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "fixtures" / "hook" / "prow"


def table(name: str) -> dict[str, Any]:
    """One fixture file ("lgtm/lgtm_comment.yaml"): Prow's test function, its
    `world` (what every case shares) and `cases`."""
    data: dict[str, Any] = yaml.safe_load((FIXTURES / name).read_text())
    return data


def world(name: str) -> dict[str, Any]:
    shared: dict[str, Any] = table(name).get("world") or {}
    return shared


def cases(name: str, xfail: Mapping[str, str] | None = None) -> list[Any]:
    """The cases of one fixture as `pytest.param`s with the Go case's name as id
    (a name Prow's table repeats gets " #2"). A case with `skip: <reason>` is
    skipped with that reason; a case named in `xfail` is a strict xfail."""
    xfail = xfail or {}
    known = {case["name"] for case in table(name)["cases"]}
    unknown = set(xfail) - known
    assert not unknown, f"xfail names no case of {name}: {sorted(unknown)}"
    params = []
    seen: dict[str, int] = {}
    for case in table(name)["cases"]:
        seen[case["name"]] = seen.get(case["name"], 0) + 1
        case_id = (
            case["name"] if seen[case["name"]] == 1 else f"{case['name']} #{seen[case['name']]}"
        )
        marks: list[Any] = []
        if "skip" in case:
            marks.append(pytest.mark.skip(reason=case["skip"]))
        elif case["name"] in xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=xfail[case["name"]]))
        params.append(pytest.param(case, id=case_id, marks=marks))
    return params


@contextlib.asynccontextmanager
async def memory_store() -> AsyncIterator[JobStore]:
    """A real in-memory JobStore (what `PluginContext` carries)."""
    async with open_store("memory") as store:
        yield store


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    """`data["a"]["b"] = value` for "a.b"."""
    *parents, last = dotted.split(".")
    for name in parents:
        data = data[name]
    data[last] = value


def get_path(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for name in dotted.split("."):
        value = value[name]
    return value


def tree_hash_comment(tree_hash: str) -> str:
    """The bot's comment recording the tree `lgtm` was given to (Prow's lgtm-added
    comment; minprow's wording, which minprow looks for)."""
    return TREE_NOTE.format(tree=tree_hash)


def seeded_comment(comment_id: int, spec: Mapping[str, Any]) -> IssueComment:
    """An earlier comment of a case's `existing_comments`: the bot's lgtm-removed
    notice (minprow's own wording, which minprow looks for) or a tree-hash comment."""
    if spec["kind"] == "lgtm_removed_notice":
        body = REMOVED_NOTICE
    elif spec["kind"] == "lgtm_tree_hash":
        body = tree_hash_comment(spec["tree_hash"])
    else:
        raise ValueError(f"unknown comment kind {spec['kind']!r}")
    edited = "2026-01-02T00:00:00Z" if spec.get("edited") else "2026-01-01T00:00:00Z"
    return IssueComment(
        id=comment_id,
        body=body,
        user=User(login=spec["author"]),
        created_at="2026-01-01T00:00:00Z",
        updated_at=edited,
    )


@dataclass
class ProwPluginGitHub(FakeGitHubWithRepoLabels):
    """The plugin tests' fake plus what Prow's hold, label and lgtm also call:
    team membership by slug, assigning users, re-requesting reviews. minprow may
    never call the last two; the tests then see nothing recorded."""

    def seed(self, specs: list[Mapping[str, Any]]) -> None:
        self.comments = [seeded_comment(n + 1, spec) for n, spec in enumerate(specs)]

    def added(self) -> list[str]:
        return [label for c in self.calls if c[0] == "add_labels" for label in c[2]]

    def removed(self) -> list[str]:
        return [c[2] for c in self.calls if c[0] == "remove_label"]

    def assigned(self) -> list[str]:
        return [login for c in self.calls if c[0] == "assign" for login in c[2]]

    def review_requested(self) -> list[str]:
        return [login for c in self.calls if c[0] == "request_review" for login in c[2]]

    def deleted(self) -> list[int]:
        return [c[1] for c in self.calls if c[0] == "delete_comment"]


def check_comments(replies: list[str], expected: list[Mapping[str, Any]]) -> None:
    """One comment per expected entry, each carrying its facts: `mentions` as
    @login, `commands` and `names` verbatim, `labels` in any case."""
    assert len(replies) == len(expected), replies
    for body, facts in zip(replies, expected, strict=True):
        for login in facts.get("mentions", []):
            assert f"@{login}" in body, (login, body)
        for text in [*facts.get("commands", []), *facts.get("names", [])]:
            assert text in body, (text, body)
        for label in facts.get("labels", []):
            assert label.lower() in body.lower(), (label, body)


__all__ = [
    "ProwPluginGitHub",
    "hook_helpers",
    "parsed",
    "payload",
    "plugin_config",
    "plugin_context",
]

"""Prow's own hold plugin tests, run against minprow's hold plugin.

The table of Prow's pkg/plugins/hold/hold_test.go (TestHandle) is data in
fixtures/hook/prow/hold/handle.yaml, each case under its Go name. The test drives
the generic comment handler minprow's `HOLD` plugin registers
(minprow/hook/plugins/hold/) with one case through the plugin tests' GitHub fake and
checks Prow's outcome: the hold label added or removed, and no comment. Where
minprow differs, the case stays and is a strict xfail saying what differs and where.
"""

from __future__ import annotations

from typing import Any

import pytest
from prow_plugin_cases import ProwPluginGitHub, cases, memory_store, plugin_context, world

from minprow.config import PluginConfig
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.hold import HOLD, HOLD_LABEL

HANDLE = "hold/handle.yaml"
HANDLE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(HANDLE, HANDLE_XFAIL))
async def test_handle(case: dict[str, Any]) -> None:
    w = world(HANDLE)
    assert w["label"] == HOLD_LABEL
    gh = ProwPluginGitHub(labels=[HOLD_LABEL] if case["has_label"] else [])
    comment = GenericComment(
        action="created",
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        is_pr=case["is_pr"],
        issue_state="open",
        issue_author="",
        author=w["commenter"],
        body=case["body"],
    )
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "issue_comment", PluginConfig())
        await HOLD.handlers[GENERIC_COMMENT](ctx, comment)
    assert gh.added() == case["expect"]["added"]
    assert gh.removed() == case["expect"]["removed"]
    assert gh.replies() == []

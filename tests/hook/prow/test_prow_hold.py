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
CANCEL_WITH_TEXT = (
    "Prow's cancel command takes text after it on the line (`/hold cancel <reason>`, "
    "`/unhold <reason>`) and removes the label; minprow's CANCEL_RE "
    "(minprow/hook/plugins/hold/hold.py) allows only trailing space, so {what}"
)
HANDLE_XFAIL = {
    "requested hold cancel with a reason": CANCEL_WITH_TEXT.format(
        what="the line reads as `/hold <text>` and the label stays"
    ),
    "requested unhold with a reason": CANCEL_WITH_TEXT.format(
        what="the line is no command and the label stays"
    ),
}


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

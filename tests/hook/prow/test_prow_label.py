"""Prow's own label plugin tests, run against minprow's label plugin.

The table cases of Prow's pkg/plugins/label/label_test.go are data under
fixtures/hook/prow/label/ (one file per Go test function, each case under its Go
name). Each test drives the handlers minprow's `LABEL` plugin registers
(minprow/hook/plugins/label/) with one case through the plugin tests' GitHub fake
(with the repository's labels and team membership) and checks Prow's outcome: the
labels added and removed, the comments and the facts they carry, the users
assigned. Where minprow lacks what Prow does, the case stays and is a strict xfail
saying what differs and where.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from prow_plugin_cases import (
    ProwPluginGitHub,
    cases,
    check_comments,
    memory_store,
    parsed,
    payload,
    plugin_context,
    world,
)

from minprow.config import PluginConfig
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.label import LABEL

# --- TestHandleComment ----------------------------------------------------------

COMMENT = "label/handle_comment.yaml"
COMMENT_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(COMMENT, COMMENT_XFAIL))
async def test_handle_comment(case: dict[str, Any]) -> None:
    w = world(COMMENT)
    gh = ProwPluginGitHub(
        labels=list(case.get("issue_labels", [])),
        repo_labels=list(case.get("repo_labels", [])),
        members=set(w["org_members"][w["org"]]),
        teams={slug: set(members) for slug, members in case.get("teams", {}).items()},
    )
    plugins = PluginConfig.model_validate(
        {
            "label": {
                "additional_labels": case.get("additional_labels", []),
                "restricted_labels": case.get("restricted_labels", {}),
            }
        }
    )
    comment = GenericComment(
        action=case["action"],
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        is_pr=False,
        issue_state="open",
        issue_author="",
        author=case["commenter"],
        body=case["body"],
    )
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "issue_comment", plugins)
        await LABEL.handlers[GENERIC_COMMENT](ctx, comment)
    expect = case["expect"]
    assert Counter(gh.added()) == Counter(expect["added"])
    assert Counter(gh.removed()) == Counter(expect["removed"])
    check_comments(gh.replies(), expect["comments"])


# --- TestHandleLabelAdd ---------------------------------------------------------

LABEL_ADD = "label/handle_label_add.yaml"
LABEL_ADD_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(LABEL_ADD, LABEL_ADD_XFAIL))
async def test_handle_label_add(case: dict[str, Any]) -> None:
    w = world(LABEL_ADD)
    data = payload("pull_request.labeled.json")
    data["action"] = case["action"]
    data["label"]["name"] = case["label"]
    for where in (data["repository"], data["pull_request"]["base"]["repo"]):
        where["owner"]["login"] = w["org"]
        where["name"] = w["repo"]
    data["pull_request"]["number"] = w["number"]
    gh = ProwPluginGitHub()
    plugins = PluginConfig.model_validate(
        {"label": {"restricted_labels": case["restricted_labels"]}}
    )
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "pull_request", plugins)
        await LABEL.handlers["pull_request"](ctx, parsed("pull_request", data))
    assert gh.assigned() == case["expect"]["assigned"]


# --- TestHelpProvider -----------------------------------------------------------

HELP = "label/help_provider.yaml"


@pytest.mark.parametrize("case", cases(HELP))
def test_help_provider(case: dict[str, Any]) -> None:
    """minprow's help does not depend on the configuration: one text for all."""
    PluginConfig.model_validate({"label": {"additional_labels": case["additional_labels"]}})
    for pattern in case["expect"]["includes"]:
        assert pattern in LABEL.help, pattern

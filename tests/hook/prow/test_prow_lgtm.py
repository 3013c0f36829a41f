"""Prow's own lgtm plugin tests, run against minprow's lgtm plugin.

The table cases of Prow's pkg/plugins/lgtm/lgtm_test.go are data under
fixtures/hook/prow/lgtm/ (one file per Go test function, each case under its Go
name). Each test drives the handlers minprow's `LGTM` plugin registers
(minprow/hook/plugins/lgtm/) with one case, through the plugin tests' GitHub fake,
and checks Prow's outcome: labels added and removed, the comments and the facts
they carry, assignments, reviews re-requested. Where minprow lacks what Prow does
(store_tree_hash, sticky_lgtm_team, assigning, re-requesting reviews, OWNERS), the
case stays and is a strict xfail saying what differs and where.
"""

from __future__ import annotations

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
    set_path,
    world,
)

from minprow.config import PluginConfig
from minprow.hook.plugins.generic import GENERIC_COMMENT, GenericComment
from minprow.hook.plugins.lgtm import LGTM, LGTM_LABEL

LGTM_PY = "minprow/hook/plugins/lgtm/lgtm.py"
OWNERS = (
    "with owners.skip_collaborators Prow lets an OWNERS reviewer of the changed files "
    f"lgtm and comments the tree hash; minprow has no OWNERS and refuses a non-collaborator "
    f"({LGTM_PY} set_lgtm)"
)


def _plugins(**lgtm: Any) -> PluginConfig:
    return PluginConfig.model_validate({"lgtm": [lgtm]})


def _fake(w: dict[str, Any], **fields: Any) -> ProwPluginGitHub:
    """The case world's GitHub: collaborators, the teams (by name and slug) and the
    head commit's tree."""
    gh = ProwPluginGitHub(collaborators=set(w["collaborators"]), **fields)
    for name, team in (w.get("teams") or {}).items():
        gh.team_names[team["slug"]] = name
        gh.teams[team["slug"]] = set(team["members"])
    if "tree_hash" in w:
        gh.head_sha = w["head_sha"]
        gh.trees[w["head_sha"]] = w["tree_hash"]
    return gh


def _comment(w: dict[str, Any], *, author: str, commenter: str, body: str) -> GenericComment:
    return GenericComment(
        assignees=tuple(w.get("assignees", [])),
        action="created",
        org=w["org"],
        repo=w["repo"],
        number=w["number"],
        is_pr=True,
        issue_state="open",
        issue_author=author,
        author=commenter,
        body=body,
        html_url="<url>",
    )


async def _on_comment(gh: ProwPluginGitHub, plugins: PluginConfig, comment: GenericComment) -> None:
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "issue_comment", plugins)
        await LGTM.handlers[GENERIC_COMMENT](ctx, comment)


# --- TestLGTMComment ------------------------------------------------------------

COMMENT = "lgtm/lgtm_comment.yaml"
COMMENT_XFAIL = {"lgtm comment, based off OWNERS only": OWNERS}


@pytest.mark.parametrize("case", cases(COMMENT, COMMENT_XFAIL))
async def test_lgtm_comment(case: dict[str, Any]) -> None:
    w = world(COMMENT)
    gh = _fake(w, labels=[LGTM_LABEL] if case["has_lgtm"] else [])
    config: dict[str, Any] = {"lgtm": [w["lgtm"]]}
    if case.get("skip_collaborators"):
        config["owners"] = {"skip_collaborators": [f"{w['org']}/{w['repo']}"]}
    comment = _comment(w, author=w["pr_author"], commenter=case["commenter"], body=case["body"])
    await _on_comment(gh, PluginConfig.model_validate(config), comment)
    expect = case["expect"]
    assert gh.added() == expect["added"]
    assert gh.removed() == expect["removed"]
    check_comments(gh.replies(), expect["comments"])
    assert gh.assigned() == expect["assigned"]
    assert gh.review_requested() == expect["review_requested"]


# --- TestLGTMCommentWithLGTMNoti ------------------------------------------------

NOTI = "lgtm/lgtm_comment_with_lgtm_noti.yaml"


@pytest.mark.parametrize("case", cases(NOTI))
async def test_lgtm_comment_with_lgtm_noti(case: dict[str, Any]) -> None:
    w = world(NOTI)
    gh = _fake(w)
    gh.seed(w["existing_comments"])
    comment = _comment(w, author=w["pr_author"], commenter=case["commenter"], body=case["body"])
    await _on_comment(gh, PluginConfig(), comment)
    assert (gh.deleted() == [1]) is case["expect"]["notice_deleted"]


# --- TestLGTMFromApproveReview --------------------------------------------------

REVIEW = "lgtm/lgtm_from_approve_review.yaml"
REVIEW_XFAIL: dict[str, str] = {}


def _review_event(w: dict[str, Any], case: dict[str, Any]) -> Any:
    data = payload("pull_request_review.submitted.json")
    user = data["pull_request"]["user"]
    data["action"] = case["action"]
    set_path(data, "repository.owner.login", w["org"])
    set_path(data, "repository.name", w["repo"])
    data["pull_request"]["number"] = w["number"]
    data["pull_request"]["user"] = {**user, "login": w["pr_author"]}
    data["pull_request"]["assignees"] = [{**user, "login": a} for a in w["assignees"]]
    review = data["review"]
    review.update(state=case["state"], body=case.get("body", ""), html_url="<url>")
    review["user"] = {**review["user"], "login": case["reviewer"]}
    review["user"]["type"] = case.get("reviewer_type", "User")
    return parsed("pull_request_review", data)


@pytest.mark.parametrize("case", cases(REVIEW, REVIEW_XFAIL))
async def test_lgtm_from_approve_review(case: dict[str, Any]) -> None:
    w = world(REVIEW)
    gh = _fake(w, labels=[LGTM_LABEL] if case["has_lgtm"] else [])
    plugins = _plugins(
        repos=[f"{w['org']}/{w['repo']}"],
        review_acts_as_lgtm=w["review_acts_as_lgtm"],
        store_tree_hash=case.get("store_tree_hash", False),
    )
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "pull_request_review", plugins)
        await LGTM.handlers["pull_request_review"](ctx, _review_event(w, case))
    expect = case["expect"]
    assert gh.added() == expect["added"]
    assert gh.removed() == expect["removed"]
    check_comments(gh.replies(), expect["comments"])
    assert gh.assigned() == expect["assigned"]


# --- TestHandlePullRequest ------------------------------------------------------

PULL = "lgtm/handle_pull_request.yaml"
PULL_XFAIL: dict[str, str] = {}


def _pull_request_event(w: dict[str, Any], case: dict[str, Any]) -> Any:
    data = payload("pull_request.synchronize.json")
    data["action"] = case["action"]
    pr = data["pull_request"]
    user = pr["user"]
    for where in (data["repository"], pr["base"]["repo"]):
        where["owner"]["login"] = w["org"]
        where["name"] = w["repo"]
    pr.update(number=w["number"], merged=False)
    pr["user"] = {**user, "login": case.get("author", "")}
    pr["assignees"] = [{**user, "login": a} for a in case.get("assignees", [])]
    pr["head"]["sha"] = w["head_sha"]
    return parsed("pull_request", data)


@pytest.mark.parametrize("case", cases(PULL, PULL_XFAIL))
async def test_handle_pull_request(case: dict[str, Any]) -> None:
    w = world(PULL)
    gh = _fake(w, labels=[LGTM_LABEL])
    gh.seed(case.get("existing_comments", []))
    plugins = _plugins(**w["lgtm"], sticky_lgtm_team=case.get("sticky_lgtm_team", ""))
    async with memory_store() as store:
        ctx = plugin_context(store, gh, "pull_request", plugins)
        await LGTM.handlers["pull_request"](ctx, _pull_request_event(w, case))
    expect = case["expect"]
    assert gh.removed() == expect["removed"]
    check_comments(gh.replies(), expect["comments"])
    assert gh.review_requested() == expect["review_requested"]


# --- TestAddTreeHashComment -----------------------------------------------------

ADD_TREE = "lgtm/add_tree_hash_comment.yaml"
ADD_TREE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(ADD_TREE, ADD_TREE_XFAIL))
async def test_add_tree_hash_comment(case: dict[str, Any]) -> None:
    w = world(ADD_TREE)
    gh = _fake(w)
    plugins = _plugins(**w["lgtm"], sticky_lgtm_team=case.get("sticky_lgtm_team", ""))
    comment = _comment(w, author=case["author"], commenter=w["commenter"], body=w["body"])
    await _on_comment(gh, plugins, comment)
    assert gh.added() == [LGTM_LABEL]
    tree_hash_comments = [r for r in gh.replies() if w["tree_hash"] in r and "lgtm" in r.lower()]
    assert bool(tree_hash_comments) is case["expect"]["tree_hash_comment"]


# --- TestRemoveTreeHashComment --------------------------------------------------

REMOVE_TREE = "lgtm/remove_tree_hash_comment.yaml"
REMOVE_TREE_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize("case", cases(REMOVE_TREE, REMOVE_TREE_XFAIL))
async def test_remove_tree_hash_comment(case: dict[str, Any]) -> None:
    w = world(REMOVE_TREE)
    gh = _fake(w, labels=[LGTM_LABEL] if case["has_lgtm"] else [])
    gh.seed(case["existing_comments"])
    comment = _comment(w, author=case["author"], commenter=case["commenter"], body=case["body"])
    await _on_comment(gh, _plugins(**w["lgtm"]), comment)
    assert gh.removed() == case["expect"]["removed"]
    assert (gh.deleted() == [1]) is case["expect"]["tree_hash_comment_deleted"]


# --- TestHelpProvider -----------------------------------------------------------

HELP = "lgtm/help_provider.yaml"
HELP_XFAIL = {
    name: (
        "Prow's help has a configuration part per enabled repo naming only the settings "
        "on there (review_acts_as_lgtm, store_tree_hash, the sticky team); minprow's lgtm "
        "help is one static text (minprow/hook/plugins/lgtm/plugin.py HELP) that always "
        "names review_acts_as_lgtm and never store_tree_hash or a team"
    )
    for name in ("Empty config", "StoreTreeHash enabled", "All configs enabled")
}


@pytest.mark.parametrize("case", cases(HELP, HELP_XFAIL))
def test_help_provider(case: dict[str, Any]) -> None:
    PluginConfig.model_validate({"lgtm": case["lgtm"]})
    help_text = LGTM.help
    for fact in case["expect"]["includes"]:
        assert fact in help_text, fact
    for fact in case["expect"]["excludes"]:
        assert fact not in help_text, fact

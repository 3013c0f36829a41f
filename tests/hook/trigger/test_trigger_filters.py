"""Trigger's filters and regexes, as Prow's pkg/pjutil/filter.go and help.go."""

from __future__ import annotations

import re

import pytest
from trigger_helpers import load_trigger_config

from minprow.config import Presubmit
from minprow.hook.plugins.trigger.filters import (
    OK_TO_TEST,
    RETEST,
    RETEST_REQUIRED,
    TEST_ALL,
    ChangedFiles,
    Contexts,
    comment_matches_trigger,
    drop_code_blocks,
    filter_presubmits,
    presubmit_filter,
)
from minprow.hook.plugins.trigger.filters import TestAllFilter as AllFilter
from minprow.hook.plugins.trigger.help import (
    NO_TARGET_NOTE,
    NO_TEST_ALL_NOTE,
    NOT_FOUND_NOTE,
    RETEST_TARGET_NOTE,
    available_presubmits,
    help_message,
    should_respond_with_help,
)

PRESUBMITS = load_trigger_config().presubmits_for("Codertocat", "Hello-World")


def _files(names: list[str]) -> ChangedFiles:
    async def fetch() -> list[str]:
        return list(names)

    return fetch


@pytest.mark.parametrize(
    ("rx", "body", "matches"),
    [
        (TEST_ALL, "/test all", True),
        (TEST_ALL, "/test all, please", True),
        (TEST_ALL, "lgtm\n/test all", True),
        (TEST_ALL, " /test all", False),
        (TEST_ALL, "/test allx", False),
        (RETEST, "/retest", True),
        (RETEST, "/retest  \nthanks", True),
        (RETEST, "/retest unit", False),
        (RETEST, "please /retest", False),
        (RETEST_REQUIRED, "/retest-required", True),
        (RETEST, "/retest-required", False),
        (OK_TO_TEST, "/ok-to-test", True),
        (OK_TO_TEST, "/ok-to-test now", False),
    ],
    ids=[
        "test-all",
        "test-all-comma",
        "test-all-second-line",
        "test-all-indented",
        "test-allx",
        "retest",
        "retest-trailing-space",
        "retest-with-target",
        "retest-mid-line",
        "retest-required",
        "retest-not-retest-required",
        "ok-to-test",
        "ok-to-test-with-words",
    ],
)
def test_command_regexes(rx: re.Pattern[str], body: str, matches: bool) -> None:
    assert (rx.search(body) is not None) is matches


@pytest.mark.parametrize(
    ("body", "triggered"),
    [
        ("/test unit", ["unit"]),
        ("/test unit e2e", ["e2e", "unit"]),
        ("/test e2e,", ["e2e"]),
        ("/test e2ex", []),
        ("/test all", ["not-docs", "optional-check", "unit"]),
        ("/run custom", ["custom"]),
        ("/test custom", []),
        ("/test release-only", []),
        ("/ok-to-test", ["not-docs", "optional-check", "unit"]),
        ("```\n/test e2e\n```", ["e2e"]),
    ],
    ids=[
        "one-job",
        "two-jobs",
        "trailing-comma",
        "prefix-is-not-a-name",
        "test-all-skips-explicit-and-unchanged",
        "custom-trigger",
        "custom-ignores-default-regex",
        "forced-still-needs-branch",
        "ok-to-test-is-test-all",
        "filter-sees-the-raw-body",
    ],
)
async def test_comment_filter_on_master(body: str, triggered: list[str]) -> None:
    chosen = presubmit_filter(True, body, None)
    jobs = await filter_presubmits(chosen, "master", PRESUBMITS, _files(["README.md"]))
    assert sorted(j.name for j in jobs) == triggered


@pytest.mark.parametrize(
    ("branch", "files", "triggered"),
    [
        ("master", ["README.md"], ["not-docs", "optional-check", "unit"]),
        ("master", ["main.go"], ["go-lint", "not-docs", "optional-check", "unit"]),
        ("master", ["docs/a.md", "docs/b.md"], ["optional-check", "unit"]),
        ("master", [], ["optional-check", "unit"]),
        ("main", ["README.md"], ["not-docs", "optional-check", "skip-master", "unit"]),
        ("master-old", ["README.md"], ["not-docs", "optional-check", "unit"]),
        (
            "release-1x1",
            ["README.md"],
            ["not-docs", "optional-check", "release-only", "skip-master", "unit"],
        ),
        (
            "prerelease-1.10",
            ["README.md"],
            ["not-docs", "optional-check", "release-only", "skip-master", "unit"],
        ),
    ],
    ids=[
        "readme",
        "go-file-runs-run-if-changed",
        "only-docs-skips-skip-if-only-changed",
        "no-changed-files-runs-neither",
        "skip-branches-master-runs-on-main",
        "skip-branches-unanchored",
        "branches-unanchored-dot",
        "branches-unanchored-substring",
    ],
)
async def test_test_all_filter(branch: str, files: list[str], triggered: list[str]) -> None:
    jobs = await filter_presubmits(AllFilter(), branch, PRESUBMITS, _files(files))
    assert sorted(j.name for j in jobs) == triggered


async def test_changed_files_fetched_only_when_needed() -> None:
    fetched: list[int] = []

    async def fetch() -> list[str]:
        fetched.append(1)
        return ["main.go"]

    always = [p for p in PRESUBMITS if p.name in ("unit", "optional-check")]
    await filter_presubmits(AllFilter(), "master", always, fetch)
    assert fetched == []
    await filter_presubmits(AllFilter(), "master", PRESUBMITS, fetch)
    assert fetched == [1]


@pytest.mark.parametrize(
    ("body", "statuses", "triggered"),
    [
        (
            "/retest",
            [("unit", "failure"), ("e2e", "error")],
            ["e2e", "not-docs", "optional-check", "unit"],
        ),
        (
            "/retest",
            [("unit", "success"), ("not-docs", "success"), ("optional-check", "success")],
            [],
        ),
        ("/retest", [("unit", "pending"), ("not-docs", "failure")], ["not-docs", "optional-check"]),
        (
            "/retest",
            [
                ("go-lint", "failure"),
                ("unit", "success"),
                ("not-docs", "success"),
                ("optional-check", "success"),
            ],
            ["go-lint"],
        ),
        (
            "/retest-required",
            [("unit", "failure"), ("optional-check", "failure"), ("not-docs", "success")],
            ["unit"],
        ),
    ],
    ids=[
        "failed-and-errored-and-missing",
        "all-green-nothing",
        "pending-is-not-failed",
        "failed-run-if-changed-runs-by-default",
        "retest-required-skips-optional",
    ],
)
async def test_retest(body: str, statuses: list[tuple[str, str]], triggered: list[str]) -> None:
    chosen = presubmit_filter(True, body, Contexts.from_statuses(statuses))
    jobs = await filter_presubmits(chosen, "master", PRESUBMITS, _files(["README.md"]))
    assert sorted(j.name for j in jobs) == triggered


def test_retest_needs_contexts() -> None:
    with pytest.raises(ValueError, match="contexts"):
        presubmit_filter(True, "/retest", None)


async def test_ok_to_test_ignored_when_not_honored() -> None:
    chosen = presubmit_filter(False, "/ok-to-test", None)
    assert await filter_presubmits(chosen, "master", PRESUBMITS, _files([])) == []


@pytest.mark.parametrize(
    ("body", "matches"),
    [
        ("/test unit", True),
        ("/run custom", True),
        ("/test ?", True),
        ("/test", True),
        ("/retest unit", True),
        ("/lgtm", False),
        ("```\n/retest\n```", False),
        ("text only", False),
    ],
    ids=["test", "custom", "help", "empty-test", "retest-target", "other", "in-code-block", "text"],
)
def test_comment_matches_trigger(body: str, matches: bool) -> None:
    assert comment_matches_trigger(drop_code_blocks(body), PRESUBMITS) is matches


@pytest.mark.parametrize(
    ("body", "to_run", "expected"),
    [
        ("/test ?", 3, (True, "")),
        ("/test", 0, (True, NO_TARGET_NOTE)),
        ("/retest unit", 0, (True, RETEST_TARGET_NOTE)),
        ("/test all", 0, (True, NO_TEST_ALL_NOTE)),
        ("/test nope", 0, (True, NOT_FOUND_NOTE)),
        ("/test unit", 1, (False, "")),
    ],
    ids=["help", "empty", "retest-target", "no-test-all", "not-found", "found"],
)
def test_should_respond_with_help(body: str, to_run: int, expected: tuple[bool, str]) -> None:
    assert should_respond_with_help(body, to_run) == expected


async def test_help_lists_commands() -> None:
    test_all, optional, required = await available_presubmits(
        "master", PRESUBMITS, _files(["README.md"])
    )
    assert test_all == {"unit", "not-docs", "optional-check"}
    assert optional == {"/test optional-check"}
    assert required == {"/test unit", "/test not-docs", "/test e2e", "/test go-lint", "/run custom"}
    text = help_message("o", "r", "master", "", test_all, optional, required)
    assert "```\n/test e2e\n```" in text
    assert "```\n/test optional-check\n```" in text
    assert (
        help_message("o", "r", "b", "", set(), set(), set())
        == "No presubmit jobs available for o/r@b"
    )


def test_presubmit_list_is_the_fixture() -> None:
    assert all(isinstance(p, Presubmit) for p in PRESUBMITS)

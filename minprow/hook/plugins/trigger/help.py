"""The `/test ?` answer: which `/test` commands a pull request can use.

Corresponds to Prow's pkg/pjutil/help.go (`MayNeedHelpComment`,
`ShouldRespondWithHelp`, `HelpMessage`, `IsHelpComment`) and `AvailablePresubmits` of
pkg/pjutil/filter.go. The wording is minprow's; the cases are Prow's.
"""

from __future__ import annotations

from collections.abc import Iterable

from minprow.config import Presubmit
from minprow.hook.plugins.trigger.filters import (
    EMPTY_TEST,
    RETEST_WITH_TARGET,
    TEST_ALL,
    TEST_HELP,
    TEST_WITH_ANY_TARGET,
    AggregateFilter,
    ChangedFiles,
    CommandFilter,
    TestAllFilter,
    filter_presubmits,
)

NO_TARGET_NOTE = "`/test` needs the name of at least one job.\n"
RETEST_TARGET_NOTE = "`/retest` takes no job names.\n"
NOT_FOUND_NOTE = "No job matches the name(s) given to `/test`.\n"
NO_TEST_ALL_NOTE = "`/test all` has no jobs to run here.\n"
REQUIRED_HEADER = "These commands run required jobs:"
OPTIONAL_HEADER = "These commands run optional jobs:"
_HELP_MARKS = (
    NO_TARGET_NOTE.strip(),
    RETEST_TARGET_NOTE.strip(),
    NOT_FOUND_NOTE.strip(),
    NO_TEST_ALL_NOTE.strip(),
    REQUIRED_HEADER,
    OPTIONAL_HEADER,
)


def is_help_comment(body: str) -> bool:
    """Prow's `IsHelpComment`: one of the bot's `/test` help replies (a `/test ?`
    answer has no note, so the lists' headers count too)."""
    return any(mark in body for mark in _HELP_MARKS)


def should_respond_with_help(body: str, to_run: int) -> tuple[bool, str]:
    """Prow's `ShouldRespondWithHelp`: (answer with the list?, note to lead with)."""
    if TEST_HELP.search(body):
        return True, ""
    if EMPTY_TEST.search(body):
        return True, NO_TARGET_NOTE
    if RETEST_WITH_TARGET.search(body):
        return True, RETEST_TARGET_NOTE
    if to_run == 0 and TEST_ALL.search(body):
        return True, NO_TEST_ALL_NOTE
    if to_run == 0 and TEST_WITH_ANY_TARGET.search(body):
        return True, NOT_FOUND_NOTE
    return False, ""


async def available_presubmits(
    branch: str, presubmits: list[Presubmit], changes: ChangedFiles
) -> tuple[set[str], set[str], set[str]]:
    """Prow's `AvailablePresubmits`: names `/test all` would run, and the rerun
    commands of optional and of required jobs."""
    test_all = await filter_presubmits(TestAllFilter(), branch, presubmits, changes)
    commands = AggregateFilter(tuple(CommandFilter(p.rerun_command) for p in presubmits))
    by_command = await filter_presubmits(commands, branch, presubmits, changes)
    optional = {p.rerun_command for p in by_command if p.optional}
    required = {p.rerun_command for p in by_command if not p.optional}
    return {p.name for p in test_all}, optional, required


def _block(names: Iterable[str]) -> str:
    return "".join(f"\n```\n{name}\n```" for name in sorted(names))


def help_message(
    org: str,
    repo: str,
    branch: str,
    note: str,
    test_all: set[str],
    optional: set[str],
    required: set[str],
) -> str:
    """Prow's `HelpMessage`: the commands available on this PR, required first."""
    if not test_all and not optional and not required:
        return f"No presubmit jobs available for {org}/{repo}@{branch}"
    text = note
    if required:
        text += f"{REQUIRED_HEADER}{_block(required)}\n\n"
    if optional:
        text += f"{OPTIONAL_HEADER}{_block(optional)}\n\n"
    if len(test_all) == len(optional) + len(required):
        text += "`/test all` runs every job.\n"
    elif test_all:
        text += f"`/test all` runs the jobs that start automatically:{_block(test_all)}\n\n"
    return text

"""Which presubmits a comment or a pull request event runs.

Corresponds to Prow's pkg/pjutil/filter.go (`TestAllRe`, `RetestRe`,
`RetestRequiredRe`, `TestManualRequiredRe`, `OkToTestRe`, `OkToTestCancelRe`,
`CommandFilter`, `TestAllFilter`, `RetestFilter`, `RetestRequiredFilter`,
`TestManualRequiredFilter`, `AggregateFilter`, `PresubmitFilter`,
`FilterPresubmits`), the help commands of pkg/pjutil/help.go and
`markdown.DropCodeBlock`. The command regexes are Prow's, matched by RE2 as Go
matches them.

A filter answers, per presubmit, (matches, forced, default): whether the job is
considered at all, whether it runs regardless of its change regexes, and what
it does when its change regexes cannot decide. `Presubmit.should_run` makes the
final call with the branch (searched unanchored, as Go's `MatchString`) and the
changed files, which are fetched at most once and only when some job needs them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from minprow.config import Presubmit
from minprow.config.goregex import compile_regex

TEST_ALL = compile_regex(r"(?m)^/test all,?($|\s.*)")
RETEST = compile_regex(r"(?m)^/retest\s*$")
RETEST_REQUIRED = compile_regex(r"(?m)^/retest-required\s*$")
TEST_MANUAL_REQUIRED = compile_regex(r"(?m)^/test-manual-required\s*$")
OK_TO_TEST = compile_regex(r"(?m)^/ok-to-test\s*$")
OK_TO_TEST_CANCEL = compile_regex(r"(?m)^/ok-to-test\s+cancel\s*$")
ANY_TEST = compile_regex(r"(?m)^/(?:re)?test\b")
"""Prow's `anyTestRe`: a `/test...` or `/retest...` command, after which earlier help
replies are pruned (`ShouldRespondByPruningHelp`)."""
TEST_HELP = compile_regex(r"(?m)^/test[ \t]*\?\s*$")
EMPTY_TEST = compile_regex(r"(?m)^/test\s*$")
RETEST_WITH_TARGET = compile_regex(r"(?m)^/retest[ \t]+\S+")
TEST_WITH_ANY_TARGET = compile_regex(r"(?m)^/test[ \t]+\S+")
_CODE_BLOCK = compile_regex("(?msU)^```.*(\n```\n|\n```$)|(?msU)^~~~.*(\n~~~\n|\n~~~$)")
"""Prow's pkg/markdown `codeBlockRe`: fenced blocks of ``` or ~~~ (RE2's U: lazy)."""

Verdict = tuple[bool, bool, bool]
"""(matches, forced, default) for one presubmit."""
ChangedFiles = Callable[[], Awaitable[list[str]]]
"""Fetches the changed files of the pull request (or push) when first needed."""


def drop_code_blocks(body: str) -> str:
    """Prow's `markdown.DropCodeBlock`: commands inside ``` fences do not count."""
    return _CODE_BLOCK.sub("", body)


class Filter(Protocol):
    @property
    def name(self) -> str: ...

    def should_run(self, job: Presubmit) -> Verdict: ...


@dataclass(frozen=True)
class CommandFilter:
    """`/test foo`: jobs whose `trigger` regex matches the comment, forced to run."""

    body: str
    name: str = "command-filter"

    def should_run(self, job: Presubmit) -> Verdict:
        matches = job.trigger_matches(self.body)
        return matches, matches, True


@dataclass(frozen=True)
class TestAllFilter:
    """`/test all`, `/ok-to-test` and new or updated PRs: every job that does not
    need an explicit `/test`, subject to its change regexes."""

    name: str = "test-all-filter"

    def should_run(self, job: Presubmit) -> Verdict:
        return not job.needs_explicit_trigger(), False, False


@dataclass(frozen=True)
class RetestFilter:
    """`/retest`: jobs whose context failed or errored, plus automatic jobs that
    have not reported yet."""

    failed_contexts: frozenset[str]
    all_contexts: frozenset[str]
    name: str = "retest-filter"

    def should_run(self, job: Presubmit) -> Verdict:
        failed = job.context in self.failed_contexts
        missing = not job.needs_explicit_trigger() and job.context not in self.all_contexts
        return failed or missing, False, failed


@dataclass(frozen=True)
class RetestRequiredFilter:
    """`/retest-required`: as `/retest`, for jobs that are not optional."""

    failed_contexts: frozenset[str]
    all_contexts: frozenset[str]
    name: str = "retest-required-filter"

    def should_run(self, job: Presubmit) -> Verdict:
        if job.optional:
            return False, False, False
        return RetestFilter(self.failed_contexts, self.all_contexts).should_run(job)


@dataclass(frozen=True)
class TestManualRequiredFilter:
    """`/test-manual-required`: every required job that only runs when asked for,
    unconditionally; not one with change regexes (kubernetes-sigs/prow#735)."""

    name: str = "test-manual-required-filter"

    def should_run(self, job: Presubmit) -> Verdict:
        if job.optional or not job.needs_explicit_trigger() or job.could_run_with_changes():
            return False, False, False
        return True, True, False


@dataclass(frozen=True)
class AggregateFilter:
    """The first child filter that matches decides."""

    filters: tuple[Filter, ...]
    name: str = field(default="aggregate-filter")

    def should_run(self, job: Presubmit) -> Verdict:
        for child in self.filters:
            verdict = child.should_run(job)
            if verdict[0]:
                return verdict
        return False, False, False


@dataclass(frozen=True)
class Contexts:
    """The commit statuses of a PR's head: failed (failure or error) and all."""

    failed: frozenset[str]
    all: frozenset[str]

    @classmethod
    def from_statuses(cls, statuses: Iterable[tuple[str, str]]) -> Contexts:
        """From (context, state) pairs."""
        pairs = list(statuses)
        failed = frozenset(c for c, state in pairs if state in ("failure", "error"))
        return cls(failed=failed, all=frozenset(c for c, _ in pairs))


def needs_contexts(body: str) -> bool:
    """Whether the comment's filter needs the PR's commit statuses."""
    return bool(RETEST.search(body) or RETEST_REQUIRED.search(body))


def presubmit_filter(honor_ok_to_test: bool, body: str, contexts: Contexts | None) -> Filter:
    """Prow's `PresubmitFilter`: the filters a comment asks for, most specific first.

    `contexts` is required when `needs_contexts(body)`."""
    filters: list[Filter] = [CommandFilter(body)]
    if RETEST.search(body):
        if contexts is None:
            raise ValueError("/retest needs the pull request's contexts")
        filters.append(RetestFilter(contexts.failed, contexts.all))
    if RETEST_REQUIRED.search(body):
        if contexts is None:
            raise ValueError("/retest-required needs the pull request's contexts")
        filters.append(RetestRequiredFilter(contexts.failed, contexts.all))
    if TEST_MANUAL_REQUIRED.search(body):
        filters.append(TestManualRequiredFilter())
    if (honor_ok_to_test and OK_TO_TEST.search(body)) or TEST_ALL.search(body):
        filters.append(TestAllFilter())
    return AggregateFilter(tuple(filters))


async def filter_presubmits(
    chosen: Filter, branch: str, presubmits: Iterable[Presubmit], changes: ChangedFiles
) -> list[Presubmit]:
    """Prow's `FilterPresubmits`: the presubmits the filter picks that should run
    against `branch` with the changed files (fetched once, only if needed)."""
    fetched: list[str] | None = None
    picked: list[Presubmit] = []
    for job in presubmits:
        matches, forced, default = chosen.should_run(job)
        if not matches:
            continue
        files: list[str] = []
        if (
            job.should_run_for_branch(branch)
            and not (job.always_run or forced)
            and job.could_run_with_changes()
        ):
            if fetched is None:
                fetched = await changes()
            files = fetched
        if job.should_run(branch, files, forced=forced, defaults=default):
            picked.append(job)
    return picked


def may_need_help_comment(body: str) -> bool:
    """Prow's `MayNeedHelpComment`: an empty `/test`, `/test ?`, a `/test` or
    `/retest` with targets."""
    return any(
        rx.search(body) for rx in (EMPTY_TEST, RETEST_WITH_TARGET, TEST_WITH_ANY_TARGET, TEST_HELP)
    )


def comment_matches_trigger(text: str, presubmits: Iterable[Presubmit]) -> bool:
    """Prow's `commentMatchesTrigger`: the comment is for trigger at all."""
    if (
        RETEST.search(text)
        or RETEST_REQUIRED.search(text)
        or TEST_MANUAL_REQUIRED.search(text)
        or OK_TO_TEST.search(text)
        or OK_TO_TEST_CANCEL.search(text)
        or TEST_ALL.search(text)
        or may_need_help_comment(text)
    ):
        return True
    return any(job.trigger_matches(text) for job in presubmits)

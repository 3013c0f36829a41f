"""The filter the user types above the job table: free text and `key:value` terms.

Deck filters its job list by type, repo, author, job and state from drop-downs
(pkg/deck/static/prow/prow.ts); here the same criteria are words in one line, as
in k9s's `/` filter, so a filter is typed, not clicked:

    state:failure type:presubmit repo:org/repo author:alice pr:12 e2e

Every term must hold. A free word matches anywhere in the job name, repo, author
or `#PR`; `state:` and `type:` take prefixes and comma-separated alternatives
(`state:fail,err`); `repo:`, `author:`, `job:` and `cluster:` match substrings;
`pr:` a PR number exactly. Matching is case-insensitive. A `key:` that is not one
of these is searched as free text, so a job name with a colon still matches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minprow.tui.rows import JobRow

KEYS = ("state", "type", "repo", "author", "pr", "job", "cluster")
"""The `key:` terms the filter knows, in the order the help lists them."""

Test = Callable[["JobRow"], bool]


def _alternatives(value: str, field: Callable[[JobRow], str]) -> Test:
    prefixes = tuple(part for part in value.split(",") if part)
    return lambda row: field(row).startswith(prefixes)


def _substring(value: str, field: Callable[[JobRow], str]) -> Test:
    return lambda row: value in field(row).lower()


def _pr(value: str) -> Test:
    number = value.lstrip("#")
    if not number.isdigit():
        # "pr:abc" can match no PR; saying so beats silently ignoring the term.
        return lambda row: False
    wanted = int(number)
    return lambda row: row.pr == wanted


def _term(key: str, value: str) -> Test:
    if key == "state":
        return _alternatives(value, lambda row: str(row.state))
    if key == "type":
        return _alternatives(value, lambda row: row.type)
    if key == "repo":
        return _substring(value, lambda row: row.org_repo)
    if key == "author":
        return _substring(value, lambda row: row.author)
    if key == "job":
        return _substring(value, lambda row: row.job_name)
    if key == "cluster":
        return _substring(value, lambda row: row.cluster)
    return _pr(value)


@dataclass(frozen=True)
class JobFilter:
    """A parsed filter line; `matches(row)` is what the table asks of every job."""

    text: str
    words: tuple[str, ...]
    terms: tuple[tuple[str, str], ...]
    _tests: tuple[Test, ...]

    @classmethod
    def parse(cls, text: str) -> JobFilter:
        words: list[str] = []
        terms: list[tuple[str, str]] = []
        for token in text.lower().split():
            key, colon, value = token.partition(":")
            if colon and key in KEYS and value:
                terms.append((key, value))
            elif colon and key in KEYS:
                continue  # "state:" half typed: no constraint yet.
            else:
                words.append(token)
        tests = tuple(_term(key, value) for key, value in terms)
        return cls(text=text, words=tuple(words), terms=tuple(terms), _tests=tests)

    @property
    def empty(self) -> bool:
        return not self.words and not self.terms

    def matches(self, row: JobRow) -> bool:
        haystack = row.haystack
        for word in self.words:
            if word not in haystack:
                return False
        # A loop, not all(): this runs for every job at every keystroke.
        for test in self._tests:  # noqa: SIM110
            if not test(row):
                return False
        return True

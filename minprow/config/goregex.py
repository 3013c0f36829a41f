"""Go's regexp for configuration: RE2 syntax and `MatchString` semantics.

Prow compiles every regular expression of its configuration with Go's `regexp`
(`trigger`, `run_if_changed`, `skip_if_only_changed`, `branches` and
`skip_branches` joined with `|`, and the regexes of plugins.yaml). Go's regexp is
RE2: no backreferences or lookaround, but flags may be set inside any group
(`((?m)^/test a)|((?m)^/test b)`), which Python's `re` refuses. So minprow
compiles them with RE2 itself, through Google's binding (google-re2), rather
than translating patterns. Matching is Go's `MatchString`: a search anywhere in
the text, leftmost-first.

Go's parser differs from RE2's C++ one in one accepted escape: `\\C` (any byte)
is refused by Go, and is refused here too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Protocol

import re2


class RegexError(ValueError):
    """A pattern Go's regexp (RE2) does not accept; the message says why."""


class Regexp(Protocol):
    """A compiled pattern (an RE2 `_Regexp`)."""

    @property
    def pattern(self) -> str: ...

    def search(self, text: str) -> Any:
        """The leftmost match anywhere in `text`, or None (Go's `FindStringIndex`)."""

    def sub(self, repl: str, text: str) -> str:
        """`text` with every match replaced (Go's `ReplaceAllString`, for a literal `repl`)."""


_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would print every rejected pattern to stderr


@lru_cache(maxsize=16384)
def compile_regex(pattern: str) -> Regexp:
    """`pattern` compiled as Go's `regexp.Compile` would; one object per distinct pattern.

    Raises RegexError with RE2's reason when Go would refuse it."""
    _refuse_any_byte(pattern)
    try:
        compiled: Regexp = re2.compile(pattern, _OPTIONS)
    except re2.error as err:
        reason = err.args[0] if err.args else err
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise RegexError(f"error parsing regexp: {reason}") from None
    return compiled


def match_string(pattern: str, text: str) -> bool:
    """Go's `regexp.MatchString`: whether `pattern` matches anywhere in `text`."""
    return compile_regex(pattern).search(text) is not None


def _refuse_any_byte(pattern: str) -> None:
    i = pattern.find("\\")
    while i != -1 and i + 1 < len(pattern):
        if pattern[i + 1] == "C":
            raise RegexError(f"error parsing regexp: invalid escape sequence: `\\C` in `{pattern}`")
        i = pattern.find("\\", i + 2)

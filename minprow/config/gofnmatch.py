"""fnmatch as github.com/danwakefield/fnmatch does it, for `.prowignore` patterns.

Prow reads `.prowignore` files with github.com/denormal/go-gitignore, which
matches each pattern with that library's `Match` (a Go port of BSD fnmatch.c),
with no flags or with `FNM_PATHNAME` only. `regex` turns a pattern into an
equivalent Python regex, matched against the whole string:

- `*` any run of characters (a run of `*` is one), `?` one character; with
  `pathname` neither matches "/".
- `\\x` is the character x; a `\\` at the end is a backslash.
- `[...]` one character of the set (`!` or `^` first negates; `a-z` ranges by
  code point, an empty `z-a` matches nothing; `\\` escapes). BSD's reading, not
  POSIX's: a `]` right after `[` (or `[!`) closes the set, so `[]` matches
  nothing and `[!]` any character. A set with no closing `]` matches nothing, so
  neither does the whole pattern. With `pathname` a set never matches "/".

Not reproduced: an unclosed set whose last character takes more than one byte
in UTF-8 (`[é`) makes the Go library index past the end of the pattern and
panic when the set is tried against a character the set does not list; here it
simply does not match.
"""

from __future__ import annotations

import re
from functools import cache

_NEVER = re.compile("(?!)")


@cache
def regex(pattern: str, pathname: bool = False) -> re.Pattern[str]:
    """`pattern` as a regex to `fullmatch` a string (with `pathname`: FNM_PATHNAME)."""
    any_char = "[^/]" if pathname else "."
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append(any_char + "*")
        elif c == "?":
            out.append(any_char)
        elif c == "[":
            atom, i = _set(pattern, i, pathname)
            if atom is None:
                return _NEVER
            out.append(atom)
        else:
            if c == "\\" and i < n:
                c = pattern[i]
                i += 1
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def match(pattern: str, text: str, pathname: bool = False) -> bool:
    """Whether `text` matches `pattern` (the Go library's `Match` with flags 0 or
    FNM_PATHNAME)."""
    return regex(pattern, pathname).fullmatch(text) is not None


def _over_one_byte(pattern: str, i: int) -> bool:
    """Whether pattern[i:] is longer than one byte in UTF-8 (the library counts bytes)."""
    rest = len(pattern) - i
    return rest > 1 or (rest == 1 and ord(pattern[i]) > 0x7F)


def _set(pattern: str, i: int, pathname: bool) -> tuple[str | None, int]:
    """The set that starts after the `[` at i-1: its regex (None when it can never
    match) and the index after its `]`."""
    n = len(pattern)
    if i >= n:
        return None, n
    negate = pattern[i] in "!^"
    if negate:
        i += 1
    ranges: list[tuple[str, str]] = []
    while _over_one_byte(pattern, i) and pattern[i] != "]":
        low = pattern[i]
        i += 1
        if low == "\\":
            if not _over_one_byte(pattern, i):
                return None, n
            low = pattern[i]
            i += 1
        if i >= n:
            return None, n  # the library indexes past the end here (see the module doc)
        high = low
        if pattern[i] == "-" and i + 1 < n and pattern[i + 1] != "]":
            high = pattern[i + 1]
            i += 2
            if high == "\\":
                if i >= n:
                    return None, n
                high = pattern[i]
                i += 1
        if low <= high:
            ranges.append((low, high))
    if i >= n or pattern[i] != "]":
        return None, n
    body = "".join(
        re.escape(low) if low == high else f"{re.escape(low)}-{re.escape(high)}"
        for low, high in ranges
    )
    if negate:
        if not body:
            return ("[^/]" if pathname else "."), i + 1
        return f"[^{body}{'/' if pathname else ''}]", i + 1
    if not body:
        return None, n
    return ("(?!/)" if pathname else "") + f"[{body}]", i + 1

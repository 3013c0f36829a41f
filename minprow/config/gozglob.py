"""Path globs as github.com/mattn/go-zglob's `Match`, for config-updater's `maps`.

Prow's config-updater picks the ConfigMap of a changed file by
`zglob.Match(glob, filename)` (pkg/plugins/updateconfig). zglob is not Go's
`path.Match` and not a shell's glob; it turns a pattern into a Go regexp:

- a pattern with no `*` and no `{` in any segment is compared as a string;
- `**/` is any run of directories, none included (`(.*/)?`); any other `*` is
  a run of non-"/" characters, so a trailing `**` matches one level only;
- `{a,b}` is one of the alternatives, `[...]` a character class passed to the
  regexp as written, `!(abc)` a run of characters none of which is listed;
- `\\x` is the character x; every other character is itself (`?` too: zglob
  has no single-character wildcard);
- a name no longer than the pattern's static directory prefix never matches.

The regexp is compiled with RE2, as Go compiles it (`goregex`). Not reproduced:
`~` and `$VAR` segments (zglob expands them from the environment of the
process, which means nothing for paths in a pull request), and the
case-insensitive matching zglob does on macOS and Windows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from minprow.config.goregex import RegexError, Regexp, compile_regex


class GlobError(ValueError):
    """A glob whose regexp Go's regexp refuses (an unbalanced class, say)."""


@dataclass(frozen=True)
class Glob:
    """A compiled zglob pattern."""

    pattern: str
    root: str
    """The static directory the pattern starts below ("" for a plain string)."""
    regexp: Regexp | None

    def match(self, name: str) -> bool:
        """zglob's `Match(pattern, name)`."""
        if self.regexp is None:
            return self.pattern == name
        if name == "." or len(name.encode()) <= len(self.root.encode()):
            return False
        return self.regexp.search(name) is not None


def match(pattern: str, name: str) -> bool:
    """Whether `name` (a slash-separated path) matches the zglob `pattern`."""
    return compile_glob(pattern).match(name)


@lru_cache(maxsize=1024)
def compile_glob(pattern: str) -> Glob:
    """`pattern` compiled as zglob's `New` does. Raises GlobError when Go would."""
    mask, root = "", ""
    for n, segment in enumerate(pattern.split("/")):
        if not root and any(c in segment for c in "*{"):
            root = mask or "."
        mask = _join(mask, segment)
        if n == 0 and not mask:
            mask = "/"
    if not root:
        return Glob(pattern, "", None)
    filemask, negation_root = _translate(_clean(mask or "."))
    root = root if negation_root is None else negation_root
    if filemask.endswith("/"):
        filemask += "[^/]*"
    try:
        regexp = compile_regex(f"^{filemask}$")
    except RegexError as err:
        raise GlobError(f"glob {pattern!r}: {err}") from None
    return Glob(pattern, _clean(root), regexp)


def _translate(mask: str) -> tuple[str, str | None]:
    """The regexp of a cleaned mask, and the root a leading `!(...)` gives (zglob
    takes the regexp written so far as the root then, when no static directory
    came before)."""
    out: list[str] = []
    static = True
    static_prefix = ""
    root: str | None = None
    i, n = 0, len(mask)
    while i < n:
        c = mask[i]
        if c == "\\" and i < n - 2:
            i += 1
            out.append(_byte(mask[i]))
            static_prefix += mask[i] if static else ""
        elif c == "*":
            static = False
            if i < n - 2 and mask[i + 1] == "*" and mask[i + 2] == "/":
                out.append("(.*/)?")
                i += 2
            else:
                out.append("[^/]*")
        elif c == "[":
            static = False
            # zglob copies the class through; an unclosed one swallows the rest of
            # the pattern once, and the loop then reads that rest again (as zglob does).
            body, end = _until(mask, i + 1, "]")
            if end is not None:
                i = end
            if body:
                out.append(f"[{body}]")
        elif c == "{":
            static = False
            body, end = _until(mask, i + 1, "}")
            if end is not None:
                i = end
            alternatives = "".join("|" if ch == "," else _literal(ch) for ch in body)
            if alternatives:
                out.append(f"({alternatives})")
            else:
                out.append(_literal(mask[i]))
        elif c == "!" and i < n - 1 and mask[i + 1] == "(":
            i += 1
            body, end = _until(mask, i + 1, ")")
            if end is not None:
                i = end
            if body:
                if not static_prefix:
                    root = "".join(out)
                out.append("".join(f"[^{_escape(ch)}/]*" for ch in body))
            else:
                out.append(_literal(mask[i]))
                static_prefix += mask[i] if static else ""
        else:
            out.append(_literal(c))
            static_prefix += c if static else ""
        i += 1
    return "".join(out), root


def _until(mask: str, start: int, close: str) -> tuple[str, int | None]:
    """The text from `start` to the next `close`, and that index (None if unclosed)."""
    end = mask.find(close, start)
    if end == -1:
        return mask[start:], None
    return mask[start:end], end


def _literal(c: str) -> str:
    if c == "/" or (c.isascii() and c.isalnum()) or ord(c) > 255:
        return c
    return _byte(c)


def _byte(c: str) -> str:
    return f"[{_escape(c)}]"


def _escape(c: str) -> str:
    return f"\\x{{{ord(c):X}}}" if ord(c) > 255 else f"\\x{ord(c):02X}"


def _join(a: str, b: str) -> str:
    """Go's `path.Join` of two elements (empty ones dropped, the result cleaned)."""
    joined = "/".join(p for p in (a, b) if p)
    return _clean(joined) if joined else ""


def _clean(path: str) -> str:
    """Go's `path.Clean` ("" is ".", no trailing slash, `..` resolved lexically)."""
    if not path:
        return "."
    rooted = path.startswith("/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = "/".join(parts)
    if rooted:
        return "/" + cleaned
    return cleaned or "."

"""`.prowignore` files: which job config files Prow skips.

Corresponds to Prow's `ReadJobConfig` (pkg/config/config.go), which asks
github.com/denormal/go-gitignore's repository (`NewRepositoryWithFile(dir,
".prowignore")`) whether each `.yaml`/`.yml` file it walks is ignored. That
library's rules, as minprow reproduces them:

- A `.prowignore` may sit in any directory of the tree; its patterns are
  relative to that directory. For a path, the file of the deepest directory
  that has a matching pattern decides; within one file the last matching
  pattern does (`!pattern` re-includes).
- A path inside an ignored directory is ignored, whatever deeper files say
  (its parents are asked first), so an ignored directory need not be walked.
- A pattern without a slash matches the last path element (`*.yaml`,
  `generated`); with a leading slash only at the top (`/x.yaml`). A pattern with
  a slash inside matches the whole path relative to its file's directory, `*`
  and `?` not crossing a slash (`sub/*.yaml`). `**` as a whole path element
  matches any number of elements (`**/gen`, `a/**`). A trailing slash matches
  directories only. `*`, `?`, `[...]` (`!` or `^` negates) and `\\` escapes are
  fnmatch's.
- Empty lines and lines starting with `#` are skipped, trailing blanks are not
  part of a pattern, and the last line counts without a trailing newline. A line
  the library cannot parse (`a**b`) is skipped, as the library does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PROW_IGNORE_FILE = ".prowignore"


@dataclass(frozen=True, slots=True)
class _Pattern:
    negated: bool
    directory: bool
    kind: str
    """"name" (the last element), "anchored" (a name pattern at the top: the whole
    path, `*` crossing slashes as fnmatch without FNM_PATHNAME), "path" (the whole
    path, FNM_PATHNAME) or "any" (element by element, `**` for any elements)."""
    regex: re.Pattern[str] | None = None
    elements: tuple[re.Pattern[str] | None, ...] = ()
    """For "any": one regex per element, None for `**`."""

    def matches(self, rel: str, is_dir: bool) -> bool:
        if self.directory and not is_dir:
            return False
        if self.kind == "any":
            return _match_elements(self.elements, tuple(rel.split("/")))
        assert self.regex is not None
        subject = rel.rpartition("/")[2] if self.kind == "name" else rel
        return self.regex.fullmatch(subject) is not None


def _match_elements(elements: tuple[re.Pattern[str] | None, ...], parts: tuple[str, ...]) -> bool:
    if not elements:
        return not parts
    first = elements[0]
    if first is None:  # `**`: no element, or one more
        return _match_elements(elements[1:], parts) or (
            bool(parts) and _match_elements(elements, parts[1:])
        )
    return (
        bool(parts)
        and first.fullmatch(parts[0]) is not None
        and _match_elements(elements[1:], parts[1:])
    )


@cache
def _fnmatch(glob: str, pathname: bool) -> re.Pattern[str]:
    """fnmatch's glob as a regex; with `pathname`, `*` and `?` do not match "/"."""
    one = "[^/]" if pathname else "."
    out: list[str] = []
    i = 0
    while i < len(glob):
        c = glob[i]
        i += 1
        if c == "*":
            out.append(one + "*")
        elif c == "?":
            out.append(one)
        elif c == "\\" and i < len(glob):
            out.append(re.escape(glob[i]))
            i += 1
        elif c == "[":
            end = i + 1 if i < len(glob) and glob[i] in "!^" else i
            end = end + 1 if end < len(glob) and glob[end] == "]" else end
            end = glob.find("]", end)
            if end == -1:
                out.append(re.escape(c))
                continue
            body = glob[i:end]
            i = end + 1
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            escaped = body.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
            out.append(f"[{'^' if negate else ''}{escaped}]")
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.S)


def parse_pattern(line: str) -> _Pattern | None:
    """One `.prowignore` line as a pattern; None for blanks, comments and lines
    the library refuses."""
    line = line.rstrip("\r\n")
    if not line.strip() or line.startswith("#"):
        return None
    stripped = line.rstrip(" \t")
    if stripped.endswith("\\") and len(stripped) < len(line):
        stripped += line[len(stripped)]  # an escaped blank stays
    line = stripped
    negated = line.startswith("!")
    line = line.removeprefix("!")
    anchored = line.startswith("/")
    line = line.removeprefix("/")
    directory = line.endswith("/")
    line = line.rstrip("/") if directory else line
    if not line:
        return None
    elements = line.split("/")
    if any("**" in e and e != "**" for e in elements):
        return None  # `a**b`: refused by the library's parser
    if "**" in elements:
        compiled = tuple(None if e == "**" else _fnmatch(e, True) for e in elements if e)
        return _Pattern(negated, directory, "any", elements=compiled)
    if "/" in line:
        return _Pattern(negated, directory, "path", _fnmatch(line, True))
    if anchored:
        return _Pattern(negated, directory, "anchored", _fnmatch(line, False))
    return _Pattern(negated, directory, "name", _fnmatch(line, False))


def parse(text: str) -> tuple[_Pattern, ...]:
    """Every pattern of one `.prowignore` file, in order."""
    return tuple(p for p in map(parse_pattern, text.splitlines()) if p is not None)


def _decide(patterns: tuple[_Pattern, ...], rel: str, is_dir: bool) -> bool | None:
    """True (ignore), False (re-included) or None (no pattern matches): the last
    matching pattern decides."""
    for pattern in reversed(patterns):
        if pattern.matches(rel, is_dir):
            return not pattern.negated
    return None


@dataclass
class ProwIgnore:
    """The `.prowignore` files under one job config directory, read as asked for."""

    root: Path
    _files: dict[str, tuple[_Pattern, ...]] = field(default_factory=dict)
    _dirs: dict[str, bool | None] = field(default_factory=dict)

    def ignores(self, rel: str, is_dir: bool) -> bool:
        """Whether `rel` (a "/"-separated path under the root) is ignored."""
        return self._match(rel, is_dir) is True

    def _match(self, rel: str, is_dir: bool) -> bool | None:
        parent, _, local = rel.rpartition("/")
        if parent and self._dir(parent) is True:
            return True
        directory = parent
        while True:
            decided = _decide(self._patterns(directory), local, is_dir)
            if decided is not None:
                return decided
            if not directory:
                return None
            directory, _, last = directory.rpartition("/")
            local = f"{last}/{local}"

    def _dir(self, rel: str) -> bool | None:
        if rel not in self._dirs:
            self._dirs[rel] = self._match(rel, True)
        return self._dirs[rel]

    def _patterns(self, directory: str) -> tuple[_Pattern, ...]:
        found = self._files.get(directory)
        if found is None:
            path = self.root / directory / PROW_IGNORE_FILE
            try:
                found = parse(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                found = ()
            self._files[directory] = found
        return found

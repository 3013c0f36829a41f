"""`.prowignore` files: which job config files Prow skips.

Corresponds to Prow's `ReadJobConfig` (pkg/config/config.go; `InRepoConfig` in
pkg/config/inrepoconfig.go does the same under a repository), which asks
github.com/denormal/go-gitignore's repository (`NewRepositoryWithFile(dir,
".prowignore")`, repository.go) whether each `.yaml`/`.yml` path it walks is
ignored. That library's rules, as minprow reproduces them:

- Reading (lexer.go, parser.go): a line is tokens: blanks, `/`, `**`, and words
  (`\\x` is kept with its backslash and stays part of the word, so `\\ ` keeps a
  blank). `#` in the first column starts a comment and `!` there negates; a
  pattern's trailing blanks are dropped, except after `!` (so `!a.yaml ` names a
  file ending in a blank). `**` must stand between slashes or at an end of the
  line, else the line is skipped (`a**`, `**b`, `** x`), and so is a lone `!`. A
  line counts without a trailing newline; `\\r\\n` ends a line, a lone `\\r` makes
  the rest up to the next `\\n` (and the pattern before it on the same line)
  skipped. A NUL character ends the file where a token starts and is dropped
  elsewhere; a byte that is not UTF-8 reads as U+FFFD.
- Patterns (pattern.go): a leading `/` anchors and a trailing `/` matches
  directories only. With `**` anywhere, the path is matched element by element:
  `**` for any number of elements, every other word (and every run of blanks)
  for exactly one. Else, with a `/` inside, the whole path relative to the
  file's directory is matched with FNM_PATHNAME; else only the last element is,
  or the whole path without FNM_PATHNAME (`*` crossing `/`) when anchored.
  Globs are minprow.config.gofnmatch's. `a/**` matches `a` itself too.
- The tree (repository.go): a `.prowignore` may sit in any directory and speaks
  of paths relative to it. A path inside an ignored directory is ignored (its
  parent directory is asked first; a re-included one does not count). Else the
  `.prowignore` of the path's own directory is asked, then its parent's, up to
  the root: the first file with a matching pattern decides, and within a file
  the last matching pattern does (a `!` one re-includes).
- A line `/` or `!/` makes the library index an empty pattern and panic, and a
  directory named `.prowignore` makes it read forever: Prow cannot load the job
  config. `fatal` reports both, for the files the library reads (a directory's,
  when a path below it is matched and none of its parents is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from minprow.config.gofnmatch import regex

PROW_IGNORE_FILE = ".prowignore"

_END = "\x00"
"""What the library's reader gives at the end of the input, and for a NUL character."""


class Kind(StrEnum):
    """The library's token types, by its names (tokentype.go)."""

    EOF = "EOF"
    EOL = "EOL"
    WHITESPACE = "WHITESPACE"
    COMMENT = "COMMENT"
    SEPARATOR = "SEPARATOR"
    NEGATION = "NEGATION"
    PATTERN = "PATTERN"
    ANY = "ANY"
    BAD = "BAD TOKEN"


class Token(NamedTuple):
    """A token and where its first character is (1-based)."""

    kind: Kind
    word: str
    line: int
    column: int


class _Lexer:
    """The tokens of a `.prowignore` text, read a character at a time with pushback,
    as the library reads them (which is where its NUL and column rules come from)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._at = 0
        self._back: list[str] = []
        self._line = 1
        self._column = 1

    def _read(self) -> str:
        if self._back:
            c = self._back.pop()
        elif self._at < len(self._text):
            c = self._text[self._at]
            self._at += 1
        else:
            return _END
        self._column += 1
        return c

    def _unread(self, c: str) -> None:
        if c != _END:  # a NUL read is gone for good
            self._back.append(c)
            self._column -= 1

    def _peek(self) -> str:
        c = self._read()
        self._unread(c)
        return c

    def _token(self, kind: Kind, word: str) -> Token:
        token = Token(kind, word, self._line, self._column - len(word))
        if kind is Kind.EOL:
            self._line += 1
            self._column = 1
        return token

    def next(self) -> Token:
        first = self._column == 1
        c = self._read()
        if c == _END:
            return self._token(Kind.EOF, "")
        if c == "\n":
            return self._token(Kind.EOL, c)
        if c == "\r":
            after = self._read()
            if after == "\n":
                return self._token(Kind.EOL, "\r\n")
            self._unread(after)
            return self._token(Kind.BAD, c)
        if c == "/":
            return self._token(Kind.SEPARATOR, c)
        if c == "*" and self._peek() == "*":
            self._read()
            return self._token(Kind.ANY, "**")
        if c == "!" and first:
            return self._token(Kind.NEGATION, c)
        self._unread(c)
        if c in " \t":
            return self._token(Kind.WHITESPACE, self._word(lambda c: c not in " \t"))
        if c == "#" and first:
            return self._token(Kind.COMMENT, self._word(lambda c: c in "\r\n"))
        return self._token(Kind.PATTERN, self._pattern())

    def _word(self, stop: Callable[[str], bool]) -> str:
        out: list[str] = []
        while True:
            c = self._read()
            if c == _END or stop(c):
                self._unread(c)
                return "".join(out)
            out.append(c)

    def _pattern(self) -> str:
        out: list[str] = []
        while True:
            c = self._read()
            if c == _END or c in " \t\r\n/":
                self._unread(c)
                return "".join(out)
            if c == "*" and self._peek() == "*":
                self._unread(c)
                return "".join(out)
            if c == "\\":
                after = self._peek()
                if after != _END and after not in "\r\n":
                    c += self._read()
            out.append(c)


def tokens(text: str) -> list[Token]:
    """Every token of `text` up to the first EOF (a NUL where a token starts, or the end)."""
    lexer = _Lexer(text)
    found = [lexer.next()]
    while found[-1].kind is not Kind.EOF:
        found.append(lexer.next())
    return found


class _Skip(Exception):
    """A line the library skips, with why and where."""

    def __init__(self, token: Token, why: str) -> None:
        super().__init__(why)
        self.token = token


class _Panic(Exception):
    """A line that makes the library panic."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.line = line


@dataclass(frozen=True, slots=True, eq=False)
class Pattern:
    """One pattern of a `.prowignore` file."""

    text: str
    """The line as the library shows it (what a match reports)."""
    line: int
    column: int
    negated: bool
    directory: bool
    anchored: bool
    _regex: re.Pattern[str] | None
    """The whole glob, for patterns without `**`."""
    _elements: tuple[re.Pattern[str] | None, ...]
    """For patterns with `**`: a glob per path element, None for `**`."""
    _whole_path: bool

    @staticmethod
    def build(found: list[Token]) -> Pattern | None:
        if not found:
            return None
        first = found[0]
        text = "".join(t.word for t in found)
        negated = first.kind is Kind.NEGATION
        found = found[1:] if negated else found
        anchored = found[0].kind is Kind.SEPARATOR
        found = found[1:] if anchored else found
        if not found:
            raise _Panic(
                first.line, f"the pattern {text!r} makes go-gitignore index an empty pattern"
            )
        directory = found[-1].kind is Kind.SEPARATOR
        found = found[:-1] if directory else found
        glob = "".join(t.word for t in found)
        kinds = {t.kind for t in found}
        whole_regex: re.Pattern[str] | None = None
        elements: tuple[re.Pattern[str] | None, ...] = ()
        if Kind.ANY in kinds:
            elements = tuple(
                None if t.kind is Kind.ANY else regex(t.word, True)
                for t in found
                if t.kind is not Kind.SEPARATOR
            )
        else:
            whole_regex = regex(glob, Kind.SEPARATOR in kinds)
        whole_path = anchored or Kind.SEPARATOR in kinds
        return Pattern(
            text,
            first.line,
            first.column,
            negated,
            directory,
            anchored,
            whole_regex,
            elements,
            whole_path,
        )

    def matches(self, rel: str, is_dir: bool) -> bool:
        """Whether this pattern matches `rel`, a "/"-separated path relative to the
        directory of its file."""
        if self.directory and not is_dir:
            return False
        if self._regex is None:
            return _elements_match(self._elements, rel.split("/"))
        subject = rel if self._whole_path else rel.rpartition("/")[2]
        return self._regex.fullmatch(subject) is not None


def _elements_match(elements: tuple[re.Pattern[str] | None, ...], parts: list[str]) -> bool:
    """Whether the path elements `parts` match `elements` one for one, None (`**`)
    standing for any number of them."""
    states = _past_any(elements, {0})
    for part in parts:
        moved: set[int] = set()
        for i in states:
            if i < len(elements):
                element = elements[i]
                if element is None:
                    moved.add(i)
                elif element.fullmatch(part) is not None:
                    moved.add(i + 1)
        states = _past_any(elements, moved)
        if not states:
            return False
    return len(elements) in states


def _past_any(elements: tuple[re.Pattern[str] | None, ...], states: set[int]) -> set[int]:
    out = set(states)
    for i in sorted(states):
        while i < len(elements) and elements[i] is None:
            i += 1
            out.add(i)
    return out


@dataclass(frozen=True)
class IgnoreFile:
    """One `.prowignore` file as the library reads it."""

    patterns: tuple[Pattern, ...] = ()
    skipped: tuple[tuple[int, int, str], ...] = ()
    """(line, column, why) of each line, or rest of a line, the library skips."""
    fatal: tuple[int | None, str] | None = None
    """(line, why) when Prow cannot get past this file: the library panics reading
    it, or never stops reading it."""

    def decide(self, rel: str, is_dir: bool) -> Pattern | None:
        """The last pattern that matches `rel`, if any."""
        for pattern in reversed(self.patterns):
            if pattern.matches(rel, is_dir):
                return pattern
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self._lexer = _Lexer(text)
        self._undone: list[Token] = []
        self.skipped: list[tuple[int, int, str]] = []

    def _next(self) -> Token:
        if self._undone:
            return self._undone.pop()
        token = self._lexer.next()
        if token.kind is Kind.BAD:
            raise _Skip(token, "unexpected carriage return '\\r' (not followed by a newline)")
        return token

    def _invalid(self, token: Token) -> _Skip:
        self._undone.append(token)
        return _Skip(token, f"invalid pattern: unexpected {token.kind} {token.word!r}")

    def parse(self) -> list[Pattern]:
        found: list[Pattern] = []
        while True:
            try:
                token = self._next()
                if token.kind is Kind.EOF:
                    return found
                if token.kind in (Kind.EOL, Kind.COMMENT):
                    continue
                pattern = Pattern.build(self._line(token))
            except _Skip as skip:
                self.skipped.append((skip.token.line, skip.token.column, str(skip)))
                self._skip_line()
                continue
            if pattern is not None:
                found.append(pattern)

    def _skip_line(self) -> None:
        while True:
            try:
                if self._next().kind in (Kind.EOL, Kind.EOF):
                    return
            except _Skip as skip:
                self.skipped.append((skip.token.line, skip.token.column, str(skip)))

    def _line(self, first: Token) -> list[Token]:
        if first.kind is Kind.NEGATION:
            return [first, *self._sequence(self._next())]
        found = self._sequence(first)
        while found and found[-1].kind is Kind.WHITESPACE:
            found.pop()
        return found

    def _sequence(self, token: Token) -> list[Token]:
        """The tokens of a pattern from `token` to the end of its line (which is read
        but not kept)."""
        if token.kind not in _FOLLOWS[Kind.SEPARATOR]:
            raise self._invalid(token)
        found: list[Token] = []
        while True:
            found.append(token)
            after = self._next()
            if after.kind in (Kind.EOL, Kind.EOF):
                return found
            if token.kind is Kind.ANY and after.kind is Kind.WHITESPACE:
                end = self._next()  # `** ` is fine at the end of a line, its blanks dropped
                if end.kind not in (Kind.EOL, Kind.EOF):
                    raise self._invalid(end)
                self._undone.append(end)
                return found
            if after.kind not in _FOLLOWS[token.kind]:
                raise self._invalid(after)
            token = after


_FOLLOWS = {
    Kind.SEPARATOR: frozenset({Kind.SEPARATOR, Kind.ANY, Kind.WHITESPACE, Kind.PATTERN}),
    Kind.ANY: frozenset({Kind.SEPARATOR}),
    Kind.WHITESPACE: frozenset({Kind.SEPARATOR, Kind.WHITESPACE, Kind.PATTERN}),
    Kind.PATTERN: frozenset({Kind.SEPARATOR, Kind.WHITESPACE, Kind.PATTERN}),
}
"""Which tokens may follow which in a pattern (a pattern starts as after a `/`)."""


def parse(text: str) -> IgnoreFile:
    """A `.prowignore` text as the library reads it."""
    parser = _Parser(text)
    try:
        patterns = parser.parse()
    except _Panic as panic:
        why = f"{panic}: Prow panics reading this file and cannot load the job config"
        return IgnoreFile((), tuple(parser.skipped), (panic.line, why))
    return IgnoreFile(tuple(patterns), tuple(parser.skipped))


def decode(data: bytes) -> str:
    """A file's bytes as the library's reader takes them: UTF-8, a byte that does
    not start a valid sequence read as U+FFFD."""
    return _ESCAPED.sub("\ufffd", data.decode("utf-8", "surrogateescape"))


_ESCAPED = re.compile("[\udc80-\udcff]")


class ProwIgnore:
    """The `.prowignore` files under one directory (the job config directory, or a
    repository for in-repo config), each read when first needed."""

    def __init__(self, root: Path, name: str = PROW_IGNORE_FILE) -> None:
        self.root = root
        self.name = name
        self._files: dict[str, IgnoreFile] = {}
        self._dirs: dict[str, Pattern | None] = {}
        """What decides about each directory asked about so far."""

    def ignores(self, rel: str, is_dir: bool) -> bool:
        """Whether `rel` (a "/"-separated path under the root) is ignored."""
        found = self.match(rel, is_dir)
        return found is not None and not found.negated

    def match(self, rel: str, is_dir: bool) -> Pattern | None:
        """The pattern that decides about `rel`, if any (a `!` one re-includes)."""
        if not rel:
            return None
        parent, _, local = rel.rpartition("/")
        if parent:
            if parent not in self._dirs:
                self._dirs[parent] = self.match(parent, True)
            found = self._dirs[parent]
            if found is not None and not found.negated:
                return found
        directory = parent
        while True:
            found = self.file(directory).decide(local, is_dir)
            if found is not None or not directory:
                return found
            directory, _, last = directory.rpartition("/")
            local = f"{last}/{local}"

    def file(self, directory: str) -> IgnoreFile:
        """The `.prowignore` of `directory` (relative to the root; "" for the root)."""
        found = self._files.get(directory)
        if found is None:
            path = self.root / directory / self.name
            try:
                found = parse(decode(path.read_bytes()))
            except IsADirectoryError:
                found = IgnoreFile(fatal=(None, _DIRECTORY))
            except OSError:
                found = IgnoreFile()  # the library treats a file it cannot open as empty
            self._files[directory] = found
        return found

    def fatal(self) -> list[tuple[str, int | None, str]]:
        """(file, line, why) of each file read so far that Prow cannot get past (see
        `IgnoreFile.fatal`); the file is relative to the root."""
        return [
            (f"{d}/{self.name}".lstrip("/"), *ignore.fatal)
            for d, ignore in sorted(self._files.items())
            if ignore.fatal is not None
        ]


_DIRECTORY = (
    "a directory, which go-gitignore tries to read forever: Prow never finishes loading "
    "the job config"
)

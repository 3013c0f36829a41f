"""The log screen's text handling, kept pure: bytes to bounded lines, failure lines.

A job's output arrives as byte chunks of any size, split anywhere (inside a
line, inside a UTF-8 character). `LogBuffer` turns them into display lines
(ANSI colour codes and carriage-return progress bars resolved the way a
terminal leaves them) and keeps at most `limit` lines waiting to be shown, so a
screen that renders every ~50 ms never falls behind a job that prints faster:
the oldest lines of a burst are counted as dropped instead. `is_failure_line`
and `first_failure` find where a failed job went wrong, by the markers Go
tests, shells and most tools print. Prow's Deck has no such thing (its
spyglass build-log lens only highlights lines by a configured regex).
"""

from __future__ import annotations

import codecs
import re
from collections import deque
from collections.abc import Sequence

DEFAULT_LIMIT = 10_000
"""Lines kept by the log screen, as k9s keeps a tail, not the whole log."""

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)")

_FAILURE = re.compile(
    r"--- FAIL|\bFAIL\b|\bERROR\b|\bError\b|\berror:|\bpanic:|\bexit status [1-9]\d*"
    r"|\bTraceback \(most recent call last\)"
)


def is_failure_line(line: str) -> bool:
    """Whether `line` marks a failure: `--- FAIL`, `FAIL`, `Error`, `ERROR`, `error:`,
    `panic:`, a non-zero `exit status N`, or a Python traceback's first line."""
    return _FAILURE.search(line) is not None


def first_failure(lines: Sequence[str], start: int = 0) -> int | None:
    """Index of the first failure line at or after `start`, or None."""
    for index in range(max(0, start), len(lines)):
        if is_failure_line(lines[index]):
            return index
    return None


# Characters str.splitlines() breaks at besides \n and \r: one log line must stay one
# display line, or the counts of lines kept and dropped would not add up.
_OTHER_BREAKS = str.maketrans(dict.fromkeys("\v\f\x1c\x1d\x1e\x85\u2028\u2029", " "))


def clean(line: str) -> str:
    """A raw line as a terminal would show it: colours dropped, and of text
    rewritten with carriage returns (progress bars) only the last version."""
    line = _ANSI.sub("", line).translate(_OTHER_BREAKS)
    if "\r" in line:
        parts = [p for p in line.split("\r") if p]
        line = parts[-1] if parts else ""
    return line


class LogBuffer:
    """Byte chunks in, complete lines out, at most `limit` of them waiting."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit <= 0:
            raise ValueError("a log buffer keeps at least one line")
        self.limit = limit
        self.total = 0
        """Complete lines seen so far."""
        self.dropped = 0
        """Lines dropped here because more than `limit` came between two `take`s."""
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._partial = ""
        self._ready: deque[str] = deque(maxlen=limit)

    def feed(self, chunk: bytes) -> None:
        text = self._partial + self._decoder.decode(chunk)
        lines = text.split("\n")
        self._partial = lines.pop()
        self._add(lines)

    def finish(self) -> None:
        """The stream ended: a last line without a newline is still a line."""
        tail = self._partial + self._decoder.decode(b"", final=True)
        self._partial = ""
        if tail:
            self._add([tail])

    def _add(self, lines: list[str]) -> None:
        self.total += len(lines)
        room = self.limit - len(self._ready)
        if len(lines) > room:
            self.dropped += len(lines) - room
            if len(lines) > self.limit:
                # Only the last `limit` can survive: do not clean the others.
                lines = lines[-self.limit :]
        self._ready.extend(clean(line) for line in lines)

    @property
    def waiting(self) -> int:
        return len(self._ready)

    def take(self) -> list[str]:
        """The lines ready to show, oldest first; the buffer is then empty."""
        lines = list(self._ready)
        self._ready.clear()
        return lines

"""The log screen's pure text handling: failure lines, cleaning, the bounded buffer."""

from __future__ import annotations

import pytest

from minprow.tui.screens.logtext import LogBuffer, clean, first_failure, is_failure_line

FAILURES = [
    ("go-test-fail", "--- FAIL: TestWidgets (0.01s)", True),
    ("go-pkg-fail", "FAIL\tgithub.com/acme/widgets\t0.5s", True),
    ("make-error", "make: *** [Makefile:12: test] Error 2", True),
    ("compiler-error", "main.go:3:1: error: expected declaration", True),
    ("go-panic", "panic: runtime error: index out of range", True),
    ("go-exit", "exit status 1", True),
    ("shouting", "ERROR: could not connect", True),
    ("python", "Traceback (most recent call last):", True),
    ("exit-zero", "exit status 0", False),
    ("ok", "ok  \tgithub.com/acme/widgets\t0.2s", False),
    ("pass", "--- PASS: TestWidgets (0.01s)", False),
    ("word-inside", "errors are handled by the FAILOVER path", False),
    ("error-count-zero", "0 errors, 0 warnings", False),
]


@pytest.mark.parametrize(
    ("line", "failed"), [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES]
)
def test_is_failure_line(line: str, failed: bool) -> None:
    assert is_failure_line(line) is failed


@pytest.mark.parametrize(
    ("lines", "start", "expected"),
    [
        (["ok", "--- FAIL: A", "FAIL"], 0, 1),
        (["ok", "--- FAIL: A", "FAIL"], 2, 2),
        (["ok", "fine"], 0, None),
        ([], 0, None),
    ],
    ids=["first", "from-start", "none", "empty"],
)
def test_first_failure(lines: list[str], start: int, expected: int | None) -> None:
    assert first_failure(lines, start) == expected


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("10%\r50%\r100%", "100%"),
        ("progress\r", "progress"),
        ("\x1b]0;title\x07plain", "plain"),
        ("tabs\tstay", "tabs\tstay"),
        ("form\x0cfeed\u2028sep", "form feed sep"),
    ],
    ids=["colour", "carriage-returns", "trailing-cr", "osc-title", "plain", "other-line-breaks"],
)
def test_clean(raw: str, shown: str) -> None:
    assert clean(raw) == shown


@pytest.mark.parametrize(
    ("chunks", "limit", "lines", "dropped", "total"),
    [
        ([b"a\nb", b"c\n", b"d"], 10, ["a", "bc", "d"], 0, 3),
        ([b"caf\xc3", b"\xa9\n"], 10, ["caf\u00e9"], 0, 1),
        ([b"".join(b"%d\n" % i for i in range(25))], 10, [str(i) for i in range(15, 25)], 15, 25),
        ([b"1\n2\n3\n", b"4\n5\n"], 3, ["3", "4", "5"], 2, 5),
        ([b"\xff\n"], 10, ["\ufffd"], 0, 1),
    ],
    ids=["split-lines", "split-utf8", "burst-bounded", "across-chunks", "bad-bytes"],
)
def test_log_buffer(
    chunks: list[bytes], limit: int, lines: list[str], dropped: int, total: int
) -> None:
    buffer = LogBuffer(limit)
    for chunk in chunks:
        buffer.feed(chunk)
    buffer.finish()
    assert (buffer.take(), buffer.dropped, buffer.total) == (lines, dropped, total)
    assert buffer.take() == []

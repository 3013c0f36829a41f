"""Go durations read and written as Go's time.ParseDuration and Duration.String do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import BaseModel

from minprow.model import GoDuration, format_duration, parse_duration

_MS = timedelta(milliseconds=1)
_US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", timedelta(0)),
        ("0s", timedelta(0)),
        ("1h10m", timedelta(hours=1, minutes=10)),
        ("15m0s", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("300ms", 300 * _MS),
        ("1.5s", timedelta(seconds=1.5)),
        (".5s", timedelta(seconds=0.5)),
        ("-1.5h", -timedelta(hours=1.5)),
        ("+5s", timedelta(seconds=5)),
        ("1h0m0.5s", timedelta(hours=1, seconds=0.5)),
        ("2us", 2 * _US),
        ("2µs", 2 * _US),
        ("2μs", 2 * _US),
        ("1000ns", _US),
        ("1m30s", timedelta(seconds=90)),
        ("3h2m1s", timedelta(hours=3, minutes=2, seconds=1)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "1", "h", "1x", "1h2", "1.2.3s", "s1", "--1s", "1d"],
    ids=["empty", "no-unit", "no-number", "bad-unit", "trailing-number", "two-dots",
         "unit-first", "double-sign", "days"],
)  # fmt: skip
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(hours=1, minutes=10), "1h10m0s"),
        (timedelta(hours=2), "2h0m0s"),
        (timedelta(minutes=15), "15m0s"),
        (timedelta(seconds=61), "1m1s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(seconds=59.999), "59.999s"),
        (300 * _MS, "300ms"),
        (1500 * _US, "1.5ms"),
        (_US, "1µs"),
        (-timedelta(minutes=90), "-1h30m0s"),
        (timedelta(hours=100), "100h0m0s"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_format(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


@pytest.mark.parametrize(
    "text", ["1h10m0s", "15m0s", "1.5s", "300ms", "-1h30m0s", "0s"], ids=lambda v: str(v)
)
def test_canonical_text_round_trips(text: str) -> None:
    assert format_duration(parse_duration(text)) == text


class _Holder(BaseModel):
    timeout: GoDuration | None = None


@pytest.mark.parametrize(
    ("raw", "text"),
    [("2h", "2h0m0s"), (1_500_000_000, "1.5s"), ("90m", "1h30m0s")],
    ids=["string", "nanoseconds", "normalised"],
)
def test_field_reads_string_or_nanoseconds_and_writes_go_text(raw: object, text: str) -> None:
    holder = _Holder.model_validate({"timeout": raw})
    assert holder.model_dump(mode="json") == {"timeout": text}

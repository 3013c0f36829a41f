"""Go's `time.Duration` text format, as Prow's config and ProwJobs carry it.

Prow parses durations with Go's `time.ParseDuration` ("1h10m", "15m0s", "300ms",
"-1.5h") and writes them with `Duration.String()` ("1h10m0s"). Both directions are
here so a duration read from a config round-trips into a ProwJob exactly as Prow
would write it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_UNIT_NS: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,  # U+00B5 micro sign
    "μs": 1_000,  # U+03BC Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_PART = re.compile(r"(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)")


def parse_duration(text: str) -> timedelta:
    """Parse a Go duration string; raise ValueError naming the bad text."""
    s = text.strip()
    if not s:
        raise ValueError(f"invalid duration {text!r}: empty")
    sign = 1
    if s[0] in "+-":
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    if s == "0":
        return timedelta(0)
    total_ns = 0.0
    pos = 0
    while pos < len(s):
        m = _PART.match(s, pos)
        if m is None:
            raise ValueError(
                f"invalid duration {text!r}: expected a number and a unit "
                '(ns, us, ms, s, m, h), e.g. "1h30m"'
            )
        total_ns += float(m.group(1)) * _UNIT_NS[m.group(2)]
        pos = m.end()
    return timedelta(microseconds=sign * total_ns / 1000)


def format_duration(value: timedelta) -> str:
    """Format like Go's `Duration.String()`: "1h10m0s", "1.5s", "300ms", "0s"."""
    ns = round(value.total_seconds() * 1e9)
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    ns = abs(ns)
    if ns < 1_000_000_000:
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if ns >= size:
                return sign + _trim(ns / size) + unit
    hours, rem = divmod(ns, 3600 * 1_000_000_000)
    minutes, rem = divmod(rem, 60 * 1_000_000_000)
    seconds = _trim(rem / 1_000_000_000)
    out = sign
    if hours:
        out += f"{hours}h"
    if hours or minutes:
        out += f"{minutes}m"
    return out + f"{seconds}s"


def _trim(number: float) -> str:
    text = f"{number:.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _coerce(value: Any) -> Any:
    # Prow's Duration accepts an integer count of nanoseconds as well as a string.
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return timedelta(microseconds=value / 1000)
    return value


GoDuration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str, when_used="json-unless-none"),
]
"""A `timedelta` field read from and written as a Go duration string."""

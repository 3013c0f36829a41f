"""Cron specs exactly as Prow reads them: robfig/cron v3 with Prow's parser options.

Prow parses a periodic's `cron` with `cron.NewParser(SecondOptional | Minute |
Hour | Dom | Month | Dow | Descriptor)`, both when it validates the config
(pkg/config/config.go) and in horologium (pkg/cron/cron.go, which adds every
entry as `"TZ=UTC " + spec`). robfig's rules, which minprow follows here
(parser.go, spec.go, constantdelay.go):

- An optional `TZ=Zone` or `CRON_TZ=Zone` prefix names the zone (else the
  process's; Prow's pods run in UTC). A spec starting with `@` is a descriptor:
  `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`,
  or `@every <Go duration>` (whole seconds, at least one, counted from the start
  of the current second).
- Otherwise the spec is split on blanks into 5 fields (minute first, seconds 0)
  or 6 (seconds first). In a field, items are split on commas with empty items
  dropped (`22,` is `22`); an item is `*` or `?`, a number or a name (`jan`,
  `mon`, any case), a range `a-b`, and an optional `/step` (`a/step` runs to the
  field's maximum). Bounds: seconds and minutes 0-59, hours 0-23, day of month
  1-31, month 1-12, day of week 0-6 (0 is Sunday; 7 is out of range).
- Day of month and day of week: when either is `*` or `?`, both must match;
  otherwise either does.
- `next` searches at most five years ahead and then gives up (None).

`surprises` says when a spec parses but probably does not say what its author
meant, with the schedule it will actually follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from minprow.model import parse_duration


class CronError(ValueError):
    """A spec robfig/cron (with Prow's options) refuses; the message says why."""


@dataclass(frozen=True, slots=True)
class _Bounds:
    low: int
    high: int
    names: dict[str, int] | None = None


_SECONDS = _Bounds(0, 59)
_MINUTES = _Bounds(0, 59)
_HOURS = _Bounds(0, 23)
_DOM = _Bounds(1, 31)
_MONTHS = _Bounds(
    1,
    12,
    {
        n: i + 1
        for i, n in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
)
_DOW = _Bounds(
    0, 6, {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
)
_STAR = 1 << 63
_INT = re.compile(r"[+-]?[0-9]+")


def _all(bounds: _Bounds) -> int:
    return _bits(bounds.low, bounds.high, 1) | _STAR


def _bits(low: int, high: int, step: int) -> int:
    bits = 0
    for i in range(low, high + 1, step):
        bits |= 1 << i
    return bits


def _number(text: str) -> int:
    if _INT.fullmatch(text) is None:
        raise CronError(
            f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax'
        )
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _number_or_name(text: str, bounds: _Bounds) -> int:
    if bounds.names is not None and text.lower() in bounds.names:
        return bounds.names[text.lower()]
    return _number(text)


def _range(item: str, bounds: _Bounds) -> int:
    range_and_step = item.split("/")
    low_and_high = range_and_step[0].split("-")
    extra = 0
    if low_and_high[0] in ("*", "?"):
        start, end, extra = bounds.low, bounds.high, _STAR
    else:
        start = _number_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _number_or_name(low_and_high[1], bounds)
        else:
            raise CronError(f"too many hyphens: {item}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if len(low_and_high) == 1:
            end = bounds.high
        if step > 1:
            extra = 0
    else:
        raise CronError(f"too many slashes: {item}")
    if start < bounds.low:
        raise CronError(f"beginning of range ({start}) below minimum ({bounds.low}): {item}")
    if end > bounds.high:
        raise CronError(f"end of range ({end}) above maximum ({bounds.high}): {item}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {item}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {item}")
    return _bits(start, end, step) | extra


def field_bits(text: str, low: int, high: int) -> int:
    """robfig's getField over bounds `low`-`high`: one bit per value it admits
    (bit 63 when it was `*` or `?`); CronError when it refuses the field."""
    return _field(text, _Bounds(low, high))


def _field(text: str, bounds: _Bounds) -> int:
    bits = 0
    for item in text.split(","):
        if item:  # strings.FieldsFunc: empty items are dropped
            bits |= _range(item, bounds)
    return bits


@dataclass(frozen=True, slots=True)
class CronSchedule:
    """A parsed spec: robfig's SpecSchedule, or its ConstantDelaySchedule (`every`)."""

    second: int = 0
    minute: int = 0
    hour: int = 0
    dom: int = 0
    month: int = 0
    dow: int = 0
    zone: tzinfo | None = None
    """None: the zone of the time asked about (robfig's time.Local)."""
    every: timedelta | None = None

    def next(self, after: datetime) -> datetime | None:
        """The first activation strictly after `after` (aware), in `after`'s zone;
        None when there is none within five years."""
        if self.every is not None:
            return after.replace(microsecond=0) + self.every
        zone = self.zone or after.tzinfo or UTC
        return _next(self, after.astimezone(zone), zone, after.tzinfo or UTC)


def parse_cron(spec: str) -> CronSchedule:
    """`spec` parsed as Prow's robfig/cron parser does; CronError when it refuses it."""
    if not spec:
        raise CronError("empty spec string")
    zone: tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space == -1:
            raise CronError(f"no schedule after the time zone: {spec}")
        name = spec[spec.index("=") + 1 : space]
        try:
            zone = ZoneInfo(name) if name not in ("UTC", "") else UTC
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise CronError(f"provided bad location {name}: unknown time zone {name}") from err
        spec = spec[space:].strip()
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = spec.split()
    if not 5 <= len(fields) <= 6:
        raise CronError(f"expected 5 to 6 fields, found {len(fields)}: [{' '.join(fields)}]")
    if len(fields) == 5:
        fields.insert(0, "0")
    bounds = (_SECONDS, _MINUTES, _HOURS, _DOM, _MONTHS, _DOW)
    s, mi, h, d, mo, w = (_field(f, b) for f, b in zip(fields, bounds, strict=True))
    return CronSchedule(s, mi, h, d, mo, w, zone)


def _descriptor(spec: str, zone: tzinfo | None) -> CronSchedule:
    at = {
        "@yearly": (1 << 1, 1 << 1, _all(_DOW)),
        "@annually": (1 << 1, 1 << 1, _all(_DOW)),
        "@monthly": (1 << 1, _all(_MONTHS), _all(_DOW)),
        "@weekly": (_all(_DOM), _all(_MONTHS), 1 << 0),
        "@daily": (_all(_DOM), _all(_MONTHS), _all(_DOW)),
        "@midnight": (_all(_DOM), _all(_MONTHS), _all(_DOW)),
    }
    if spec in at:
        dom, month, dow = at[spec]
        return CronSchedule(1, 1, 1, dom, month, dow, zone)
    if spec == "@hourly":
        return CronSchedule(1, 1, _all(_HOURS), _all(_DOM), _all(_MONTHS), _all(_DOW), zone)
    if spec.startswith("@every "):
        try:
            delay = parse_duration(spec.removeprefix("@every "))
        except ValueError as err:
            raise CronError(f"failed to parse duration {spec}: {err}") from err
        delay = max(delay, timedelta(seconds=1))
        return CronSchedule(zone=zone, every=timedelta(seconds=int(delay.total_seconds())))
    raise CronError(f"unrecognized descriptor: {spec}")


def _day_matches(s: CronSchedule, t: datetime) -> bool:
    dom = bool(1 << t.day & s.dom)
    dow = bool(1 << ((t.weekday() + 1) % 7) & s.dow)
    if s.dom & _STAR or s.dow & _STAR:
        return dom and dow
    return dom or dow


def _wall(t: datetime, zone: tzinfo, *, month: int = 0, day: int = 0, hour: int = -1) -> datetime:
    """Go's time.Date from `t`'s fields with some replaced (month and day may run
    past their ends and are normalised), in `zone`."""
    year, mon = t.year, month or t.month
    while mon > 12:
        year, mon = year + 1, mon - 12
    wall = timedelta(
        days=(day or t.day) - 1,
        hours=t.hour if hour < 0 else hour,
        minutes=t.minute if hour < 0 else 0,
        seconds=t.second if hour < 0 else 0,
    )
    local = datetime(year, mon, 1, tzinfo=zone) + wall  # wall-clock arithmetic
    return local.astimezone(UTC).astimezone(zone)


def _next(s: CronSchedule, t: datetime, zone: tzinfo, original: tzinfo) -> datetime | None:
    # robfig's SpecSchedule.Next: start at the next whole second, then move the
    # fields from the largest to the smallest, resetting the smaller ones the first
    # time a larger one moves, and wrap to the top when one overflows.
    t = (t.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)).astimezone(zone)
    added = False
    year_limit = t.year + 5
    while True:
        if t.year > year_limit:
            return None
        wrapped = False
        while not (1 << t.month & s.month):
            if not added:
                added = True
                t = _wall(t, zone, day=1, hour=0)
            t = _wall(t, zone, month=t.month + 1)
            if t.month == 1:
                wrapped = True
                break
        if wrapped:
            continue
        while not _day_matches(s, t):
            if not added:
                added = True
                t = _wall(t, zone, hour=0)
            t = _wall(t, zone, day=t.day + 1)
            if t.hour != 0:  # a day across a DST change: back to midnight
                shift = 24 - t.hour if t.hour > 12 else -t.hour
                t = (t.astimezone(UTC) + timedelta(hours=shift)).astimezone(zone)
            if t.day == 1:
                wrapped = True
                break
        if wrapped:
            continue
        steps: tuple[tuple[int, str, timedelta, Callable[[datetime], datetime]], ...] = (
            (s.hour, "hour", timedelta(hours=1), lambda t: _wall(t, zone, hour=t.hour)),
            (s.minute, "minute", timedelta(minutes=1), lambda t: _truncate(t, 60)),
            (s.second, "second", timedelta(seconds=1), lambda t: _truncate(t, 1)),
        )
        for bits, unit, step, reset in steps:
            while not (1 << getattr(t, unit) & bits):
                if not added:
                    added = True
                    t = reset(t)
                t = (t.astimezone(UTC) + step).astimezone(zone)
                if getattr(t, unit) == 0:
                    wrapped = True
                    break
            if wrapped:
                break
        if wrapped:
            continue
        return t.astimezone(original)


def _truncate(t: datetime, seconds: int) -> datetime:
    """Go's Time.Truncate: on absolute time since the zero time (UTC based)."""
    utc = t.astimezone(UTC)
    stamp = int(utc.timestamp())
    return datetime.fromtimestamp(stamp - stamp % seconds, UTC).astimezone(t.tzinfo)


def surprises(spec: str) -> str | None:
    """Why a spec that parses probably does not say what its author meant, with the
    schedule it will follow; None when it reads as written (or does not parse).

    robfig drops the empty items of a comma list, so `0 22, 10 * * *` (meant as
    "at 22:00 and 10:00") is six fields, read seconds first: 10:22:00 every day."""
    try:
        parse_cron(spec)
    except CronError:
        return None
    body = spec.split(" ", 1)[1].strip() if spec.startswith(("TZ=", "CRON_TZ=")) else spec
    fields = body.split()
    dropped = [f for f in fields if "" in f.split(",")]
    if body.startswith("@") or not dropped:
        return None
    cleaned = [",".join(i for i in f.split(",") if i) for f in fields]
    what = f"the empty item{'s' * (len(dropped) > 1)} of {' '.join(dropped)} {'are' if len(dropped) > 1 else 'is'} dropped"
    if len(fields) == 6:
        names = ("second", "minute", "hour", "day of month", "month", "day of week")
        read = ", ".join(f"{n} {v}" for n, v in zip(names, cleaned, strict=True))
        return f"{what}, and with 6 fields the first is seconds: it runs at {read}"
    return f"{what}: it runs as {' '.join(cleaned)!r}"

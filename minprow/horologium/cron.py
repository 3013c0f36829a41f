"""Cron schedules for horologium: Prow's pkg/cron/cron.go, in virtual time.

Prow's horologium keeps a cron agent (robfig/cron) beside its loop: each cron
periodic is an entry, added when horologium first sees it, that raises a
"triggered" flag at each schedule time; every horologium tick takes the raised
flags and lowers them. What that means, and what `CronAgent` reproduces with
the time it is handed instead of a timer thread:

- a periodic fires for schedule times after it was added, never for earlier
  ones (a restart starts a fresh agent, as a restarted Prow does) — with one
  difference from Prow: when a schedule time passed since the periodic's last
  run started (minprow was down across it), the entry is added triggered, so
  the periodic catches up once, not once per missed time, and not never;
- several schedule times between two ticks raise the flag once: one run;
- a flag taken while the previous run is still going is spent (horologium does
  not start an overlapping run, and does not remember it for later);
- an `@every` entry is triggered as soon as it is added;
- a changed schedule re-adds the entry; a periodic gone from the config drops it.

Expressions are read by minprow.config.gocron, robfig's parser with Prow's
options, as `"TZ=UTC " + spec` exactly as Prow adds them: five fields (minute
first) or six (seconds first), descriptors such as `@hourly`, `@every
<duration>`, all in UTC; a spec with its own `TZ=` prefix is refused, as in Prow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from minprow.config import Periodic
from minprow.config.gocron import CronError, CronSchedule, parse_cron


def _schedule(expression: str) -> CronSchedule:
    # Prow adds each entry as "TZ=UTC " + spec, so a spec is read in UTC, and one
    # with its own TZ= prefix does not parse (check-config says so).
    try:
        return parse_cron(f"TZ=UTC {expression}")
    except CronError as err:
        raise ValueError(f"invalid cron string {expression!r}: {err}") from err


def next_fire(expression: str, after: datetime) -> datetime:
    """The first time strictly after `after` at which `expression` fires (UTC-aware).

    Raises ValueError naming the expression when it is not a schedule, or when it
    never fires again (robfig gives up five years ahead)."""
    found = _schedule(expression).next(after.astimezone(UTC))
    if found is None:
        raise ValueError(f"cron string {expression!r} does not fire in the next five years")
    return found


def fires_on_add(expression: str) -> bool:
    """Whether Prow triggers the entry as soon as it is added (specs starting `@every`)."""
    return expression.startswith("@every")


@dataclass
class _Entry:
    schedule: str
    next: datetime
    triggered: bool


class CronAgent:
    """The cron periodics' schedules and their "triggered" flags, advanced by `now`."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def sync_config(
        self,
        periodics: Iterable[Periodic],
        now: datetime,
        last_started: Mapping[str, datetime] | None = None,
    ) -> dict[str, str]:
        """Add new cron periodics (armed for schedule times after `now`), re-add changed
        ones, drop the rest. A new entry whose schedule fired between its last run's
        start (`last_started`, by name) and `now` is added triggered: one catch-up run.
        Returns why a periodic could not be added, by name."""
        errors: dict[str, str] = {}
        wanted: set[str] = set()
        for periodic in periodics:
            if not periodic.cron:
                continue
            wanted.add(periodic.name)
            entry = self._entries.get(periodic.name)
            if entry is not None and entry.schedule == periodic.cron:
                continue
            previous = (last_started or {}).get(periodic.name)
            try:
                first = next_fire(periodic.cron, now)
                missed = previous is not None and next_fire(periodic.cron, previous) <= now
            except ValueError as err:
                errors[periodic.name] = str(err)
                self._entries.pop(periodic.name, None)
                continue
            self._entries[periodic.name] = _Entry(
                periodic.cron, first, triggered=fires_on_add(periodic.cron) or missed
            )
        for name in self._entries.keys() - wanted:
            del self._entries[name]
        return errors

    def queued_jobs(self, now: datetime) -> set[str]:
        """The periodics whose schedule fired since the last call; their flags are lowered."""
        queued: set[str] = set()
        for name, entry in self._entries.items():
            if entry.next <= now:
                entry.triggered = True
                entry.next = next_fire(entry.schedule, now)
            if entry.triggered:
                queued.add(name)
                entry.triggered = False
        return queued

    def next_time(self, name: str) -> datetime | None:
        """When periodic `name` fires next (None if it is not a cron periodic here)."""
        entry = self._entries.get(name)
        return entry.next if entry is not None else None

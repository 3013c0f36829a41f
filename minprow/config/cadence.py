"""How often a periodic will really run, said where that is not what it is written to do.

Horologium (Prow's cmd/horologium, minprow's horologium/loop.py) looks at the
periodics once a tick, `horologium.tick_interval` of config.yaml (Prow's
default: 1m), and starts those that are due; a run starts with the tick, and
the next one is due at the first tick *more* than `interval` after it. So an
`interval` shorter than the tick runs once a tick, and one that is not a whole
number of ticks runs at the next whole number. A `cron` schedule that fires
several times between two ticks starts one run. Prow accepts all of these
silently; minprow says so, as a notice naming the job and the field, with how
often the job will really run. (`minimum_interval` is a minimum: a run later
than it is what it says.)
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from minprow.config.gocron import CronError, parse_cron
from minprow.config.jobs import Periodic
from minprow.config.problems import Problem
from minprow.config.prow import Horologium
from minprow.model import format_duration

_CRON_SAMPLE = 64
"""How many activations of a cron schedule are looked at for its closest two."""
_SAMPLE_FROM = datetime(2030, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def cadence_notices(periodics: list[Periodic], horologium: Horologium) -> list[Problem]:
    """A notice for each periodic that will run less often than its schedule says."""
    tick = horologium.tick
    where = (
        "horologium.tick_interval in config.yaml"
        if "tick_interval" in horologium.model_fields_set
        else "Prow's default; set horologium.tick_interval in config.yaml to change it"
    )
    notices = []
    for job in periodics:
        if job.cron:
            message = _cron_message(job.cron, tick, where)
            field = "cron"
        elif job.interval and not job.minimum_interval:
            message = _interval_message(job, tick, where)
            field = "interval"
        else:
            continue
        if message is not None:
            notices.append(Problem(job.source_path, message, job=job.name, field=field))
    return notices


def _interval_message(job: Periodic, tick: timedelta, where: str) -> str | None:
    try:
        interval = job.interval_duration
    except ValueError:
        return None  # the validation reports it
    if interval is None:
        return None
    ticks = max(1, math.ceil(interval / tick))
    if interval == ticks * tick:
        return None
    every = short(ticks * tick)
    if interval < tick:
        why = f"is shorter than horologium's tick ({short(tick)}, {where})"
    else:
        why = f"is not a whole number of horologium's ticks ({short(tick)}, {where})"
    return (
        f"interval {job.interval} {why}: the job runs every {every} at best (when its "
        f"previous run has finished), not every {job.interval}"
    )


def _cron_message(spec: str, tick: timedelta, where: str) -> str | None:
    closest = closest_activations(spec, tick)
    if closest is None or closest >= tick:
        return None
    return (
        f'cron "{spec}" fires as often as every {short(closest)}, but horologium starts a '
        f"periodic at most once a tick ({short(tick)}, {where}): the job runs every "
        f"{short(tick)} at best"
    )


def closest_activations(spec: str, below: timedelta = timedelta.max) -> timedelta | None:
    """The shortest time between two activations of a cron spec (as horologium
    schedules it, in UTC), among its first few; None when it does not parse, or
    when that cannot be shorter than `below`."""
    try:
        schedule = parse_cron(spec)
    except CronError:
        return None
    if schedule.every is not None:
        return schedule.every
    if schedule.second.bit_count() <= 1 and below <= _MINUTE:
        # One second a minute at most: a minute apart at the closest. Most specs
        # stop here, so loading thousands of cron periodics samples none.
        return None
    times = [_SAMPLE_FROM]
    for _ in range(_CRON_SAMPLE):
        after = schedule.next(times[-1])
        if after is None:
            break
        times.append(after)
    gaps = [later - earlier for earlier, later in pairwise(times[1:])]
    return min(gaps) if gaps else None


def short(value: timedelta) -> str:
    """A duration as a person writes it: "1m", "90s" as "1m30s", "2h"."""
    text = format_duration(value)
    if text.endswith("m0s"):
        text = text[:-2]
    if text.endswith("h0m"):
        text = text[:-2]
    return text

"""Periodics that run less often than written, because horologium looks once a tick.

Each row loads fixtures/config/cadence/periodics.yaml under one config.yaml (a
tick of its own, or Prow's default 1m) and says what the notice about one
periodic must say, or that there is none. Notices never fail a load, strict or
not: Prow accepts these schedules.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from minprow.config import Config, Problem, load_config

CADENCE = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "cadence"
DEFAULT = "Prow's default; set horologium.tick_interval in config.yaml to change it"
SET = "horologium.tick_interval in config.yaml"

# (config.yaml, periodic, field, line of the field, the notice, or None for none)
CASES = [
    (
        "default-tick",
        "every-10s",
        "interval",
        4,
        f"interval 10s is shorter than horologium's tick (1m, {DEFAULT}): the job runs every "
        "1m at best (when its previous run has finished), not every 10s",
    ),
    (
        "default-tick",
        "every-90s",
        "interval",
        10,
        f"interval 90s is not a whole number of horologium's ticks (1m, {DEFAULT}): the job "
        "runs every 2m at best (when its previous run has finished), not every 90s",
    ),
    ("default-tick", "every-minute", "interval", 13, None),
    ("default-tick", "every-hour", "interval", 16, None),
    ("default-tick", "at-least-5s-apart", "minimum_interval", 19, None),
    (
        "default-tick",
        "cron-every-10s",
        "cron",
        22,
        f'cron "*/10 * * * * *" fires as often as every 10s, but horologium starts a periodic '
        f"at most once a tick (1m, {DEFAULT}): the job runs every 1m at best",
    ),
    (
        "default-tick",
        "cron-every-30s",
        "cron",
        25,
        f'cron "@every 30s" fires as often as every 30s, but horologium starts a periodic at '
        f"most once a tick (1m, {DEFAULT}): the job runs every 1m at best",
    ),
    ("default-tick", "cron-every-2m", "cron", 28, None),
    ("default-tick", "cron-hourly", "cron", 31, None),
    ("tick-10s", "every-10s", "interval", 4, None),
    (
        "tick-10s",
        "every-15s",
        "interval",
        7,
        f"interval 15s is not a whole number of horologium's ticks (10s, {SET}): the job runs "
        "every 20s at best (when its previous run has finished), not every 15s",
    ),
    ("tick-10s", "every-90s", "interval", 10, None),
    ("tick-10s", "cron-every-10s", "cron", 22, None),
    (
        "tick-5m",
        "every-minute",
        "interval",
        13,
        f"interval 1m is shorter than horologium's tick (5m, {SET}): the job runs every 5m at "
        "best (when its previous run has finished), not every 1m",
    ),
    (
        "tick-5m",
        "cron-every-2m",
        "cron",
        28,
        f'cron "*/2 * * * *" fires as often as every 2m, but horologium starts a periodic at '
        f"most once a tick (5m, {SET}): the job runs every 5m at best",
    ),
    ("tick-5m", "every-hour", "interval", 16, None),
    ("tick-5m", "cron-hourly", "cron", 31, None),
    ("tick-zero", "every-10s", "interval", 4, None),
    ("tick-zero", "cron-every-10s", "cron", 22, None),
]


@cache
def _loaded(config: str, strict: bool = False) -> Config:
    return load_config(
        CADENCE / f"{config}.yaml", CADENCE / "periodics.yaml", strict=strict, processes=1
    )


def _about(config: Config, job: str) -> list[Problem]:
    return [n for n in config.notices if n.job == job]


@pytest.mark.parametrize(
    ("config", "job", "field", "line", "notice"),
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_a_periodic_that_runs_less_often_than_written_is_noticed(
    config: str, job: str, field: str, line: int, notice: str | None
) -> None:
    found = _about(_loaded(config), job)
    if notice is None:
        assert found == []
        return
    (problem,) = found
    assert Path(problem.file).resolve() == CADENCE / "periodics.yaml"
    assert (problem.field, problem.line, problem.message) == (field, line, notice)
    assert str(problem) == f'{problem.file}:{line}: job "{job}": field "{field}": {notice}'


@pytest.mark.parametrize("config", ["default-tick", "tick-5m"])
def test_the_notices_never_fail_a_strict_load(config: str) -> None:
    loose, strict = _loaded(config), _loaded(config, strict=True)
    assert strict.notices == loose.notices != []
    assert strict.warnings == []

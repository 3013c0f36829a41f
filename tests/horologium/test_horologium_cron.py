"""Cron schedules as Prow's cron agent (robfig/cron with Prow's parser options) reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fakes import T0

from minprow.config import Periodic
from minprow.horologium import CronAgent, next_fire

AT = datetime(2026, 11, 24, 10, 0, 30, 250_000, tzinfo=UTC)  # a Tuesday

NEXT_CASES = [
    ("five-fields", "*/15 * * * *", datetime(2026, 11, 24, 10, 15, tzinfo=UTC)),
    ("six-fields-seconds-first", "45 */5 * * * *", datetime(2026, 11, 24, 10, 0, 45, tzinfo=UTC)),
    ("weekdays-only", "0 9 * * 1-5", datetime(2026, 11, 25, 9, 0, tzinfo=UTC)),
    ("descriptor", "@hourly", datetime(2026, 11, 24, 11, 0, tzinfo=UTC)),
    ("midnight", "@midnight", datetime(2026, 11, 25, 0, 0, tzinfo=UTC)),
    ("every-from-the-second", "@every 90s", datetime(2026, 11, 24, 10, 2, 0, tzinfo=UTC)),
    ("every-at-least-a-second", "@every 10ms", datetime(2026, 11, 24, 10, 0, 31, tzinfo=UTC)),
    ("comma-items-dropped", "0 22, 10 * * *", datetime(2026, 11, 24, 10, 22, tzinfo=UTC)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("expression", "expected"), [c[1:] for c in NEXT_CASES], ids=[c[0] for c in NEXT_CASES]
)
def test_next_fire(expression: str, expected: datetime) -> None:
    assert next_fire(expression, AT) == expected


BAD_CASES = [
    ("garbage", "every day"),
    ("bad-field", "61 * * * *"),
    ("bad-every", "@every soon"),
    ("bad-zone", "TZ=Mars/Olympus 0 * * * *"),
]


@pytest.mark.parametrize("expression", [c[1] for c in BAD_CASES], ids=[c[0] for c in BAD_CASES])
def test_bad_expressions_name_themselves(expression: str) -> None:
    with pytest.raises(ValueError, match="invalid cron string"):
        next_fire(expression, AT)


def hourly(name: str = "p", cron: str = "0 * * * *") -> Periodic:
    return Periodic(name=name, cron=cron)


def at(hour: int, minute: int = 0) -> datetime:
    return T0.replace(hour=hour, minute=minute)


def test_a_schedule_fires_once_per_time_and_only_after_it_was_added() -> None:
    agent = CronAgent()
    assert agent.sync_config([hourly()], at(10, 30)) == {}
    assert agent.queued_jobs(at(10, 30)) == set()
    assert agent.queued_jobs(at(10, 59)) == set()
    assert agent.queued_jobs(at(11, 0)) == {"p"}
    assert agent.queued_jobs(at(11, 1)) == set()
    assert agent.next_time("p") == at(12)


def test_missed_schedule_times_fire_once() -> None:
    agent = CronAgent()
    agent.sync_config([hourly()], at(10, 30))
    assert agent.queued_jobs(at(15, 10)) == {"p"}
    assert agent.queued_jobs(at(15, 11)) == set()
    assert agent.next_time("p") == at(16)


def test_a_fresh_agent_does_not_catch_up_on_downtime() -> None:
    # A restart: the times passed while nothing ran are not fired.
    agent = CronAgent()
    agent.sync_config([hourly()], at(15, 10))
    assert agent.queued_jobs(at(15, 10)) == set()
    assert agent.queued_jobs(at(16, 0)) == {"p"}


@pytest.mark.parametrize(
    ("last_started", "queued"),
    [((10, 30), {"p"}), ((15, 0), set()), (None, set())],
    ids=["missed-times-catch-up-once", "nothing-missed", "never-ran"],
)
def test_a_fresh_agent_catches_up_once_on_what_its_last_run_missed(
    last_started: tuple[int, int] | None, queued: set[str]
) -> None:
    agent = CronAgent()
    started = {"p": at(*last_started)} if last_started else {}
    agent.sync_config([hourly()], at(15, 10), started)
    assert agent.queued_jobs(at(15, 10)) == queued
    assert agent.queued_jobs(at(15, 11)) == set()
    assert agent.queued_jobs(at(16, 0)) == {"p"}


def test_every_schedules_fire_when_added() -> None:
    agent = CronAgent()
    agent.sync_config([hourly("e", "@every 5m")], at(10))
    assert agent.queued_jobs(at(10)) == {"e"}
    assert agent.queued_jobs(at(10, 4)) == set()
    assert agent.queued_jobs(at(10, 5)) == {"e"}


def test_a_changed_schedule_is_rearmed_and_a_removed_one_dropped() -> None:
    agent = CronAgent()
    agent.sync_config([hourly("a"), hourly("b")], at(10, 30))
    agent.sync_config([hourly("a", "30 * * * *"), Periodic(name="b", interval="1h")], at(10, 40))
    assert agent.next_time("a") == at(11, 30)
    assert agent.next_time("b") is None
    assert agent.queued_jobs(at(11, 0)) == set()
    assert agent.queued_jobs(at(11, 30)) == {"a"}


def test_an_unchanged_schedule_keeps_its_flag_across_a_config_sync() -> None:
    agent = CronAgent()
    agent.sync_config([hourly()], at(10, 30))
    agent.sync_config([hourly()], at(11, 5))
    assert agent.queued_jobs(at(11, 5)) == {"p"}


def test_a_bad_schedule_is_reported_and_the_others_still_run() -> None:
    agent = CronAgent()
    errors = agent.sync_config([hourly("bad", "every day"), hourly("good")], at(10, 30))
    assert list(errors) == ["bad"]
    assert agent.queued_jobs(at(11) + timedelta(seconds=1)) == {"good"}


@pytest.mark.parametrize("spec", ["TZ=Europe/Berlin 0 12 * * *", "CRON_TZ=Asia/Tokyo 0 9 * * *"])
def test_a_spec_with_its_own_zone_is_refused_as_prows_horologium_does(spec: str) -> None:
    # Prow adds every entry as "TZ=UTC " + spec: a second zone prefix does not parse.
    with pytest.raises(ValueError, match="invalid cron string"):
        next_fire(spec, datetime(2026, 11, 24, 10, 0, 30, tzinfo=UTC))

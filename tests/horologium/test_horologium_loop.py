"""Horologium's loop over the real job store and virtual time: hours of ticks, each
with a stand-in for plank that finishes every run a fixed time after it started."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fakes import T0, ClockStopped, VirtualClock

from minprow import horologium
from minprow.config import Config
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import JobStore, StoreError, open_store

Load = Callable[..., Config]

M = timedelta(minutes=1)
H = timedelta(hours=1)


def only(config: Config, *names: str) -> Config:
    return dataclasses.replace(config, periodics=[p for p in config.periodics if p.name in names])


def finisher(
    store: JobStore, runtime: timedelta, outcome: ProwJobState = ProwJobState.SUCCESS
) -> Callable[[datetime], Awaitable[None]]:
    """A stand-in for plank: each run ends `runtime` after it started, in `outcome`."""

    def end(job: ProwJob) -> ProwJob:
        assert job.status.start_time is not None
        job.status.state = outcome
        job.status.completion_time = job.status.start_time + runtime
        return job

    async def finish(now: datetime) -> None:
        for job in store.list(type=ProwJobType.PERIODIC):
            started = job.status.start_time
            if not job.status.state.is_final and started is not None and started + runtime <= now:
                await store.mutate(job.metadata.name, end)

    return finish


def starts(store: JobStore, job: str | None = None) -> list[int]:
    """Minutes after T0 at which runs (of `job`) started, in order."""
    return sorted(
        int((j.status.start_time - T0) / M)
        for j in store.list(type=ProwJobType.PERIODIC, job=job)
        if j.status.start_time is not None
    )


async def run_until(store: JobStore, config: Callable[[], Config], clock: VirtualClock) -> None:
    with pytest.raises(ClockStopped):
        await horologium.run(store, config, clock)


SCENARIOS = [
    # (id, config fixture, periodic, runtime, hours, expected start minutes)
    ("interval/strictly-more-than-1h-apart", "config.yaml", "every-hour", 10 * M, 3, [0, 61, 122]),
    ("interval/waits-for-a-long-run", "config.yaml", "every-hour", 90 * M, 3, [0, 90, 180]),
    ("interval/slow-ticks", "slow-ticks.yaml", "every-hour", 10 * M, 3, [0, 65, 130]),
    ("minimum-interval/rests-after-each-run", "config.yaml", "half-hour-rest", 10 * M, 3, [0, 41, 82, 123, 164]),
    ("cron/hourly-from-the-next-hour", "config.yaml", "hourly-cron", 10 * M, 3, [60, 120, 180]),
    ("cron/skips-a-time-while-running", "config.yaml", "hourly-cron", 90 * M, 3, [60, 180]),
    ("cron/every-starts-at-once", "config.yaml", "every-five-minutes", M, 1 / 3, [0, 5, 10, 15, 20]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fixture", "periodic", "runtime", "hours", "expected"),
    [s[1:] for s in SCENARIOS],
    ids=[s[0] for s in SCENARIOS],
)
async def test_periodics_start_on_schedule(
    load: Load,
    store: JobStore,
    fixture: str,
    periodic: str,
    runtime: timedelta,
    hours: float,
    expected: list[int],
) -> None:
    config = only(load(fixture), periodic)
    clock = VirtualClock(stop_at=T0 + hours * H)
    clock.on_sleep.append(finisher(store, runtime))
    await run_until(store, lambda: config, clock)
    assert starts(store) == expected
    assert clock.sleeps[0] == config.horologium.tick_interval.total_seconds()


async def test_failed_runs_are_retried_up_to_their_attempts(load: Load, store: JobStore) -> None:
    config = only(load(), "flaky-nightly")
    clock = VirtualClock(stop_at=T0 + 2 * H)
    clock.on_sleep.append(finisher(store, M, ProwJobState.FAILURE))
    await run_until(store, lambda: config, clock)
    runs = sorted(store.list(job="flaky-nightly"), key=lambda j: j.status.start_time or T0)
    assert starts(store) == [0, 11, 22]
    assert [j.metadata.labels.get("prow.k8s.io/re-run") for j in runs] == [None, "1", "2"]


async def test_after_downtime_an_interval_periodic_starts_once(load: Load, store: JobStore) -> None:
    config = only(load(), "every-hour")
    clock = VirtualClock(stop_at=T0 + 30 * M)
    clock.on_sleep.append(finisher(store, 10 * M))
    await run_until(store, lambda: config, clock)
    clock.advance(10 * H)  # minprow is down for ten hours
    await run_until(store, lambda: config, clock.run_until(clock.now() + 30 * M))
    assert starts(store) == [0, 630]


async def test_after_downtime_a_cron_periodic_catches_up_once(load: Load, store: JobStore) -> None:
    config = only(load(), "hourly-cron")
    clock = VirtualClock(stop_at=T0 + 90 * M)
    clock.on_sleep.append(finisher(store, 10 * M))
    await run_until(store, lambda: config, clock)
    clock.advance(T0 + 5 * H + 10 * M - clock.now())  # down from 11:30 to 15:10
    await run_until(store, lambda: config, clock.run_until(T0 + 6 * H + 30 * M))
    # 12:00 to 15:00 were missed: one catch-up run at 15:10, then 16:00 as scheduled.
    assert starts(store) == [60, 310, 360]


async def test_a_reload_reaches_the_loop(load: Load, store: JobStore) -> None:
    before = only(load(), "every-hour")
    after = dataclasses.replace(
        load("slow-ticks.yaml"), periodics=only(load(), "every-hour", "half-hour-rest").periodics
    )
    current = [before]

    def reload(now: datetime) -> None:
        if now >= T0 + 10 * M:
            current[0] = after

    clock = VirtualClock(stop_at=T0 + 30 * M)
    clock.on_sleep.append(reload)
    await run_until(store, lambda: current[0], clock)
    assert starts(store, "every-hour") == [0]
    assert starts(store, "half-hour-rest") == [10]
    assert clock.sleeps[:10] == [60.0] * 10
    assert set(clock.sleeps[10:]) == {300.0}


async def test_one_failing_create_does_not_stop_the_others(
    load: Load, store: JobStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_create = store.create

    async def create(job: ProwJob) -> ProwJob:
        if job.spec.job == "every-hour":
            raise StoreError("the disk is full")
        return await real_create(job)

    monkeypatch.setattr(store, "create", create)
    created = await horologium.tick(store, load(), T0, horologium.CronAgent())
    assert {j.spec.job for j in created} == {
        "half-hour-rest",
        "flaky-nightly",
        "every-five-minutes",
    }
    [failure] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "every-hour" in failure.getMessage()
    assert "the disk is full" in failure.exc_text  # type: ignore[operator]


async def test_a_failed_tick_is_logged_and_the_next_one_comes(
    load: Load, store: JobStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_list = store.list
    calls = []

    def flaky_list(**filters: object) -> list[ProwJob]:
        calls.append(filters)
        if len(calls) == 1:
            raise StoreError("cache rebuilding")
        return real_list(**filters)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "list", flaky_list)
    config = only(load(), "every-hour")
    await run_until(store, lambda: config, VirtualClock(stop_at=T0 + M))
    assert starts(store) == [1]
    assert any("syncing periodic jobs failed" in r.getMessage() for r in caplog.records)


async def test_each_new_run_is_logged_with_its_fields(
    load: Load, store: JobStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minprow.horologium")
    [job] = await horologium.tick(store, only(load(), "every-hour"), T0, horologium.CronAgent())
    [record] = [r for r in caplog.records if r.levelno == logging.INFO]
    assert record.__dict__["prowjob"] == job.metadata.name
    assert (record.__dict__["job"], record.__dict__["type"]) == ("every-hour", "periodic")
    assert "first run" in record.getMessage()


async def test_runs_written_by_another_process_count(load: Load, tmp_path: Path) -> None:
    config = only(load(), "every-hour")
    async with open_store("sqlite", tmp_path) as ours, open_store("sqlite", tmp_path) as theirs:
        [first] = await horologium.tick(theirs, config, T0, horologium.CronAgent())
        assert await horologium.tick(ours, config, T0 + M, horologium.CronAgent()) == []
        assert [j.metadata.name for j in ours.list()] == [first.metadata.name]

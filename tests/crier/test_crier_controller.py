"""Crier's loop: each state reported once per reporter, recorded in the ProwJob,
kept across restarts; permanent and transient errors; reporters independent."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from crier_helpers import RecordingReporter, make_job, running, set_state, settle
from fakes import VirtualClock

from minprow.crier import Crier
from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.store import JobStore, MemoryBackend, open_store

S = ProwJobState


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        ([S.PENDING, S.SUCCESS], [S.TRIGGERED, S.PENDING, S.SUCCESS]),
        ([S.PENDING, S.PENDING, S.FAILURE], [S.TRIGGERED, S.PENDING, S.FAILURE]),
        ([S.ABORTED], [S.TRIGGERED, S.ABORTED]),
    ],
    ids=["success", "same-state-twice", "aborted"],
)
async def test_each_state_is_reported_once(
    store: JobStore, clock: VirtualClock, states: list[ProwJobState], expected: list[ProwJobState]
) -> None:
    reporter = RecordingReporter()
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
        for state in states:
            await set_state(store, "job-1", state)
            await settle(crier)
    assert [s for _, s in reporter.reported] == expected
    assert store.get("job-1").status.prev_report_states == {"recorder": expected[-1]}


@pytest.mark.parametrize(
    ("kwargs", "reported", "recorded"),
    [
        ({"permanent": True}, [], {"recorder": S.TRIGGERED}),
        (
            {"transient_failures": 3},
            [("job-1", S.TRIGGERED)],
            {"recorder": S.TRIGGERED},
        ),
        ({"types": (ProwJobType.PERIODIC,)}, [], None),
    ],
    ids=["permanent-recorded-not-retried", "transient-retried", "not-for-this-reporter"],
)
async def test_errors_and_filters(
    store: JobStore,
    clock: VirtualClock,
    kwargs: dict[str, Any],
    reported: list[tuple[str, ProwJobState]],
    recorded: dict[str, ProwJobState] | None,
) -> None:
    reporter = RecordingReporter(**kwargs)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
    assert reporter.reported == reported
    assert store.get("job-1").status.prev_report_states == recorded
    if reporter.transient_failures == 0 and reported:
        assert clock.sleeps == [1.0, 2.0, 4.0]


async def test_a_failure_that_repeats_is_logged_once_and_its_end_once(
    store: JobStore, clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = RecordingReporter(transient_failures=6)
    caplog.set_level(logging.INFO, logger="minprow.crier")
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
    assert reporter.reported == [("job-1", S.TRIGGERED)]
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]  # the backoff is unchanged
    failed = [r.message for r in caplog.records if "failed to report" in r.message]
    assert len(failed) == 1, failed
    assert "the network hiccupped" in failed[0]
    assert [r.message for r in caplog.records if "again after" in r.message] == [
        "recorder reports job-1 again after 6 failed attempts"
    ]


async def test_one_failing_reporter_does_not_block_the_others(
    store: JobStore, clock: VirtualClock
) -> None:
    broken = RecordingReporter(name="broken", permanent=True)
    flaky = RecordingReporter(name="flaky", transient_failures=2)
    fine = RecordingReporter(name="fine")
    async with running(Crier(store, [broken, flaky, fine], clock)) as crier:
        await store.create(make_job("job-1"))
        await store.create(make_job("job-2"))
        await settle(crier)
    assert sorted(fine.reported) == [("job-1", S.TRIGGERED), ("job-2", S.TRIGGERED)]
    assert sorted(flaky.reported) == sorted(fine.reported)
    assert store.get("job-1").status.prev_report_states == {
        "broken": S.TRIGGERED,
        "flaky": S.TRIGGERED,
        "fine": S.TRIGGERED,
    }


async def test_restart_neither_drops_nor_repeats(tmp_path: Path, clock: VirtualClock) -> None:
    state_dir = tmp_path / "state"
    first = RecordingReporter()
    async with open_store("sqlite", state_dir) as store:
        async with running(Crier(store, [first], clock)) as crier:
            await store.create(make_job("job-1"))
            await settle(crier)
        # Crier is down while the job finishes and another is created.
        await set_state(store, "job-1", S.SUCCESS)
        await store.create(make_job("job-2"))
    second = RecordingReporter()
    async with open_store("sqlite", state_dir) as store, running(Crier(store, [second], clock)):
        pass
    assert first.reported == [("job-1", S.TRIGGERED)]
    assert sorted(second.reported) == [("job-1", S.SUCCESS), ("job-2", S.TRIGGERED)]


def test_reporter_names_must_differ(clock: VirtualClock) -> None:
    with pytest.raises(ValueError, match="distinct names"):
        Crier(open_store("memory"), [RecordingReporter(), RecordingReporter()], clock)


class WritingReporter(RecordingReporter):
    """Reports while someone else (plank, say) writes the same job: a Conflict to survive."""

    store: JobStore | None = None

    async def report(self, job: ProwJob) -> None:
        assert self.store is not None

        def describe(current: ProwJob) -> ProwJob:
            current.status.description = "written meanwhile"
            return current

        await self.store.mutate(job.name, describe)
        await super().report(job)


async def test_recording_survives_a_concurrent_write(store: JobStore, clock: VirtualClock) -> None:
    reporter = WritingReporter()
    reporter.store = store
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
    job = store.get("job-1")
    assert reporter.reported == [("job-1", S.TRIGGERED)]
    assert job.status.prev_report_states == {"recorder": S.TRIGGERED}
    assert job.status.description == "written meanwhile"


async def test_an_expired_watch_lists_again(
    clock: VirtualClock, caplog: pytest.LogCaptureFixture
) -> None:
    reporter = RecordingReporter()
    store = JobStore(MemoryBackend(change_log_size=2), watch_queue_size=2)
    with caplog.at_level(logging.INFO, logger="minprow.crier"):
        async with store, running(Crier(store, [reporter], clock)) as crier:
            for i in range(6):  # back to back: crier's watch falls behind and expires
                await store.create(make_job(f"job-{i}"))
            await settle(crier)
    assert "watch expired" in caplog.text
    assert sorted(reporter.reported) == [(f"job-{i}", S.TRIGGERED) for i in range(6)]

"""A job that cannot start says so in the terms of the executor that runs it, and
is logged at warning level once per cause (issue 15, item 4)."""

from __future__ import annotations

import logging

import pytest
from plank_helpers import MakePlank, ScriptedExecutor, make_job

from minprow.executors.base import StartError
from minprow.model import ProwJobState
from minprow.store import JobStore

NOT_PULLABLE = StartError("image busybox:9 is not on this machine and cannot be pulled (offline).")


@pytest.mark.parametrize(
    ("workload", "expected"),
    [
        ("pod", "Pod can not be created: image busybox:9"),
        ("container", "Container can not be created: image busybox:9"),
        ("process", "Process can not be created: image busybox:9"),
    ],
    ids=["kubernetes-keeps-prows-words", "docker", "host"],
)
async def test_the_description_names_what_the_executor_runs(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    workload: str,
    expected: str,
) -> None:
    executor.workload = workload
    executor.fail_start = NOT_PULLABLE
    await store.create(make_job("a"))
    await make_plank().reconcile("a")
    job = store.get("a")
    assert job.status.state is ProwJobState.ERROR
    assert (job.status.description or "").startswith(expected)


async def test_the_same_cause_is_a_warning_once(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A periodic whose image cannot be pulled fails every minute: said once, not each time."""
    executor.workload = "container"
    plank = make_plank()
    caplog.set_level(logging.DEBUG, logger="minprow.plank")
    failures = [NOT_PULLABLE, NOT_PULLABLE, StartError("the test container has no command")]
    for i, failure in enumerate(failures):
        executor.fail_start = failure
        await store.create(make_job(f"run-{i}"))
        await plank.reconcile(f"run-{i}")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2, warnings
    assert warnings[0].startswith("Container can not be created: image busybox:9")
    assert warnings[1].startswith("Container can not be created: the test container has no")
    again = [r for r in caplog.records if r.levelno == logging.DEBUG and "(again)" in r.message]
    assert len(again) == 1

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


NO_COMMAND = StartError("the test container has no command")

# (id, the runs in order as (configured job, why its start fails or None: it starts),
#  the warnings logged, in order)
RUNS = [
    (
        "a-periodic-failing-every-minute-is-said-once",
        [("periodic-hello", NOT_PULLABLE)] * 4,
        ["periodic-hello: Container can not be created: image busybox:9"],
    ),
    (
        "a-new-cause-is-said",
        [("periodic-hello", NOT_PULLABLE)] * 2 + [("periodic-hello", NO_COMMAND)],
        [
            "periodic-hello: Container can not be created: image busybox:9",
            "periodic-hello: Container can not be created: the test container has no",
        ],
    ),
    (
        "each-job-is-said-once",
        [("periodic-hello", NOT_PULLABLE), ("pull-unit", NOT_PULLABLE)] * 3,
        [
            "periodic-hello: Container can not be created: image busybox:9",
            "pull-unit: Container can not be created: image busybox:9",
        ],
    ),
    (
        "said-again-after-a-run-started",
        [("pull-unit", NOT_PULLABLE), ("pull-unit", None), ("pull-unit", NOT_PULLABLE)],
        [
            "pull-unit: Container can not be created: image busybox:9",
            "pull-unit: Container can not be created: image busybox:9",
        ],
    ),
]


@pytest.mark.parametrize(("runs", "said"), [c[1:] for c in RUNS], ids=[c[0] for c in RUNS])
async def test_a_start_failure_is_a_warning_once_per_job_and_cause(
    store: JobStore,
    make_plank: MakePlank,
    executor: ScriptedExecutor,
    caplog: pytest.LogCaptureFixture,
    runs: list[tuple[str, StartError | None]],
    said: list[str],
) -> None:
    executor.workload = "container"
    plank = make_plank()
    caplog.set_level(logging.DEBUG, logger="minprow.plank")
    for i, (job, failure) in enumerate(runs):
        executor.fail_start = failure
        await store.create(make_job(f"run-{i}", job=job, pull=i))
        await plank.reconcile(f"run-{i}")
        expected = ProwJobState.ERROR if failure else ProwJobState.PENDING
        assert store.get(f"run-{i}").status.state is expected
    warnings = [
        f"{getattr(r, 'job', '?')}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]
    assert len(warnings) == len(said), warnings
    for warning, expected in zip(warnings, said, strict=True):
        assert warning.startswith(expected), warnings
    # Nothing about these runs is logged at info level but a start and a recovery:
    # a periodic failing every minute fills no log.
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert all(m.startswith(("started on", "starts again")) for m in infos), infos
    repeats = [r for r in caplog.records if r.levelno == logging.DEBUG and "(again:" in r.message]
    assert len(repeats) == sum(1 for _, failure in runs if failure) - len(said)

"""The host executor: real processes in per-job workspaces under tmp_path."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from executor_helpers import (
    IMAGE,
    Jobs,
    cleanup_all,
    container,
    decorated_job,
    finished_copy,
    read_logs,
    wait_final,
    wait_for,
    wait_output,
    wait_phase,
)

from minprow.aio import SystemClock
from minprow.executors.base import Phase, StartError
from minprow.executors.host import HostExecutor
from minprow.model import ProwJob, ProwJobState
from minprow.podutils import gcspaths
from minprow.podutils.render import RunPlan, render


def new_executor(tmp_path: Path) -> HostExecutor:
    return HostExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())


@pytest.fixture
async def executor(tmp_path: Path, jobs: Jobs) -> AsyncIterator[HostExecutor]:
    made = new_executor(tmp_path)
    yield made
    await cleanup_all(made, jobs.names)


async def started(executor: HostExecutor, pj: ProwJob) -> RunPlan:
    plan = render(pj)
    await executor.start(pj, plan)
    return plan


def pid_of(tmp_path: Path, pj: ProwJob) -> int:
    record = json.loads((tmp_path / "workspaces" / pj.metadata.name / "process.json").read_text())
    return int(record["pid"])


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


@pytest.mark.parametrize(
    ("script", "phase", "code"),
    [("echo ok", Phase.SUCCEEDED, 0), ("exit 3", Phase.FAILED, 3)],
    ids=["success", "failure"],
)
async def test_the_exit_code_decides_the_phase(
    executor: HostExecutor, jobs: Jobs, script: str, phase: Phase, code: int
) -> None:
    pj = jobs.make(container(script))
    await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert (observed.phase, observed.exit_code) == (phase, code)
    assert observed.started_at is not None
    assert observed.finished_at is not None


async def test_a_missing_executable_fails_the_job(executor: HostExecutor, jobs: Jobs) -> None:
    pj = jobs.make({"name": "test", "image": IMAGE, "command": ["no-such-command"]})
    await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert (observed.phase, observed.exit_code) == (Phase.FAILED, 127)
    assert b"no-such-command" in await read_logs(executor, pj.metadata.name)


Expect = Callable[[RunPlan, Path], bytes]
SEES: list[tuple[dict[str, Any], Expect]] = [
    (
        container('printf %s "$GREETING"', env=[{"name": "GREETING", "value": "hi there"}]),
        lambda plan, ws: b"hi there",
    ),
    (
        container('printf %s "$JOB_SPEC"'),
        lambda plan, ws: plan.test_container.env["JOB_SPEC"].encode(),
    ),
    (container('printf %s "$JOB_NAME $BUILD_ID $CI"'), lambda plan, ws: b"unit 1234 true"),
    (
        container('printf %s "${MINPROW_TEST_NOT_INHERITED-unset} ${PATH:+path}"'),
        lambda plan, ws: b"unset path",
    ),
    (
        container("pwd", workingDir="/home/prow/go/src/example.com/sub"),
        lambda plan, ws: f"{ws / 'code/src/example.com/sub'}\n".encode(),
    ),
    ({"name": "test", "image": IMAGE, "args": ["echo", "from args"]}, lambda p, ws: b"from args\n"),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    SEES,
    ids=["env", "job-spec", "prow-env", "minimal-env", "working-dir-relocated", "args-only"],
)
async def test_what_the_process_sees(
    executor: HostExecutor,
    jobs: Jobs,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: dict[str, Any],
    expected: Expect,
) -> None:
    monkeypatch.setenv("MINPROW_TEST_NOT_INHERITED", "leaked")
    pj = jobs.make(spec)
    plan = await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    workspace = tmp_path / "workspaces" / pj.metadata.name
    assert await read_logs(executor, pj.metadata.name) == expected(plan, workspace)


@pytest.mark.parametrize(
    ("containers", "message"),
    [
        ([{"name": "test", "image": IMAGE}], "no command or args"),
        ([container("true"), container("true", name="db")], "runs one container"),
        ([container("true", workingDir="relative/dir")], "not an absolute path"),
    ],
    ids=["empty-argv", "several-containers", "relative-working-dir"],
)
async def test_a_job_that_cannot_start_is_a_start_error(
    executor: HostExecutor, jobs: Jobs, containers: list[dict[str, Any]], message: str
) -> None:
    pj = jobs.make(*containers)
    with pytest.raises(StartError, match=message):
        await started(executor, pj)


async def test_starting_twice_starts_once_and_warns_once(
    executor: HostExecutor, jobs: Jobs, caplog: pytest.LogCaptureFixture
) -> None:
    pj = jobs.make(container("echo once"))
    plan = render(pj)
    with caplog.at_level(logging.WARNING, logger="minprow.executors.host"):
        await asyncio.gather(executor.start(pj, plan), executor.start(pj, plan))
        await wait_final(executor, pj.metadata.name)
        await executor.start(pj, plan)
    assert await read_logs(executor, pj.metadata.name) == b"once\n"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"IGNORES the image `{IMAGE}`" in warnings[0]


async def test_a_new_executor_adopts_the_running_process(
    executor: HostExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    pj = jobs.make(container("sleep 0.5; exit 4"))
    await started(executor, pj)
    after_restart = new_executor(tmp_path)
    await wait_phase(after_restart, pj.metadata.name, Phase.RUNNING)
    managed = {m.prowjob: m for m in await after_restart.list_managed()}
    assert managed[pj.metadata.name].phase is Phase.RUNNING
    observed = await wait_final(after_restart, pj.metadata.name)
    assert (observed.phase, observed.exit_code) == (Phase.FAILED, 4)


@pytest.mark.parametrize(
    ("script", "grace", "code", "at_least", "at_most", "adopted"),
    [
        ("trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done", 10, 143, 0, 3, False),
        ("trap '' TERM; echo ready; while :; do sleep 0.05; done", 1, 137, 1, 4, False),
        ("trap '' TERM; echo ready; while :; do sleep 0.05; done", 0.5, 137, 0.5, 4, True),
    ],
    ids=["exits-on-term", "killed-after-grace", "killed-after-a-restart"],
)
async def test_abort_terms_then_kills_after_the_grace_period(
    executor: HostExecutor,
    jobs: Jobs,
    tmp_path: Path,
    script: str,
    grace: float,
    code: int,
    at_least: float,
    at_most: float,
    adopted: bool,
) -> None:
    pj = jobs.make(container(script))
    name = pj.metadata.name
    await started(executor, pj)
    await wait_output(executor, name, b"ready")
    aborter = new_executor(tmp_path) if adopted else executor
    begun = time.monotonic()
    await aborter.abort(name, timedelta(seconds=grace))
    took = time.monotonic() - begun
    observed = await wait_final(aborter, name)
    assert (observed.phase, observed.exit_code) == (Phase.FAILED, code)
    assert at_least <= took < at_most
    assert not running(pid_of(tmp_path, pj))
    await aborter.abort(name, timedelta(seconds=grace))  # gone: a no-op


async def test_what_the_process_leaves_running_is_killed_when_it_ends(
    executor: HostExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    pj = jobs.make(container("sleep 30 & echo $! > background.pid"))
    await started(executor, pj)
    assert (await wait_final(executor, pj.metadata.name)).phase is Phase.SUCCEEDED
    pid_file = tmp_path / "workspaces" / pj.metadata.name / "code" / "background.pid"
    background = int(pid_file.read_text())

    async def killed() -> bool:
        return not running(background)

    await wait_for(killed, "the background process to be killed")


async def test_a_process_that_vanished_is_a_failure(
    executor: HostExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    pj = jobs.make(container("sleep 30"))
    await started(executor, pj)
    os.killpg(pid_of(tmp_path, pj), signal.SIGKILL)
    observed = await wait_final(new_executor(tmp_path), pj.metadata.name)
    assert (observed.phase, observed.reason) == (Phase.FAILED, "process vanished")


async def test_logs_follow_while_the_process_runs(executor: HostExecutor, jobs: Jobs) -> None:
    pj = jobs.make(container("echo one; sleep 0.5; echo two"))
    name = pj.metadata.name
    await started(executor, pj)
    chunks: list[bytes] = []
    phases: list[Phase] = []
    async for chunk in executor.logs(name, follow=True):
        chunks.append(chunk)
        phases.append((await executor.observe(name)).phase)
    assert b"".join(chunks) == b"one\ntwo\n"
    assert phases[0] is Phase.RUNNING


async def test_a_consumer_may_stop_following(executor: HostExecutor, jobs: Jobs) -> None:
    pj = jobs.make(container("echo one; sleep 30"))
    name = pj.metadata.name
    await started(executor, pj)
    await wait_output(executor, name, b"one")
    stream = executor.logs(name, follow=True)
    assert isinstance(stream, AsyncGenerator)
    async with contextlib.aclosing(stream):
        async for chunk in stream:
            assert chunk == b"one\n"
            break
    await executor.abort(name, timedelta(0))


async def test_list_managed_and_cleanup(executor: HostExecutor, jobs: Jobs, tmp_path: Path) -> None:
    still = jobs.make(container("sleep 30"))
    done = jobs.make(container("true"))
    await started(executor, still)
    await started(executor, done)
    await wait_final(executor, done.metadata.name)
    managed = {m.prowjob: m for m in await executor.list_managed()}
    assert managed[still.metadata.name].phase is Phase.RUNNING
    assert managed[done.metadata.name].phase is Phase.SUCCEEDED
    assert managed[done.metadata.name].finished_at is not None

    pid = pid_of(tmp_path, still)
    for pj in (still, done):
        await executor.cleanup(pj.metadata.name)
        await executor.cleanup(pj.metadata.name)  # again: a no-op
        assert (await executor.observe(pj.metadata.name)).phase is Phase.MISSING
    assert not running(pid)
    assert await executor.list_managed() == []


async def test_a_decorated_job_end_to_end(
    executor: HostExecutor, jobs: Jobs, git_repo: tuple[str, str], tmp_path: Path
) -> None:
    uri, sha = git_repo
    script = 'pwd; cat README; echo made > "$ARTIFACTS/out.txt"; echo to-stderr >&2'
    pj = decorated_job(jobs, script, uri, sha)
    plan = await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    await executor.collect(finished_copy(pj, ProwJobState.SUCCESS), plan)

    run = tmp_path / "artifacts" / gcspaths.job_path(pj)
    checkout = tmp_path / "workspaces" / pj.metadata.name / "code/src/github.com/acme/widgets"
    build_log = (run / "build-log.txt").read_text()
    assert build_log == f"{checkout}\nhello from the checkout\nto-stderr\n"
    assert (run / "artifacts" / "out.txt").read_text() == "made\n"
    assert json.loads((run / "started.json").read_text())["repo-commit"] == sha
    finished = json.loads((run / "finished.json").read_text())
    assert (finished["passed"], finished["result"]) == (True, "SUCCESS")
    assert json.loads((run / "prowjob.json").read_text())["metadata"]["name"] == pj.metadata.name


async def test_an_aborted_job_is_recorded_as_aborted(
    executor: HostExecutor, jobs: Jobs, git_repo: tuple[str, str], tmp_path: Path
) -> None:
    uri, sha = git_repo
    pj = decorated_job(jobs, "sleep 30", uri, sha)
    plan = await started(executor, pj)
    await wait_phase(executor, pj.metadata.name, Phase.RUNNING)
    await executor.abort(pj.metadata.name, timedelta(seconds=1))
    await executor.collect(finished_copy(pj, ProwJobState.ABORTED), plan)
    run = tmp_path / "artifacts" / gcspaths.job_path(pj)
    finished = json.loads((run / "finished.json").read_text())
    assert (finished["passed"], finished["result"]) == (False, "ABORTED")


async def test_a_failed_clone_is_a_failed_job_even_after_a_restart(
    executor: HostExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    pj = decorated_job(jobs, "echo never", f"file://{tmp_path / 'no-such-repo'}", "a" * 40)
    plan = await started(executor, pj)
    await executor.start(pj, plan)  # again: still failed, nothing started
    for observer in (executor, new_executor(tmp_path)):
        observed = await observer.observe(pj.metadata.name)
        assert observed.phase is Phase.FAILED
        assert observed.reason.startswith("clone failed: cloning acme/widgets failed")
    assert b"# FAILED" in await read_logs(executor, pj.metadata.name)
    assert b"never" not in await read_logs(executor, pj.metadata.name)

    await executor.collect(finished_copy(pj, ProwJobState.FAILURE), plan)
    run = tmp_path / "artifacts" / gcspaths.job_path(pj)
    assert json.loads((run / "finished.json").read_text())["passed"] is False
    assert "# FAILED" in (run / "build-log.txt").read_text()


async def test_a_local_checkout_is_linked_at_its_place(
    executor: HostExecutor, jobs: Jobs, git_repo: tuple[str, str], tmp_path: Path
) -> None:
    uri, sha = git_repo
    pj = decorated_job(jobs, "cat README", uri, sha)
    assert pj.spec.refs is not None
    plan = render(pj).with_local_checkout(pj.spec.refs, str(tmp_path / "upstream"))
    await executor.start(pj, plan)
    assert (await wait_final(executor, pj.metadata.name)).phase is Phase.SUCCEEDED
    assert await read_logs(executor, pj.metadata.name) == b"hello from the checkout\n"
    await executor.cleanup(pj.metadata.name)
    assert (tmp_path / "upstream" / "README").is_file()  # the user's tree stays

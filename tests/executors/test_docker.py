"""The docker executor against the real Docker engine, with the busybox test image."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import docker
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
from minprow.executors._engineapi import EngineClient
from minprow.executors.base import ExecutorError, Phase, StartError
from minprow.executors.docker import MANAGED, DockerExecutor, container_name
from minprow.model import ProwJob, ProwJobState
from minprow.model import labels as keys
from minprow.podutils import gcspaths
from minprow.podutils.render import RunPlan, render


def new_executor(tmp_path: Path) -> DockerExecutor:
    return DockerExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())


@pytest.fixture
async def executor(tmp_path: Path, busybox_image: str, jobs: Jobs) -> AsyncIterator[DockerExecutor]:
    made = new_executor(tmp_path)
    yield made
    await cleanup_all(made, jobs.names)


async def started(executor: DockerExecutor, pj: ProwJob) -> RunPlan:
    plan = render(pj)
    await executor.start(pj, plan)
    return plan


@pytest.mark.parametrize(
    ("script", "phase", "code"),
    [("echo ok", Phase.SUCCEEDED, 0), ("exit 3", Phase.FAILED, 3)],
    ids=["success", "failure"],
)
async def test_the_exit_code_decides_the_phase(
    executor: DockerExecutor, jobs: Jobs, script: str, phase: Phase, code: int
) -> None:
    pj = jobs.make(container(script))
    await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert (observed.phase, observed.exit_code) == (phase, code)
    assert observed.started_at is not None
    assert observed.finished_at is not None
    assert observed.finished_at >= observed.started_at


async def test_a_missing_executable_fails_the_job(executor: DockerExecutor, jobs: Jobs) -> None:
    pj = jobs.make({"name": "test", "image": IMAGE, "command": ["no-such-command"]})
    await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert (observed.phase, observed.exit_code) == (Phase.FAILED, 127)
    assert "executable file not found" in observed.reason


SEES: list[tuple[dict[str, Any], Callable[[RunPlan], bytes]]] = [
    (
        container('printf %s "$GREETING"', env=[{"name": "GREETING", "value": "hi there"}]),
        lambda plan: b"hi there",
    ),
    (
        container('printf %s "$JOB_SPEC"'),
        lambda plan: plan.test_container.env["JOB_SPEC"].encode(),
    ),
    (container('printf %s "$JOB_NAME $BUILD_ID $CI"'), lambda plan: b"unit 1234 true"),
    (container("pwd", workingDir="/work/sub"), lambda plan: b"/work/sub\n"),
    ({"name": "test", "image": IMAGE, "args": ["echo", "from args"]}, lambda p: b"from args\n"),
    (
        {"name": "test", "image": IMAGE, "command": ["echo"], "args": ["a", "b"]},
        lambda plan: b"a b\n",
    ),
]


@pytest.mark.parametrize(
    ("spec", "expected"),
    SEES,
    ids=["env", "job-spec", "prow-env", "working-dir", "args-only", "command-and-args"],
)
async def test_what_the_container_sees(
    executor: DockerExecutor,
    jobs: Jobs,
    spec: dict[str, Any],
    expected: Callable[[RunPlan], bytes],
) -> None:
    pj = jobs.make(spec)
    plan = await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    assert await read_logs(executor, pj.metadata.name) == expected(plan)


@pytest.mark.parametrize(
    ("job", "label"),
    [("unit", "unit"), ("a-" + "x" * 70, ("a-" + "x" * 70)[:63])],
    ids=["short-job", "long-job-truncated"],
)
async def test_containers_carry_prows_labels(
    executor: DockerExecutor,
    jobs: Jobs,
    docker_client: docker.DockerClient,
    job: str,
    label: str,
) -> None:
    pj = jobs.make(container("true"), job=job)
    await started(executor, pj)
    labels = docker_client.containers.get(container_name(pj.metadata.name)).labels
    assert labels[keys.CREATED_BY_PROW] == "true"
    assert labels[keys.JOB_ID] == pj.metadata.name
    assert labels[keys.JOB] == label
    assert labels[MANAGED] == "true"


async def test_starting_twice_starts_once(
    executor: DockerExecutor, jobs: Jobs, docker_client: docker.DockerClient
) -> None:
    pj = jobs.make(container("echo once"))
    plan = render(pj)
    await asyncio.gather(executor.start(pj, plan), executor.start(pj, plan))
    await wait_final(executor, pj.metadata.name)
    await executor.start(pj, plan)
    found = docker_client.containers.list(
        all=True, filters={"label": f"{keys.JOB_ID}={pj.metadata.name}"}
    )
    assert len(found) == 1
    assert await read_logs(executor, pj.metadata.name) == b"once\n"


async def test_a_new_executor_adopts_the_running_container(
    executor: DockerExecutor, jobs: Jobs, tmp_path: Path
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
    ("script", "grace", "code", "at_least", "at_most"),
    [
        ("trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done", 10, 143, 0, 5),
        ("trap '' TERM; echo ready; while :; do sleep 0.05; done", 1, 137, 1, 8),
    ],
    ids=["exits-on-term", "killed-after-grace"],
)
async def test_abort_terms_then_kills_after_the_grace_period(
    executor: DockerExecutor,
    jobs: Jobs,
    script: str,
    grace: int,
    code: int,
    at_least: float,
    at_most: float,
) -> None:
    pj = jobs.make(container(script))
    name = pj.metadata.name
    await started(executor, pj)
    await wait_output(executor, name, b"ready")
    begun = time.monotonic()
    await executor.abort(name, timedelta(seconds=grace))
    took = time.monotonic() - begun
    observed = await wait_final(executor, name)
    assert (observed.phase, observed.exit_code) == (Phase.FAILED, code)
    assert at_least <= took < at_most
    await executor.abort(name, timedelta(seconds=grace))  # gone: a no-op


async def test_logs_follow_while_the_container_runs(executor: DockerExecutor, jobs: Jobs) -> None:
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


@pytest.mark.parametrize("closes", [True, False], ids=["closed", "dropped"])
async def test_a_consumer_may_stop_following(
    executor: DockerExecutor, jobs: Jobs, closes: bool
) -> None:
    pj = jobs.make(container("echo one; sleep 30"))
    name = pj.metadata.name
    await started(executor, pj)
    stream = executor.logs(name, follow=True)
    assert isinstance(stream, AsyncGenerator)
    async for chunk in stream:
        assert chunk == b"one\n"
        break
    if closes:
        await stream.aclose()
    del stream  # a dropped generator is closed by the event loop

    async def reader_gone() -> bool:
        return not any(t.name == f"logs {container_name(name)}" for t in threading.enumerate())

    await wait_for(reader_gone, "the log reader thread to end", within=5)
    await executor.abort(name, timedelta(0))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"name": "test", "image": "minprow-test-no-such-image:v0", "command": ["true"]},
            r"image minprow-test-no-such-image:v0 is not on this machine and cannot be pulled .*"
            r"`--executor host`",
        ),
        (container("true", workingDir="relative/dir"), "working directory"),
        (container("true", resources={"limits": {"memory": "1"}}), "memory"),
    ],
    ids=["unknown-image", "relative-working-dir", "tiny-memory-limit"],
)
async def test_a_job_that_cannot_start_is_a_start_error(
    executor: DockerExecutor, jobs: Jobs, spec: dict[str, Any], message: str
) -> None:
    pj = jobs.make(spec)
    with pytest.raises(StartError, match=message):
        await started(executor, pj)


async def test_an_engine_that_does_not_answer_is_retried_later(tmp_path: Path, jobs: Jobs) -> None:
    down = DockerExecutor(
        tmp_path / "workspaces",
        tmp_path / "artifacts",
        SystemClock(),
        client_factory=lambda: EngineClient("unix:///nonexistent/docker.sock"),
    )
    pj = jobs.make(container("true"))
    with pytest.raises(ExecutorError, match="does not answer") as raised:
        await down.start(pj, render(pj))
    assert not isinstance(raised.value, StartError)
    with pytest.raises(ExecutorError):
        await down.observe(pj.metadata.name)


async def test_out_of_memory_is_the_reason(executor: DockerExecutor, jobs: Jobs) -> None:
    script = "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived"
    pj = jobs.make(container(script, resources={"limits": {"memory": "16Mi", "cpu": "64"}}))
    await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert (observed.phase, observed.exit_code, observed.reason) == (
        Phase.FAILED,
        137,
        "OOMKilled",
    )


async def test_list_managed_and_cleanup(
    executor: DockerExecutor, jobs: Jobs, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    running = jobs.make(container("sleep 30"))
    done = jobs.make(container("true"))
    await started(executor, running)
    await started(executor, done)
    await wait_final(executor, done.metadata.name)
    await wait_phase(executor, running.metadata.name, Phase.RUNNING)
    managed = {m.prowjob: m for m in await executor.list_managed()}
    assert managed[running.metadata.name].phase is Phase.RUNNING
    assert managed[done.metadata.name].phase is Phase.SUCCEEDED
    assert managed[done.metadata.name].finished_at is not None
    another_minprow = DockerExecutor(tmp_path / "other", tmp_path / "artifacts", SystemClock())
    assert not {m.prowjob for m in await another_minprow.list_managed()} & set(managed)

    for pj in (running, done):
        await executor.cleanup(pj.metadata.name)
        await executor.cleanup(pj.metadata.name)  # again: a no-op
        assert (await executor.observe(pj.metadata.name)).phase is Phase.MISSING
    left = {m.prowjob for m in await executor.list_managed()}
    assert not left & {running.metadata.name, done.metadata.name}
    assert not docker_client.containers.list(
        all=True, filters={"label": f"{keys.JOB_ID}={running.metadata.name}"}
    )


async def test_several_containers_share_the_test_containers_network(
    executor: DockerExecutor, jobs: Jobs, docker_client: docker.DockerClient
) -> None:
    serve = (
        "trap 'exit 0' TERM; mkdir -p /www && echo pong > /www/index.html"
        " && httpd -p 8080 -h /www && while :; do sleep 0.05; done"
    )
    fetch = (
        "for i in $(seq 100); do wget -q -O- http://127.0.0.1:8080/ 2>/dev/null && exit 0; sleep 0.05; done;"
        " exit 1"
    )
    pj = jobs.make(
        container(fetch),
        {"name": "web", "image": IMAGE, "command": ["sh", "-c", serve]},
    )
    plan = await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    assert await read_logs(executor, pj.metadata.name) == b"pong\n"
    sidecar = docker_client.containers.get(container_name(pj.metadata.name, plan.containers[1]))
    assert sidecar.status == "running"
    await executor.collect(finished_copy(pj), plan)
    sidecar.reload()
    assert sidecar.status == "exited"
    await executor.cleanup(pj.metadata.name)
    with pytest.raises(docker.errors.NotFound):
        sidecar.reload()


async def test_a_decorated_job_end_to_end(
    executor: DockerExecutor, jobs: Jobs, git_repo: tuple[str, str], tmp_path: Path
) -> None:
    uri, sha = git_repo
    script = 'pwd; cat README; echo made > "$ARTIFACTS/out.txt"; echo to-stderr >&2'
    pj = decorated_job(jobs, script, uri, sha)
    plan = await started(executor, pj)
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    await executor.collect(finished_copy(pj), plan)

    run = tmp_path / "artifacts" / gcspaths.job_path(pj)
    build_log = (run / "build-log.txt").read_text()
    assert "/home/prow/go/src/github.com/acme/widgets\n" in build_log
    assert "hello from the checkout\n" in build_log
    assert "to-stderr\n" in build_log
    assert (run / "artifacts" / "out.txt").read_text() == "made\n"
    assert json.loads((run / "started.json").read_text())["repo-commit"] == sha
    finished = json.loads((run / "finished.json").read_text())
    assert (finished["passed"], finished["result"]) == (True, "SUCCESS")
    assert json.loads((run / "prowjob.json").read_text())["metadata"]["name"] == pj.metadata.name

    await executor.cleanup(pj.metadata.name)
    assert not (tmp_path / "workspaces" / pj.metadata.name).exists()


async def test_a_failed_clone_is_a_failed_job_even_after_a_restart(
    executor: DockerExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-repo"
    pj = decorated_job(jobs, "echo never", f"file://{missing}", "a" * 40)
    plan = await started(executor, pj)
    await executor.start(pj, plan)  # again: still failed, nothing started
    for observer in (executor, new_executor(tmp_path)):
        observed = await observer.observe(pj.metadata.name)
        assert observed.phase is Phase.FAILED
        assert observed.reason.startswith("clone failed: cloning acme/widgets failed")
    assert b"# FAILED" in await read_logs(executor, pj.metadata.name)
    managed = {m.prowjob: m for m in await executor.list_managed()}
    assert managed[pj.metadata.name].phase is Phase.FAILED

    await executor.collect(finished_copy(pj, ProwJobState.FAILURE), plan)
    run = tmp_path / "artifacts" / gcspaths.job_path(pj)
    assert json.loads((run / "finished.json").read_text())["passed"] is False
    assert "# FAILED" in (run / "build-log.txt").read_text()

    await executor.cleanup(pj.metadata.name)
    assert (await executor.observe(pj.metadata.name)).phase is Phase.MISSING


async def test_a_local_checkout_is_mounted_at_its_place(
    executor: DockerExecutor, jobs: Jobs, git_repo: tuple[str, str], tmp_path: Path
) -> None:
    uri, sha = git_repo
    pj = decorated_job(jobs, "pwd; cat README", uri, sha)
    assert pj.spec.refs is not None
    plan = render(pj).with_local_checkout(pj.spec.refs, str(tmp_path / "upstream"))
    await executor.start(pj, plan)
    assert (await wait_final(executor, pj.metadata.name)).phase is Phase.SUCCEEDED
    assert await read_logs(executor, pj.metadata.name) == (
        b"/home/prow/go/src/github.com/acme/widgets\nhello from the checkout\n"
    )

"""Fixtures of the executor tests: the real Docker engine, the busybox test image,
ProwJobs made by the one factory, and a git repository to clone.

Without an engine the Docker tests are skipped, saying why; with `CI` set they
fail instead, so CI never passes by running none of them. The image is built
`FROM scratch` around the host's static busybox (fixtures/images/busybox), so
no registry is needed.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import docker
import git
import pytest

from minprow import pjutil
from minprow.executors.base import Executor, Observation, Phase
from minprow.model import ProwJob, ProwJobSpec

REPO = Path(__file__).resolve().parents[2]
IMAGE = "minprow-test-busybox:latest"
DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
BUSYBOX = Path("/bin/busybox")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WAIT = 20.0
"""Seconds a test waits for a job to end before failing (each takes well under one)."""


def unavailable(why: str) -> NoReturn:
    """Skip, or fail in CI (`CI` set), for a part of this machine the tests need."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: the executor tests must run)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as err:  # any failure to reach it means "no engine here"
        unavailable(f"no Docker engine answers ({type(err).__name__}: {err})")
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: docker.DockerClient) -> str:
    """The test image, built from fixtures/images/busybox (cached by the engine)."""
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is missing: install busybox-static to build the test image")
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(BUSYBOX, Path(context) / "busybox")
        shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
        docker_client.images.build(path=context, tag=IMAGE, rm=True)
    return IMAGE


def container(script: str, **fields: Any) -> dict[str, Any]:
    """A pod spec container running `sh -c script` in the test image."""
    return {"name": "test", "image": IMAGE, "command": ["sh", "-c", script], **fields}


class Jobs:
    """Makes ProwJobs with fresh names and remembers them, to clean up after the test."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def make(
        self,
        *containers: dict[str, Any],
        decoration: dict[str, Any] | None = None,
        refs: dict[str, Any] | None = None,
        job: str = "unit",
    ) -> ProwJob:
        spec = ProwJobSpec.model_validate(
            {
                "type": "postsubmit" if refs else "periodic",
                "job": job,
                "agent": "kubernetes",
                "refs": refs,
                "decoration_config": decoration,
                "pod_spec": {"containers": list(containers)},
            }
        )
        name = f"t-{uuid.uuid4().hex[:16]}"
        pj = pjutil.new_prowjob(spec, now=NOW, namespace="default", name=name)
        pj.status.build_id = "1234"
        self.names.append(name)
        return pj


@pytest.fixture
def jobs() -> Jobs:
    return Jobs()


async def wait_for(
    check: Callable[[], Awaitable[bool]], what: str | Callable[[], str], within: float = WAIT
) -> None:
    """Poll `check` until it is true; fail after `within` seconds, saying `what`."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what if isinstance(what, str) else what()}")
        await asyncio.sleep(0.02)


async def wait_final(executor: Executor, name: str, within: float = WAIT) -> Observation:
    """The job's observation once its process has ended."""
    seen: list[Observation] = []

    async def done() -> bool:
        seen.append(await executor.observe(name))
        return seen[-1].phase.is_final

    await wait_for(done, lambda: f"{name} to end (last seen: {seen[-1]})", within)
    return seen[-1]


async def wait_phase(executor: Executor, name: str, phase: Phase) -> None:
    seen: list[Observation] = []

    async def reached() -> bool:
        seen.append(await executor.observe(name))
        return seen[-1].phase is phase

    await wait_for(reached, lambda: f"{name} to be {phase} (last seen: {seen[-1]})")


async def read_logs(executor: Executor, name: str, *, follow: bool = False) -> bytes:
    return b"".join([chunk async for chunk in executor.logs(name, follow=follow)])


async def cleanup_all(executor: Executor, names: list[str]) -> None:
    for name in names:
        await executor.cleanup(name)


@pytest.fixture
def git_repo(tmp_path: Path) -> tuple[str, str]:
    """A real git repository (file:// URI, main branch, one commit): its URI and SHA."""
    path = tmp_path / "upstream"
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (path / "README").write_text("hello from the checkout\n")
    repo.index.add(["README"])
    commit = repo.index.commit("first")
    return f"file://{path}", commit.hexsha

"""A busybox image no registry gives is built on this machine; any other missing
image is a start error saying what to do (issue 15, item 4). Real Docker engine."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import docker
import docker.errors
import pytest
from executor_helpers import Jobs, cleanup_all, read_logs, wait_final

from minprow.aio import SystemClock
from minprow.executors import _localimage
from minprow.executors._engineapi import EngineClient
from minprow.executors.base import Phase, StartError
from minprow.executors.docker import DockerExecutor
from minprow.podutils.render import render


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("busybox", True),
        ("busybox:1.36", True),
        ("library/busybox:1.36", True),
        ("docker.io/library/busybox:1.36", True),
        ("busybox@sha256:" + "a" * 64, False),
        ("quay.io/prometheus/busybox:latest", False),
        ("alpine:3.19", False),
        ("registry:5000/busybox", False),
    ],
    ids=["bare", "tagged", "library", "docker-io", "digest", "other-registry", "alpine", "port"],
)
def test_is_busybox(image: str, expected: bool) -> None:
    assert _localimage.is_busybox(image) is expected


def test_only_a_static_binary_is_taken(tmp_path: Path) -> None:
    static = Path("/bin/busybox")
    if not static.is_file():
        pytest.skip("busybox-static is not installed")
    assert _localimage.static_busybox((static,)) == static
    dynamic = Path(shutil.which("sh") or "/bin/sh").resolve()
    script = tmp_path / "busybox"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    # A dynamically linked shell and a script are not runnable FROM scratch.
    assert not _localimage._is_static_elf(dynamic)
    assert not _localimage._is_static_elf(script)


@pytest.fixture
async def executor(tmp_path: Path, jobs: Jobs) -> AsyncIterator[DockerExecutor]:
    made = DockerExecutor(tmp_path / "workspaces", tmp_path / "artifacts", SystemClock())
    yield made
    await cleanup_all(made, jobs.names)


async def test_a_busybox_job_runs_with_no_registry(
    executor: DockerExecutor,
    jobs: Jobs,
    unpullable_busybox: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="minprow.executors.docker")
    command = ["sh", "-c", "echo made here; ls /bin/ls"]
    pj = jobs.make({"name": "test", "image": unpullable_busybox, "command": command})
    await executor.start(pj, render(pj))
    observed = await wait_final(executor, pj.metadata.name)
    assert observed.phase is Phase.SUCCEEDED
    assert b"made here" in await read_logs(executor, pj.metadata.name)
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(said) == 1, said
    assert said[0].startswith(f"built {unpullable_busybox} locally from "), said
    assert "no registry answered" in said[0]


async def test_jobs_starting_together_build_the_image_once(
    executor: DockerExecutor,
    jobs: Jobs,
    unpullable_busybox: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="minprow.executors.docker")
    made = [
        jobs.make({"name": "test", "image": unpullable_busybox, "command": ["true"]})
        for _ in range(3)
    ]
    await asyncio.gather(*(executor.start(pj, render(pj)) for pj in made))
    for pj in made:
        assert (await wait_final(executor, pj.metadata.name)).phase is Phase.SUCCEEDED
    built = [r for r in caplog.records if r.getMessage().startswith("built ")]
    assert len(built) == 1, [r.getMessage() for r in built]


def test_a_binary_that_cannot_run_from_scratch_fails_the_build(
    docker_client: docker.DockerClient, unpullable_busybox: str
) -> None:
    # A dynamically linked shell has no loader FROM scratch: the build's RUN fails.
    dynamic = Path(shutil.which("sh") or "/bin/sh").resolve()
    with pytest.raises(StartError) as raised:
        _localimage.build_busybox(EngineClient(), unpullable_busybox, dynamic, "offline")
    message = str(raised.value)
    assert message.startswith(
        f"image {unpullable_busybox} cannot be pulled (offline), and building it locally "
        f"from {dynamic} failed: "
    ), message
    assert message.endswith("or run the job as a host process with `--executor host`.")


@pytest.mark.parametrize(
    ("image", "busybox_hint"),
    [("alpine:3.19", False), ("busybox:1.36", True)],
    ids=["any-image", "busybox-when-no-static-one-is-here"],
)
def test_the_error_says_what_to_do(image: str, busybox_hint: bool) -> None:
    message = str(_localimage.missing_image_error(image, "no such host"))
    assert message == (
        f"image {image} is not on this machine and cannot be pulled (no such host). "
        f"Build or tag a local image with that name (`docker build -t {image} DIR` or "
        f"`docker tag LOCAL_IMAGE {image}`)"
        + (", install a static busybox (`busybox-static`)" if busybox_hint else "")
        + ", or run the job as a host process with `--executor host`."
    )


async def test_another_missing_image_says_what_to_do(executor: DockerExecutor, jobs: Jobs) -> None:
    image = f"minprow-test-nowhere-{uuid.uuid4().hex[:8]}:v1"
    pj = jobs.make({"name": "test", "image": image, "command": ["true"]})
    with pytest.raises(StartError) as raised:
        await executor.start(pj, render(pj))
    message = str(raised.value)
    assert f"image {image} is not on this machine and cannot be pulled" in message
    assert f"`docker build -t {image} DIR`" in message
    assert f"`docker tag LOCAL_IMAGE {image}`" in message
    assert "`--executor host`" in message

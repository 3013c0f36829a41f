"""Helpers of the executor tests: ProwJobs made by the one factory, waiting on a
job's phase or output, reading its logs. Imported as `from executor_helpers import
...` (a name no other test directory uses); the fixtures are in conftest.py.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from minprow import pjutil
from minprow.executors.base import Executor, Observation, Phase
from minprow.model import ProwJob, ProwJobSpec, ProwJobState

IMAGE = "minprow-test-busybox:latest"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
WAIT = 20.0
"""Seconds a test waits for a job to end before failing (each takes well under one)."""


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
        volumes: list[dict[str, Any]] | None = None,
        pod: dict[str, Any] | None = None,
    ) -> ProwJob:
        spec = ProwJobSpec.model_validate(
            {
                "type": "postsubmit" if refs else "periodic",
                "job": job,
                "agent": "kubernetes",
                "refs": refs,
                "decoration_config": decoration,
                "pod_spec": {
                    **(pod or {}),
                    "containers": list(containers),
                    **({"volumes": volumes} if volumes else {}),
                },
            }
        )
        name = f"t-{uuid.uuid4().hex[:16]}"
        pj = pjutil.new_prowjob(spec, now=NOW, namespace="default", name=name)
        pj.status.build_id = "1234"
        self.names.append(name)
        return pj


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


async def wait_output(executor: Executor, name: str, text: bytes) -> None:
    async def printed() -> bool:
        return text in await read_logs(executor, name)

    await wait_for(printed, f"{name} to print {text!r}")


def decorated_job(jobs: Jobs, script: str, clone_uri: str, sha: str) -> ProwJob:
    """A decorated postsubmit of acme/widgets at `sha`, cloned from `clone_uri`."""
    refs = {
        "org": "acme",
        "repo": "widgets",
        "base_ref": "main",
        "base_sha": sha,
        "clone_uri": clone_uri,
    }
    return jobs.make(container(script), decoration={}, refs=refs)


def finished_copy(pj: ProwJob, state: ProwJobState = ProwJobState.SUCCESS) -> ProwJob:
    """The job as plank hands it to `collect`: in its final state."""
    final = pj.model_copy(deep=True)
    final.status.state = state
    return final

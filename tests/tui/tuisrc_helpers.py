"""ProwJobs and bounded waits for the tests of the TUI's state-directory and remote
sources (tests/tui/test_tui_source_statedir.py, test_tui_source_remote.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from minprow import pjutil
from minprow.model import ProwJob, ProwJobSpec, ProwJobState
from minprow.tui.source import JobEvent

T0 = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
WAIT = 10.0
"""Seconds a test waits for something that should happen at once."""
T = TypeVar("T")


def make_job(
    name: str,
    *,
    state: ProwJobState = ProwJobState.TRIGGERED,
    script: str = "echo hello",
    cluster: str | None = None,
    started: datetime = T0,
    image: str = "busybox",
) -> ProwJob:
    """A periodic ProwJob running `script` in `image`, in `state`."""
    spec = ProwJobSpec.model_validate(
        {
            "type": "periodic",
            "job": f"job-{name}",
            "agent": "kubernetes",
            "cluster": cluster,
            "pod_spec": {
                "containers": [
                    {
                        "name": "test",
                        "image": image,
                        "command": ["sh", "-c", script],
                        "env": [{"name": "GITHUB_TOKEN", "value": "ghp_not_for_your_eyes"}],
                    }
                ]
            },
            "decoration_config": {"timeout": "1h"},
        }
    )
    pj = pjutil.new_prowjob(spec, {}, {}, now=started, namespace="default", name=name)
    pj.status.state = state
    pj.status.build_id = "1234"
    if state.is_final:
        pj.status.completion_time = started + timedelta(minutes=1)
    return pj


def finish(pj: ProwJob) -> ProwJob:
    pj.status.state = ProwJobState.SUCCESS
    pj.status.completion_time = T0 + timedelta(minutes=2)
    return pj


async def events(feed: AsyncIterator[JobEvent], count: int) -> list[JobEvent]:
    """The next `count` events of `feed`, waiting at most WAIT seconds."""
    got: list[JobEvent] = []
    async with asyncio.timeout(WAIT):
        while len(got) < count:
            got.append(await anext(feed))
    return got


async def eventually(check: Callable[[], T | None], what: str) -> T:
    """`check()`'s first truthy value, polled for at most WAIT seconds."""
    deadline = asyncio.get_running_loop().time() + WAIT
    while True:
        value = check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.02)


async def read_all(chunks: AsyncIterator[bytes]) -> bytes:
    """Every chunk of a log, within WAIT seconds."""
    out = b""
    async with asyncio.timeout(WAIT):
        async for chunk in chunks:
            out += chunk
    return out

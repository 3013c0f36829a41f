"""The kubernetes executor against fake API servers through a real kubeconfig file:
pods created as Prow creates them, observed as the kubelet moves them, their logs,
abort, cleanup, re-adoption after a restart, and rotated credentials."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import VirtualClock
from kubexec_helpers import NAMESPACE, Federation, federation, make_job, wait_for

from minprow.executors.base import ExecutorError, Managed, Observation, Phase, StartError
from minprow.podutils.render import render


@pytest.fixture
async def fed(tmp_path: Path) -> AsyncIterator[Federation]:
    fed = await federation(["east", "west"], tmp_path, VirtualClock())
    yield fed
    fed.close()
    for fake in fed.fakes.values():
        await fake.stop()


def pod_of(fed: Federation, cluster: str, name: str) -> dict[str, Any] | None:
    return fed.fakes[cluster].pods.get((NAMESPACE, name))


async def started(fed: Federation, cluster: str = "east") -> str:
    executor = fed.executor(cluster)
    assert await executor.wait_synced(5), f"{cluster}'s pod cache never listed"
    job = make_job(cluster)
    await executor.start(job, render(job))
    return job.metadata.name


async def test_start_creates_the_pod_prow_would_in_the_jobs_cluster(fed: Federation) -> None:
    job = make_job("east")
    await fed.executor("east").start(job, render(job))
    pod = pod_of(fed, "east", job.metadata.name)
    assert pod is not None
    assert pod_of(fed, "west", job.metadata.name) is None
    labels = pod["metadata"]["labels"]
    assert {
        k: labels.get(k)
        for k in (
            "created-by-prow",
            "prow.k8s.io/id",
            "prow.k8s.io/job",
            "prow.k8s.io/type",
            "prow.k8s.io/build-id",
        )
    } == {
        "created-by-prow": "true",
        "prow.k8s.io/id": job.metadata.name,
        "prow.k8s.io/job": "periodic-east",
        "prow.k8s.io/type": "periodic",
        "prow.k8s.io/build-id": "1234",
    }
    assert pod["metadata"]["namespace"] == NAMESPACE


async def test_starting_twice_creates_one_pod(fed: Federation) -> None:
    job = make_job("east")
    await fed.executor("east").start(job, render(job))
    # A restarted minprow whose cache has not seen the pod yet: AlreadyExists is a start.
    await fed.executor("east").start(job, render(job))
    fresh = fed.executor("east", fresh=True)
    await fresh.start(job, render(job))
    fresh.close()
    creates = [
        r for r in fed.fakes["east"].requests if r[0] == "POST" and job.metadata.name in r[1]
    ]
    assert len(creates) == 2  # the second start saw the pod in its cache
    assert pod_of(fed, "east", job.metadata.name) is not None


KUBELET = [
    ("succeeded", ("Succeeded",), {"exit_code": 0}, Phase.SUCCEEDED, 0, ""),
    ("failed", ("Failed",), {"exit_code": 3}, Phase.FAILED, 3, ""),
    (
        "oom-killed",
        ("Failed",),
        {"exit_code": 137, "reason": "OOMKilled"},
        Phase.FAILED,
        137,
        "OOMKilled",
    ),
    ("running", ("Running",), {}, Phase.RUNNING, None, ""),
    (
        "image-pull-error",
        ("Pending",),
        {"reason": "ErrImagePull"},
        Phase.PENDING,
        None,
        "ErrImagePull",
    ),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "phase", "code", "reason"),
    [k[1:] for k in KUBELET],
    ids=[k[0] for k in KUBELET],
)
async def test_observe_reads_the_pod_status_the_kubelet_writes(
    fed: Federation,
    args: tuple[str],
    kwargs: dict[str, Any],
    phase: Phase,
    code: int | None,
    reason: str,
) -> None:
    name = await started(fed)
    executor = fed.executor("east")
    fed.fakes["east"].set_pod_phase(NAMESPACE, name, *args, **kwargs)
    seen: list[Observation] = []

    async def observed() -> bool:
        seen.append(await executor.observe(name))
        last = seen[-1]
        return (last.phase, last.exit_code, last.reason.split(":")[0]) == (phase, code, reason)

    await wait_for(observed, lambda: f"{name} in {phase}, {code}, {reason!r} (last: {seen[-1:]})")


async def test_logs_follow_the_test_container_until_it_ends(fed: Federation) -> None:
    name = await started(fed)
    executor = fed.executor("east")
    fake = fed.fakes["east"]
    fake.set_pod_phase(NAMESPACE, name, "Running")
    fake.set_log(NAMESPACE, name, "test", "first line\n")
    chunks: list[bytes] = []

    async def follow() -> None:
        async for chunk in executor.logs(name, follow=True):
            chunks.append(chunk)
            if b"second" in b"".join(chunks):
                fake.set_pod_phase(NAMESPACE, name, "Succeeded", exit_code=0)

    reader = asyncio.create_task(follow())
    await wait_for(lambda: b"first" in b"".join(chunks), lambda: f"the first line (got {chunks})")
    fake.append_log(NAMESPACE, name, "test", "second line\n")
    await asyncio.wait_for(reader, 10)
    assert b"".join(chunks) == b"first line\nsecond line\n"


async def test_abort_deletes_the_pod_and_cleanup_forgets_it(fed: Federation) -> None:
    name = await started(fed)
    executor = fed.executor("east")
    await executor.abort(name, timedelta(seconds=15))
    assert pod_of(fed, "east", name) is None
    await executor.abort(name, timedelta(seconds=15))  # gone: a no-op
    await executor.cleanup(name)
    assert await executor.observe(name) == Observation(Phase.MISSING)


async def test_a_restarted_executor_finds_its_pods_again(fed: Federation) -> None:
    names = sorted([await started(fed), await started(fed)])
    fed.fakes["east"].set_pod_phase(NAMESPACE, names[0], "Succeeded", exit_code=0)
    other = await started(fed, "west")
    restarted = fed.executor("east", fresh=True)
    try:
        await wait_for(lambda: restarted.wait_synced(0.1), lambda: "the restarted cache to list")
        managed = await restarted.list_managed()
    finally:
        restarted.close()
    assert [(m.prowjob, m.phase) for m in managed] == [
        (names[0], Phase.SUCCEEDED),
        (names[1], Phase.PENDING),
    ]
    assert other not in [m.prowjob for m in managed]
    assert all(isinstance(m, Managed) for m in managed)


async def test_a_rotated_token_is_used_without_a_restart(fed: Federation) -> None:
    await started(fed)
    fake = fed.fakes["east"]
    assert fake.tokens[-1] == "Bearer token-1"
    fed.write("token-2")  # what the kubeconfig agent does when the file changes
    before = len(fake.tokens)
    await started(fed)
    assert "Bearer token-2" in fake.tokens[before:]


async def test_health_says_when_the_cluster_last_answered(fed: Federation) -> None:
    await started(fed)
    health = fed.executor("east").health()
    assert (health.context, health.server, health.reachable) == (
        "east",
        fed.fakes["east"].url,
        True,
    )


async def test_the_pod_cache_lists_again_when_its_watch_position_is_compacted(
    fed: Federation,
) -> None:
    name = await started(fed)
    executor, fake = fed.executor("east"), fed.fakes["east"]
    lists = len([r for r in fake.requests if r[0] == "GET" and "watch=true" not in r[1]])
    fake.held = True  # the watch misses the change ...
    fake.set_pod_phase(NAMESPACE, name, "Succeeded", exit_code=0)
    fake.compact()  # ... and its position is gone: resuming is a 410
    await fake.drop_watches()

    async def seen() -> bool:
        return (await executor.observe(name)).phase is Phase.SUCCEEDED

    await wait_for(seen, lambda: f"{name} seen succeeded after the relist")
    relists = [r for r in fake.requests if r[0] == "GET" and "watch=true" not in r[1]]
    assert len(relists) == lists + 1


ANSWERS = [
    ("unavailable-opens-the-breaker", 503, True, False),
    ("throttled-is-an-answer", 429, False, False),
    ("invalid-is-final", 422, False, True),
]


@pytest.mark.parametrize(
    ("code", "opens", "final"), [a[1:] for a in ANSWERS], ids=[a[0] for a in ANSWERS]
)
async def test_a_failed_create_is_retried_or_final_and_only_no_answer_opens_the_breaker(
    fed: Federation, code: int, opens: bool, final: bool
) -> None:
    await started(fed)  # the cache is listed ...
    fake = fed.fakes["east"]
    await wait_for(  # ... and watching, so the failure is the create's
        lambda: any("watch=true" in path for _, path in fake.requests),
        lambda: "the pod watch",
    )
    fake.fail_next(1, code)
    job = make_job("east")
    with pytest.raises(ExecutorError, match=str(code)) as raised:
        await fed.executor("east").start(job, render(job))
    assert isinstance(raised.value, StartError) is final
    assert fed.executor("east").breaker.is_open is opens

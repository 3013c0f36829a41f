"""Each build cluster in isolation: plank, for real, over three fake clusters, one of
them black-holed. The healthy clusters' jobs get their pods at once; the dead
cluster's jobs stay triggered saying why, and end in `error` only after
`pod_unscheduled_timeout` (virtual time); a job for a cluster with no context
ends in `error` naming the known ones. Also: plank leaves the decoration timeout
of a pod to the entrypoint in it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes import VirtualClock
from kubexec_helpers import NAMESPACE, Federation, federation, make_job, wait_for

from minprow.config import Config
from minprow.config.prow import Plank as PlankConfig
from minprow.executors.clusters import ClusterMap
from minprow.model import ProwJobState
from minprow.plank import Plank, run
from minprow.store import JobStore, open_store

HEALTHY = ["east", "west"]
DEAD = "dead"
JOBS_PER_CLUSTER = 5


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
async def fed(tmp_path: Path, clock: VirtualClock) -> AsyncIterator[Federation]:
    fed = await federation([*HEALTHY, DEAD], tmp_path, clock)
    yield fed
    fed.close()
    for fake in fed.fakes.values():
        fake.unreachable = False
        await fake.stop()


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as opened:
        yield opened


@contextlib.asynccontextmanager
async def running_plank(
    fed: Federation, store: JobStore, clock: VirtualClock
) -> AsyncIterator[Plank]:
    routes = {name: fed.executor(name) for name in fed.fakes}
    config = Config(plank=PlankConfig())
    plank = Plank(store, lambda: config, ClusterMap(routes), clock, poll_interval=0.05)
    task = asyncio.create_task(run(plank))
    try:
        yield plank
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def states(store: JobStore, cluster: str) -> list[ProwJobState]:
    return [pj.status.state for pj in store.list() if pj.spec.cluster == cluster]


async def test_a_dead_cluster_delays_no_other_clusters_jobs(
    fed: Federation, store: JobStore, clock: VirtualClock
) -> None:
    fed.fakes[DEAD].unreachable = True
    async with running_plank(fed, store, clock):
        loop = asyncio.get_running_loop()
        began = loop.time()
        # The dead cluster's jobs first: they must not hold the workers the others need.
        for cluster in [DEAD, *HEALTHY]:
            for _ in range(JOBS_PER_CLUSTER):
                await store.create(make_job(cluster))

        def healthy_pending() -> bool:
            return all(s is ProwJobState.PENDING for c in HEALTHY for s in states(store, c))

        await wait_for(
            healthy_pending, lambda: f"healthy jobs pending: {[states(store, c) for c in HEALTHY]}"
        )
        latency = loop.time() - began
        for cluster in HEALTHY:
            assert len(fed.fakes[cluster].pods) == JOBS_PER_CLUSTER
        # A hung call is given up after `slow_after` (0.3 s); a pod creation takes milliseconds.
        assert latency < 3.0, f"healthy clusters' jobs took {latency:.2f}s to be pending"

        def dead_described() -> bool:
            return all(
                pj.status.state is ProwJobState.TRIGGERED
                and "cluster dead unreachable since" in (pj.status.description or "")
                for pj in store.list()
                if pj.spec.cluster == DEAD
            )

        await wait_for(
            dead_described,
            lambda: (
                f"dead jobs described: {[pj.status.description for pj in store.list() if pj.spec.cluster == DEAD]}"
            ),
        )
        description = next(pj.status.description for pj in store.list() if pj.spec.cluster == DEAD)
        assert description is not None
        assert description.startswith("Waiting for kubernetes/dead: ")

        clock.advance(timedelta(minutes=5))  # plank's pod_unscheduled_timeout, Prow's default

        def dead_errored() -> bool:
            return states(store, DEAD) == [ProwJobState.ERROR] * JOBS_PER_CLUSTER

        await wait_for(dead_errored, lambda: f"dead jobs in error: {states(store, DEAD)}")
    final = next(pj for pj in store.list() if pj.spec.cluster == DEAD)
    assert final.status.description is not None
    assert final.status.description.startswith(
        "Pod can not be created: kubernetes/dead did not take it within 5m0s: cluster dead unreachable since"
    )
    assert fed.executor(DEAD).health().reachable is False
    assert fed.executor("east").health().reachable is True


async def test_a_job_for_a_cluster_without_a_context_ends_in_error(
    fed: Federation, store: JobStore, clock: VirtualClock
) -> None:
    async with running_plank(fed, store, clock):
        await store.create(make_job("nowhere", name="lost"))
        await wait_for(
            lambda: store.get("lost").status.state is ProwJobState.ERROR, lambda: "lost in error"
        )
    assert store.get("lost").status.description == (
        "cluster 'nowhere' has no executor in minprow's cluster mapping (known clusters: dead, east, west)"
    )


async def test_plank_leaves_a_pods_decoration_timeout_to_its_entrypoint(
    fed: Federation, store: JobStore, clock: VirtualClock
) -> None:
    job = make_job("east", name="long", decoration={"timeout": "10m", "grace_period": "15s"})
    async with running_plank(fed, store, clock) as plank:
        await store.create(job)
        await wait_for(
            lambda: store.get("long").status.state is ProwJobState.PENDING, lambda: "long pending"
        )
    fed.fakes["east"].set_pod_phase(NAMESPACE, "long", "Running")
    executor = fed.executor("east")

    async def running() -> bool:
        return (await executor.observe("long")).started_at is not None

    await wait_for(running, lambda: "the pod running")
    clock.advance(timedelta(minutes=30))  # past the decoration timeout, not the running one
    for _ in range(3):
        await plank.reconcile("long")
    assert store.get("long").status.state is ProwJobState.PENDING
    assert fed.fakes["east"].pods.get((NAMESPACE, "long")) is not None
    assert not [r for r in fed.fakes["east"].requests if r[0] == "DELETE"]


async def test_a_pod_stuck_on_its_image_says_so_then_times_out(
    fed: Federation, store: JobStore, clock: VirtualClock
) -> None:
    async with running_plank(fed, store, clock) as plank:
        await store.create(make_job("east", name="stuck"))
        await wait_for(
            lambda: store.get("stuck").status.state is ProwJobState.PENDING,
            lambda: "stuck pending",
        )
        fed.fakes["east"].set_pod_phase(
            NAMESPACE, "stuck", "Pending", reason="ErrImagePull", message="pull access denied"
        )
        await wait_for(
            lambda: (
                store.get("stuck").status.description
                == "Pod pending: ErrImagePull: pull access denied"
            ),
            lambda: f"the reason in the description: {store.get('stuck').status.description}",
        )
    clock.advance(timedelta(minutes=10))  # plank's pod_pending_timeout, Prow's default
    await plank.reconcile("stuck")
    final = store.get("stuck")
    assert (final.status.state, final.status.description) == (
        ProwJobState.ERROR,
        "Pod pending timeout.",
    )


EVICTIONS = [
    ("recreated", False, ProwJobState.PENDING, "Job triggered."),
    ("error-on-eviction", True, ProwJobState.ERROR, "Job pod was evicted by the cluster."),
]


@pytest.mark.parametrize(
    ("error_on_eviction", "state", "description"),
    [e[1:] for e in EVICTIONS],
    ids=[e[0] for e in EVICTIONS],
)
async def test_an_evicted_pod_is_made_again_unless_the_job_says_error(
    fed: Federation,
    store: JobStore,
    clock: VirtualClock,
    error_on_eviction: bool,
    state: ProwJobState,
    description: str,
) -> None:
    job = make_job("east", name="evicted")
    job.spec.error_on_eviction = error_on_eviction
    fake = fed.fakes["east"]
    async with running_plank(fed, store, clock):
        await store.create(job)
        await wait_for(
            lambda: store.get("evicted").status.state is ProwJobState.PENDING,
            lambda: "evicted pending",
        )
        first_uid = fake.pods[(NAMESPACE, "evicted")]["metadata"]["uid"]
        fake.set_pod_phase(NAMESPACE, "evicted", "Failed", reason="Evicted", message="low memory")

        def settled() -> bool:
            pod = fake.pods.get((NAMESPACE, "evicted"))
            if error_on_eviction:
                return store.get("evicted").status.state is ProwJobState.ERROR
            return pod is not None and pod["metadata"]["uid"] != first_uid

        await wait_for(settled, lambda: f"the eviction handled: {store.get('evicted').status}")
    final = store.get("evicted")
    assert (final.status.state, final.status.description) == (state, description)

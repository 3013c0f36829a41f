"""Benchmark of plank over the kubernetes executor with federated build clusters.

Each build cluster is a fake API server (tests/fakekube.py, speaking the real
wire protocol) in a thread of its own, reached through a real kubeconfig file.
Two figures, each against its budget:

1. **Sweep**: 2,000 ProwJobs pending across 3 build clusters (their pods
   created by plank itself), then one plank sweep, `reconcile` of every
   pending job once, timed. Plank reads pods from each executor's in-memory
   cache (as Prow's plank reads an informer), so the budget is under 1 s.
2. **Pod-creation latency**: bursts of ProwJobs on two healthy clusters,
   from the ProwJob's creation to its `pending` state (its pod created),
   p50 and p99, first alone, then with a third, black-holed cluster taking
   the same number of jobs in the same bursts (created first, the worst
   order). The first burst is reported on its own: the calls that find the
   cluster dead hold plank's workers for `slow_after` once, until the
   breaker opens. Budget: after that, the dead cluster adds nothing
   measurable. Plank's warnings about the dead cluster are silenced.

    python benchmarks/bench_plank_kube.py [--jobs 2000] [--burst 50] [--bursts 4]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakekube import FakeKubeThread, write_kubeconfig

from minprow import pjutil
from minprow.aio import SystemClock
from minprow.config import Config
from minprow.config.prow import Plank as PlankConfig
from minprow.executors.clusters import ClusterMap
from minprow.executors.kubernetes import SLOW_AFTER, KubernetesExecutor
from minprow.kube.kubeconfig import load_cluster_configs
from minprow.model import ProwJob, ProwJobSpec, ProwJobState
from minprow.plank import Plank, run
from minprow.store import JobStore, open_store

BUDGET_SWEEP_S = 1.0
NAMESPACE = "test-pods"


def job_for(cluster: str, index: int) -> ProwJob:
    spec = ProwJobSpec.model_validate(
        {
            "type": "periodic",
            "job": f"ci-{cluster}-{index % 40}",
            "agent": "kubernetes",
            "cluster": cluster,
            "decoration_config": {"timeout": "2h", "grace_period": "15s"},
            "pod_spec": {
                "containers": [
                    {
                        "image": "gcr.io/k8s-staging-test-infra/kubekins-e2e:v20241128",
                        "command": ["runner.sh"],
                        "args": ["make", "test"],
                        "resources": {"requests": {"cpu": "2", "memory": "4Gi"}},
                    }
                ]
            },
        }
    )
    name = f"{cluster}-{index}-{uuid.uuid4().hex[:8]}"
    return pjutil.new_prowjob(spec, now=datetime.now(UTC), namespace="default", name=name)


@contextmanager
def clusters(names: list[str], dead: set[str]) -> Iterator[dict[str, KubernetesExecutor]]:
    fakes = {name: FakeKubeThread() for name in names}
    for fake in fakes.values():
        fake.start()
    for name in dead:
        fakes[name].fake.unreachable = True
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kubeconfig"
        write_kubeconfig(path, {n: f.url for n, f in fakes.items()}, token="t", current=names[0])
        configs = load_cluster_configs([path], in_cluster=False)
        clock = SystemClock()
        executors = {
            name: KubernetesExecutor(
                name, lambda n=name: configs[n], lambda: NAMESPACE, "minprow:bench", clock
            )
            for name in names
        }
        try:
            yield executors
        finally:
            for name, executor in executors.items():
                executor.close()
                fakes[name].fake.unreachable = False
            for fake in fakes.values():
                fake.stop()


def plank_over(store: JobStore, executors: dict[str, KubernetesExecutor]) -> Plank:
    config = Config(plank=PlankConfig())
    return Plank(store, lambda: config, ClusterMap(executors), SystemClock())


async def until_pending(store: JobStore, names: set[str], within: float) -> dict[str, float]:
    """Loop time at which each of `names` was first seen pending."""
    loop = asyncio.get_running_loop()
    seen: dict[str, float] = {}
    async with store.watch() as watch:
        for job in store.list(state=ProwJobState.PENDING):
            if job.metadata.name in names:
                seen.setdefault(job.metadata.name, loop.time())
        async with asyncio.timeout(within):
            async for event in watch:
                name = event.object.metadata.name
                if name in names and event.object.status.state is ProwJobState.PENDING:
                    seen.setdefault(name, loop.time())
                if len(seen) == len(names):
                    break
    return seen


async def sweep(jobs: int) -> float:
    names = ["east", "west", "north"]
    with clusters(names, dead=set()) as executors:
        async with open_store("memory") as store:
            plank = plank_over(store, executors)
            task = asyncio.create_task(run(plank))
            created = {
                (await store.create(job_for(names[i % 3], i))).metadata.name for i in range(jobs)
            }
            began = time.perf_counter()
            await until_pending(store, created, within=300)
            print(f"  {jobs} pods created by plank in {time.perf_counter() - began:.1f} s")
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            for executor in executors.values():  # every pod in every cache (at most 30 s)
                for _ in range(600):
                    if len(await executor.list_managed()) >= jobs // 3:
                        break
                    await asyncio.sleep(0.05)
            pending = [j.metadata.name for j in store.list(state=ProwJobState.PENDING)]
            began = time.perf_counter()
            for name in pending:
                await plank.reconcile(name)
            elapsed = time.perf_counter() - began
            assert len(pending) == jobs, f"{len(pending)} of {jobs} pending"
            return elapsed


async def latencies(burst: int, bursts: int, with_dead: bool) -> tuple[list[float], list[float]]:
    """Latencies of the first burst, then of the `bursts` after it."""
    names = ["east", "west", "dead"] if with_dead else ["east", "west"]
    with clusters(names, dead={"dead"} if with_dead else set()) as executors:
        for name in ("east", "west"):
            await executors[name].wait_synced(10)
        async with open_store("memory") as store:
            task = asyncio.create_task(run(plank_over(store, executors)))
            loop = asyncio.get_running_loop()
            rounds: list[list[float]] = []
            for round_ in range(bursts + 1):
                created: dict[str, float] = {}
                order = (["dead"] if with_dead else []) + ["east", "west"]
                for cluster in order:
                    for i in range(burst):
                        job = await store.create(job_for(cluster, round_ * burst + i))
                        if cluster != "dead":
                            created[job.metadata.name] = loop.time()
                pending = await until_pending(store, set(created), within=60)
                rounds.append([pending[n] - created[n] for n in created])
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return rounds[0], [t for r in rounds[1:] for t in r]


def _ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000


async def main_async(args: Any) -> int:
    print(f"plank sweep over {args.jobs} pending jobs on 3 build clusters:")
    elapsed = await sweep(args.jobs)
    ok_sweep = elapsed < BUDGET_SWEEP_S
    print(
        f"  one sweep: {elapsed * 1000:.0f} ms ({elapsed / args.jobs * 1e6:.0f} µs a job; "
        f"budget {BUDGET_SWEEP_S * 1000:.0f} ms) {'OK' if ok_sweep else 'OVER BUDGET'}"
    )
    print(f"pod-creation latency, bursts of {args.burst} jobs a cluster:")
    first_alone, alone = await latencies(args.burst, args.bursts, with_dead=False)
    first_dead, dead = await latencies(args.burst, args.bursts, with_dead=True)
    print(f"  first burst, 2 healthy clusters: p99 {_ms(first_alone, 99):.0f} ms")
    print(
        f"  first burst, the third cluster just died: p99 {_ms(first_dead, 99):.0f} ms "
        f"(its calls hold plank's workers until slow_after, {SLOW_AFTER:g} s, once)"
    )
    print(f"  then {args.bursts} bursts:")
    for label, values in (("2 healthy clusters", alone), ("2 healthy + 1 dead", dead)):
        print(f"    {label}: p50 {_ms(values, 50):.0f} ms, p99 {_ms(values, 99):.0f} ms")
    added = _ms(dead, 99) - _ms(alone, 99)
    print(f"    the dead cluster adds {added:.0f} ms at p99")
    return 0 if ok_sweep else 1


def main() -> int:
    logging.getLogger("minprow").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--bursts", type=int, default=4)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())

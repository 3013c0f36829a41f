"""Benchmark of the JobStore on its embedded sqlite backend at Prow scale.

Fills a store with 20,000 realistic ProwJobs (as a busy Prow instance holds
between sinker runs: 150 jobs over 20 repositories and 2,000 pull requests, each
with a one-container pod_spec, decoration config, refs with a pull and Prow's
labels and annotations), then measures, in a fresh process, what the design
budgets: list-by-state, the create+update round trip, resident memory with the
store loaded, and the start-up time to rebuild the cache from the file.

    python benchmarks/bench_store.py [--jobs 20000] [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from minprow.model import ProwJob, ProwJobState
from minprow.store import JobStore, SqliteBackend, copy_job

BUDGET_LIST_MS = 5.0
BUDGET_ROUND_TRIP_MS = 2.0
BUDGET_RSS_MB = 300.0

_STATES = [
    (ProwJobState.SUCCESS, 0.80),
    (ProwJobState.FAILURE, 0.12),
    (ProwJobState.ABORTED, 0.03),
    (ProwJobState.ERROR, 0.01),
    (ProwJobState.PENDING, 0.03),
    (ProwJobState.TRIGGERED, 0.01),
]


def _pod_spec(job: str, rng: random.Random) -> dict[str, Any]:
    return {
        "containers": [
            {
                "image": f"gcr.io/k8s-staging-test-infra/kubekins-e2e:v2024{rng.randint(1000, 9999)}",
                "command": ["runner.sh"],
                "args": ["make", "test", f"WHAT=./pkg/{job}/..."],
                "env": [
                    {"name": "GOPATH", "value": "/go"},
                    {"name": "KUBE_TIMEOUT", "value": "-timeout=1h"},
                ],
                "resources": {
                    "limits": {"cpu": "4", "memory": "16Gi"},
                    "requests": {"cpu": "4", "memory": "16Gi"},
                },
                "securityContext": {"privileged": False},
            }
        ]
    }


def _decoration(rng: random.Random) -> dict[str, Any]:
    return {
        "timeout": rng.choice(["1h0m0s", "2h0m0s", "30m0s"]),
        "grace_period": "15m0s",
        "utility_images": {
            "clonerefs": "us-docker.pkg.dev/k8s-infra-prow/images/clonerefs:v20240501",
            "initupload": "us-docker.pkg.dev/k8s-infra-prow/images/initupload:v20240501",
            "entrypoint": "us-docker.pkg.dev/k8s-infra-prow/images/entrypoint:v20240501",
            "sidecar": "us-docker.pkg.dev/k8s-infra-prow/images/sidecar:v20240501",
        },
        "gcs_configuration": {
            "bucket": "kubernetes-jenkins",
            "path_strategy": "legacy",
            "default_org": "kubernetes",
            "default_repo": "kubernetes",
        },
        "gcs_credentials_secret": "service-account",
    }


def realistic_jobs(count: int, seed: int = 1) -> list[ProwJob]:
    """`count` ProwJobs shaped like a real Prow instance's."""
    rng = random.Random(seed)
    repos = [("kubernetes", f"repo-{r}") for r in range(20)]
    configs = [
        {
            "job": f"pull-repo-{i % 20}-check-{i}",
            "repo": repos[i % 20],
            "pod_spec": _pod_spec(f"check-{i}", rng),
            "decoration": _decoration(rng),
            "cluster": rng.choice(["default", "k8s-infra-prow-build", "eks-prow-build-cluster"]),
        }
        for i in range(150)
    ]
    pulls = [(rng.choice(repos), 1000 + n, f"{rng.getrandbits(160):040x}") for n in range(2000)]
    states = [s for s, _ in _STATES]
    weights = [w for _, w in _STATES]
    jobs = []
    for n in range(count):
        config = rng.choice(configs)
        (org, repo), number, sha = rng.choice(pulls)
        state = rng.choices(states, weights)[0]
        build_id = str(1780000000000000000 + n)
        name = f"{rng.getrandbits(128):032x}"
        name = f"{name[:8]}-{name[8:12]}-{name[12:16]}-{name[16:20]}-{name[20:]}"
        job = config["job"]
        status: dict[str, Any] = {
            "state": state.value,
            "startTime": "2026-05-01T10:00:00Z",
            "build_id": build_id,
            "url": f"https://prow.example.com/view/gs/kubernetes-jenkins/pr-logs/pull/{org}_{repo}/{number}/{job}/{build_id}",
        }
        data: dict[str, Any] = {
            "metadata": {
                "name": name,
                "namespace": "default",
                "labels": {
                    "created-by-prow": "true",
                    "prow.k8s.io/build-id": build_id,
                    "prow.k8s.io/context": job,
                    "prow.k8s.io/id": name,
                    "prow.k8s.io/is-optional": "false",
                    "prow.k8s.io/job": job,
                    "prow.k8s.io/refs.base_ref": "main",
                    "prow.k8s.io/refs.org": org,
                    "prow.k8s.io/refs.pull": str(number),
                    "prow.k8s.io/refs.repo": repo,
                    "prow.k8s.io/type": "presubmit",
                },
                "annotations": {"prow.k8s.io/context": job, "prow.k8s.io/job": job},
            },
            "spec": {
                "type": "presubmit",
                "agent": "kubernetes",
                "cluster": config["cluster"],
                "namespace": "test-pods",
                "job": job,
                "report": True,
                "context": job,
                "rerun_command": f"/test {job}",
                "refs": {
                    "org": org,
                    "repo": repo,
                    "repo_link": f"https://github.com/{org}/{repo}",
                    "base_ref": "main",
                    "base_sha": "0123456789abcdef0123456789abcdef01234567",
                    "base_link": f"https://github.com/{org}/{repo}/commit/0123456789abcdef",
                    "pulls": [
                        {
                            "number": number,
                            "author": f"dev-{number % 300}",
                            "sha": sha,
                            "title": f"Fix flake number {number}",
                            "link": f"https://github.com/{org}/{repo}/pull/{number}",
                            "commit_link": f"https://github.com/{org}/{repo}/pull/{number}/commits/{sha}",
                            "author_link": f"https://github.com/dev-{number % 300}",
                        }
                    ],
                },
                "pod_spec": config["pod_spec"],
                "decoration_config": config["decoration"],
            },
            "status": status,
        }
        if state is not ProwJobState.TRIGGERED:
            status["pendingTime"] = "2026-05-01T10:00:05Z"
            status["pod_name"] = name
        if state.is_final:
            status["completionTime"] = "2026-05-01T10:31:00Z"
            status["description"] = f"Job {state.value}."
            status["prev_report_states"] = {"github-reporter": state.value}
        jobs.append(ProwJob.model_validate(data))
    return jobs


async def _populate(state_dir: Path, count: int) -> None:
    jobs = realistic_jobs(count)
    async with JobStore(SqliteBackend.in_dir(state_dir)) as store:
        started = time.perf_counter()
        for job in jobs:
            await store.create(job)
        elapsed = time.perf_counter() - started
    print(f"filled {count} jobs in {elapsed:.1f} s ({elapsed / count * 1e6:.0f} us a create)")


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.3f} ms"


def _verdict(value: float, budget: float) -> str:
    return "ok" if value < budget else "OVER BUDGET"


async def _measure(state_dir: Path) -> int:
    process = psutil.Process()
    baseline = process.memory_info().rss / 1e6
    store = JobStore(SqliteBackend.in_dir(state_dir))
    started = time.perf_counter()
    await store.start()
    startup = time.perf_counter() - started
    gc.collect()
    rss = process.memory_info().rss / 1e6
    print(f"start-up (rebuild cache of {len(store)} jobs): {startup:.2f} s")
    print(f"RSS with the store loaded: {rss:7.1f} MB (interpreter and imports: {baseline:.1f} MB)"
          f"   budget < {BUDGET_RSS_MB:.0f} MB  {_verdict(rss, BUDGET_RSS_MB)}")  # fmt: skip

    failures = int(rss >= BUDGET_RSS_MB)
    for state in (ProwJobState.PENDING, ProwJobState.TRIGGERED, ProwJobState.SUCCESS):
        timings = []
        for _ in range(200):
            t = time.perf_counter()
            result = store.list(state=state)
            timings.append(time.perf_counter() - t)
        median = statistics.median(timings)
        failures += median * 1e3 >= BUDGET_LIST_MS
        print(f"list(state={state.value:<9}) -> {len(result):5} jobs: median {_ms(median)}"
              f", max {_ms(max(timings))}   budget < {BUDGET_LIST_MS} ms  "
              f"{_verdict(median * 1e3, BUDGET_LIST_MS)}")  # fmt: skip

    template = realistic_jobs(1, seed=99)[0]
    round_trips = []
    for n in range(1000):
        job = copy_job(template)
        job.metadata.name = f"bench-{n:05d}"
        t = time.perf_counter()
        stored = await store.create(job)
        draft = copy_job(stored)
        draft.status.state = ProwJobState.PENDING
        await store.update(draft)
        round_trips.append(time.perf_counter() - t)
    median = statistics.median(round_trips)
    p99 = statistics.quantiles(round_trips, n=100)[98]
    failures += median * 1e3 >= BUDGET_ROUND_TRIP_MS
    print(f"create+update round trip: median {_ms(median)}, p99 {_ms(p99)}"
          f"   budget < {BUDGET_ROUND_TRIP_MS} ms  "
          f"{_verdict(median * 1e3, BUDGET_ROUND_TRIP_MS)}")  # fmt: skip
    for n in range(1000):
        await store.delete(f"bench-{n:05d}")
    await store.close()
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--state-dir", type=Path, help="reuse (or fill) this store")
    parser.add_argument("--fill-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-store-") as scratch:
        state_dir: Path = args.state_dir or Path(scratch)
        if args.fill_only:
            asyncio.run(_populate(state_dir, args.jobs))
            return 0
        if not (state_dir / "prowjobs.db").exists():
            # Fill in another process, so the figures below are a fresh process's.
            fill = [sys.executable, __file__, "--fill-only", "--jobs", str(args.jobs)]
            subprocess.run([*fill, "--state-dir", str(state_dir)], check=True)
        failures = asyncio.run(_measure(state_dir))
    print("all within budget" if not failures else f"{failures} figure(s) over budget")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark of hook: signed pull_request deliveries to ProwJobs persisted.

Starts the hook app in this process on a free port over a real sqlite JobStore,
with one plugin that creates a ProwJob per delivery (through pjutil, from the
presubmit in fixtures/hook/bench-jobs.yaml), then sends signed `pull_request`
deliveries (the vendored pull_request.opened payload, each with its own
`X-GitHub-Delivery`) at a steady rate from an aiohttp client. Each delivery's
latency runs from the request being sent to its ProwJob being persisted, as
seen on `store.watch()` (the event-GUID label names the delivery).

Budget: p99 < 50 ms and no request failing. Run:
`python benchmarks/bench_hook.py [--rate 200] [--duration 30]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from minprow.config import load_config
from minprow.github.hmac import HmacSecretFile, sign
from minprow.hook import Plugin, PluginContext, Registry, make_app
from minprow.model.labels import EVENT_GUID
from minprow.pjutil import new_presubmit, pull_request_refs
from minprow.store import EventType, JobStore, open_store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
PAYLOAD = FIXTURES / "github" / "webhooks" / "pull_request.opened.json"
SECRET = FIXTURES / "hook" / "hmac-scoped.yaml"
JOBS = FIXTURES / "hook" / "bench-jobs.yaml"
PLUGINS = FIXTURES / "hook" / "bench-plugins.yaml"
TOKEN = "repo-token-new"
BUDGET_P99_MS = 50.0


async def _bench_trigger(ctx: PluginContext, event: Any) -> None:
    """What trigger does for an opened PR, minus the GitHub calls: one ProwJob per presubmit."""
    config = ctx.config()
    pr = event.pull_request
    refs = pull_request_refs(
        org=ctx.org,
        repo=ctx.repo,
        base_ref=pr.base.ref,
        base_sha=pr.base.sha,
        number=event.number,
        author=pr.user.login,
        head_sha=pr.head.sha,
        head_ref=pr.head.ref,
        title=pr.title,
    )
    for job in config.presubmits_for(ctx.org, ctx.repo):
        await ctx.store.create(
            new_presubmit(
                refs,
                job,
                now=ctx.clock.now(),
                event_guid=ctx.delivery_id,
                prowjob_namespace=config.prowjob_namespace,
            )
        )


PLUGIN = Plugin(
    "bench-trigger", "Creates a ProwJob per pull_request.", {"pull_request": _bench_trigger}
)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _observe(store: JobStore, persisted: dict[str, float], expected: int) -> None:
    async with store.watch() as changes:
        async for change in changes:
            if change.type is EventType.ADDED:
                guid = change.object.metadata.labels.get(EVENT_GUID, "")
                persisted.setdefault(guid, time.perf_counter())
                if len(persisted) >= expected:
                    return


async def _send(
    session: aiohttp.ClientSession,
    url: str,
    body: bytes,
    signature: str,
    sent: dict[str, float],
    failures: list[str],
) -> None:
    delivery = str(uuid.uuid4())
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": signature,
        "Content-Type": "application/json",
    }
    sent[delivery] = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                failures.append(f"{delivery}: HTTP {response.status}")
    except aiohttp.ClientError as err:
        failures.append(f"{delivery}: {err}")


async def run(rate: float, duration: float, state_dir: Path) -> bool:
    config = load_config(None, JOBS, PLUGINS)
    body = PAYLOAD.read_bytes()
    signature = sign(body, TOKEN)
    total = int(rate * duration)
    sent: dict[str, float] = {}
    persisted: dict[str, float] = {}
    failures: list[str] = []
    async with open_store("sqlite", state_dir) as store:
        app = make_app(
            secret=HmacSecretFile(SECRET).secret,
            registry=Registry((PLUGIN,)),
            config=lambda: config,
            store=store,
        )
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        url = f"http://{host}:{port}/hook"
        observer = asyncio.create_task(_observe(store, persisted, total))
        await asyncio.sleep(0)
        loop = asyncio.get_running_loop()
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as session:
            started = loop.time()
            requests: list[asyncio.Task[None]] = []
            for i in range(total):
                delay = started + i / rate - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                requests.append(
                    asyncio.create_task(_send(session, url, body, signature, sent, failures))
                )
            await asyncio.gather(*requests)
            sending = loop.time() - started
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(observer, timeout=10.0)
        await runner.cleanup()
    latencies = [(persisted[d] - sent[d]) * 1000 for d in sent if d in persisted]
    missing = len(sent) - len(latencies)
    first, last = min(sent.values()), max(persisted.values(), default=0.0)
    print(f"deliveries sent:     {len(sent)} at {rate:g}/s over {sending:.1f} s")
    print(f"requests failing:    {len(failures)}")
    for failure in failures[:5]:
        print(f"  {failure}")
    print(f"ProwJobs persisted:  {len(latencies)} ({missing} missing)")
    if latencies:
        print(f"throughput:          {len(latencies) / (last - first):.1f} ProwJobs/s")
        print(
            "latency sent->persisted: "
            f"p50 {statistics.median(latencies):.1f} ms, "
            f"p99 {_percentile(latencies, 0.99):.1f} ms, "
            f"max {max(latencies):.1f} ms"
        )
    p99 = _percentile(latencies, 0.99) if latencies else float("inf")
    ok = not failures and not missing and p99 < BUDGET_P99_MS
    print(f"budget (p99 < {BUDGET_P99_MS:g} ms, no request failing): {'met' if ok else 'NOT met'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries a second")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of sending")
    parser.add_argument("--state-dir", type=Path, help="sqlite state dir (default: a temp dir)")
    args = parser.parse_args()
    if args.state_dir is not None:
        return 0 if asyncio.run(run(args.rate, args.duration, args.state_dir)) else 1
    with tempfile.TemporaryDirectory(prefix="minprow-bench-hook-") as tmp:
        return 0 if asyncio.run(run(args.rate, args.duration, Path(tmp))) else 1


if __name__ == "__main__":
    sys.exit(main())

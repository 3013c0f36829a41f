"""Benchmark of the HTTP watch stream (`GET /api/v1/watch`) under a webhook burst.

One process runs what `minprow serve` runs: a JobStore on the embedded sqlite
backend (the default 1024-event watch queue), the HTTP API on a real port, and a
writer standing in for hook and plank: 600 ProwJob creates a second, each job
then modified twice (pending, then success), for 10 s (issue 14's burst). One
client, in another process as the TUI is, reads the stream and resumes from its
last revision whenever it ends. Prints the events/s the stream sustained, how far
behind the client was when the writer stopped, and how many times the stream
ended (budget: 0) or sent an ERROR line.

    python benchmarks/bench_watch.py [--rate 600] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web
from bench_store import realistic_jobs

from minprow.aio import SystemClock
from minprow.config import Config
from minprow.model import ProwJob, ProwJobState
from minprow.runtime.api import add_api_routes
from minprow.store import JobStore, SqliteBackend, copy_job

BUDGET_ENDS = 0
_TICK = 0.01


async def _client(url: str, expected: int) -> None:
    """Follow the stream as the TUI does until revision `expected` (resume from the last
    revision when it ends, list again on an ERROR line); print what was seen as JSON."""
    since, seen, ends, errors, disorder = 0, 0, 0, 0, 0
    started = time.perf_counter()
    timeout = aiohttp.ClientTimeout(total=None, sock_read=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while since < expected:
            async with http.get(f"{url}/api/v1/watch", params={"since": str(since)}) as resp:
                async for line in resp.content:
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if event["type"] == "ERROR":
                        errors += 1
                        async with http.get(f"{url}/prowjobs.js") as listed:
                            await listed.read()
                            since = int(listed.headers["X-Minprow-Revision"])
                        break
                    disorder += event["revision"] <= since
                    since, seen = event["revision"], seen + 1
                    if since >= expected:
                        break
            ends += since < expected
    elapsed = time.perf_counter() - started
    print(json.dumps({"seen": seen, "ends": ends, "errors": errors, "disorder": disorder,
                      "elapsed": elapsed}))  # fmt: skip


async def _advance(store: JobStore, jobs: list[ProwJob], state: ProwJobState) -> list[ProwJob]:
    """Each job modified to `state` (as plank would), in order; returns what was stored."""
    stored = []
    for job in jobs:
        draft = copy_job(job)
        draft.status.state = state
        stored.append(await store.update(draft))
    return stored


async def _write(store: JobStore, template: ProwJob, total: int, rate: int) -> None:
    """`total` creates at `rate`/s; a tick's jobs turn pending the next tick, then success."""
    clock = asyncio.get_running_loop().time
    start, created = clock(), 0
    fresh: list[ProwJob] = []
    pending: list[ProwJob] = []
    while created < total or fresh or pending:
        await _advance(store, pending, ProwJobState.SUCCESS)
        pending = await _advance(store, fresh, ProwJobState.PENDING)
        fresh = []
        for _ in range(min(total, int((clock() - start) * rate)) - created):
            job = copy_job(template)
            job.metadata.name = f"burst-{created:06d}"
            fresh.append(await store.create(job))
            created += 1
        await asyncio.sleep(_TICK)


async def _run(rate: int, seconds: float, state_dir: Path) -> int:
    store = JobStore(SqliteBackend.in_dir(state_dir))
    await store.start()
    app = web.Application()
    add_api_routes(app, store=store, clusters=None, config=Config, artifacts_dir=state_dir,
                   token=lambda: None, clock=SystemClock(), heartbeat=15.0)  # fmt: skip
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    total = int(rate * seconds)
    expected = total * 3
    client = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--client", f"http://127.0.0.1:{port}", "--expect",
        str(expected), stdout=subprocess.PIPE,
    )  # fmt: skip
    await asyncio.sleep(1.0)  # the client connects and waits at revision 0
    started, cpu = time.perf_counter(), time.process_time()
    await _write(store, realistic_jobs(1, seed=99)[0], total, rate)
    wrote = time.perf_counter() - started
    out, _ = await client.communicate()
    caught_up = time.perf_counter() - started
    cpu = time.process_time() - cpu
    await runner.cleanup()
    await store.close()
    seen = json.loads(out)
    print(
        f"writer: {expected} events in {wrote:.1f} s ({expected / wrote:.0f} events/s); "
        f"server CPU {cpu:.1f} s ({cpu / expected * 1e6:.0f} us an event, writes included)"
    )
    print(f"stream: {seen['seen']} of {expected} events, {seen['seen'] / caught_up:.0f} events/s "
          f"sustained, caught up {caught_up - wrote:.2f} s after the writer stopped; "
          f"{seen['disorder']} out of order")  # fmt: skip
    ends = seen["ends"]
    print(f"stream ended {ends} times ({seen['errors']} with an ERROR line: re-listed)   "
          f"budget {BUDGET_ENDS}  {'ok' if ends <= BUDGET_ENDS else 'OVER BUDGET'}")  # fmt: skip
    return int(ends > BUDGET_ENDS or seen["disorder"] > 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=600, help="creates a second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        asyncio.run(_client(args.client, args.expect))
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as scratch:
        return asyncio.run(_run(args.rate, args.seconds, Path(scratch)))


if __name__ == "__main__":
    sys.exit(main())

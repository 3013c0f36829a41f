"""Signed pull_request deliveries sent in a burst to a `minprow serve` hook.

Shared by tests/runtime/test_serve_webhook_crash.py and benchmarks/bench_hook.py
(which puts tests/ on its path). The payload is the vendored real
`pull_request.opened` delivery moved to acme/widgets and opened by alice, a
member of acme, so the real trigger plugin trusts it and starts the two
presubmits of fixtures/hook/burst/jobs.yaml. Each delivery has its own
`X-GitHub-Delivery` and PR number; a delivery counts as acknowledged only when
hook answered 200.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from minprow.github.hmac import sign

REPO = Path(__file__).resolve().parents[2]
BURST = REPO / "fixtures" / "hook" / "burst"
PAYLOAD = REPO / "fixtures" / "github" / "webhooks" / "pull_request.opened.json"
JOBS = ("pull-widgets-lint", "pull-widgets-unit")
"""The presubmits each delivery starts."""
SECRET = (BURST / "hmac").read_text().strip()


@functools.cache
def _template() -> str:
    return PAYLOAD.read_text()


def payload(number: int) -> bytes:
    """The opened-PR delivery for acme/widgets#`number`, by alice."""
    event: dict[str, Any] = json.loads(_template())
    owner = {"login": "acme", "id": 2, "type": "Organization"}
    repository = {**event["repository"], "name": "widgets", "full_name": "acme/widgets"}
    repository["owner"] = {**repository["owner"], **owner}
    pull = event["pull_request"]
    pull.update(number=number, draft=False)
    pull["user"] = {**pull["user"], "login": "alice"}
    pull["base"] = {**pull["base"], "ref": "main", "repo": repository}
    event.update(number=number, repository=repository, organization=owner)
    event["sender"] = {**event["sender"], "login": "alice"}
    return json.dumps(event).encode()


def serve_args(github_url: str) -> list[str]:
    """`minprow serve` flags for these deliveries: the hook alone, with the real
    trigger, the burst fixtures' config and the fake GitHub at `github_url`."""
    return [
        "--components", "hook",
        "--config-path", str(BURST / "config.yaml"),
        "--job-config-path", str(BURST / "jobs.yaml"),
        "--plugin-config", str(BURST / "plugins.yaml"),
        "--hmac-secret-file", str(BURST / "hmac"),
        "--github-token-path", str(BURST / "token"),
        "--github-endpoint", github_url,
    ]  # fmt: skip


def setup_github(github: Any) -> None:
    """What trigger asks GitHub for these deliveries: whether alice is a member of
    acme (she is), and the head of the base branch."""
    github.members["acme"] = {"alice"}
    github.refs[("acme", "widgets", "heads/main")] = "b" * 40


@dataclass
class Burst:
    """What was sent and what was answered."""

    sent: dict[str, float] = field(default_factory=dict)
    """Delivery id -> when it was sent (perf_counter)."""
    acked: dict[str, float] = field(default_factory=dict)
    """Delivery id -> when its 200 came back."""
    refused: dict[str, str] = field(default_factory=dict)
    """Delivery id -> the status or error it got instead of a 200."""
    bodies: dict[str, bytes] = field(default_factory=dict)

    def answer_ms(self) -> list[float]:
        return [(self.acked[d] - self.sent[d]) * 1000 for d in self.acked]


async def _post(
    session: aiohttp.ClientSession, url: str, delivery: str, body: bytes, burst: Burst
) -> tuple[int, str]:
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": sign(body, SECRET),
        "Content-Type": "application/json",
    }
    burst.sent[delivery] = time.perf_counter()
    try:
        async with session.post(url, data=body, headers=headers) as response:
            text = await response.text()
            if response.status == 200:
                burst.acked[delivery] = time.perf_counter()
            else:
                burst.refused[delivery] = f"HTTP {response.status}: {text.strip()}"
            return response.status, text
    except (aiohttp.ClientError, OSError) as err:
        burst.refused[delivery] = f"{type(err).__name__}: {err}"
        return 0, str(err)


async def send(
    url: str,
    count: int,
    rate: float,
    *,
    after_acked: tuple[int, Callable[[], None]] | None = None,
    burst: Burst | None = None,
) -> Burst:
    """Send `count` new deliveries at `rate` a second; with `after_acked` (n, fn),
    call fn() once n deliveries have been answered 200 (a SIGKILL mid-burst)."""
    burst = burst or Burst()
    fired = False

    def check() -> None:
        nonlocal fired
        if after_acked is not None and not fired and len(burst.acked) >= after_acked[0]:
            fired = True
            after_acked[1]()

    loop = asyncio.get_running_loop()
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(n: int) -> None:
            delivery = str(uuid.uuid4())
            body = payload(n % 97 + 1)
            burst.bodies[delivery] = body
            await _post(session, url, delivery, body, burst)
            check()

        started = loop.time()
        tasks = []
        for n in range(count):
            delay = started + n / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    return burst


async def redeliver(url: str, burst: Burst, deliveries: list[str]) -> dict[str, tuple[int, str]]:
    """Send these deliveries again, as GitHub's "Redeliver" does: same id, same body."""
    answers: dict[str, tuple[int, str]] = {}
    async with aiohttp.ClientSession() as session:
        for delivery in deliveries:
            again = Burst()
            answers[delivery] = await _post(session, url, delivery, burst.bodies[delivery], again)
    return answers


def main() -> None:
    """Serve the fake GitHub these deliveries need until killed, printing its URL
    (the benchmark runs it as a process of its own, off the sender's CPU)."""
    import sys
    import threading

    sys.path.insert(0, str(REPO / "tests"))
    from fakegithub import FakeGitHub

    with FakeGitHub().in_thread() as github:
        setup_github(github)
        print(github.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()

"""A `minprow serve` hook SIGKILLed in the middle of a burst of webhooks loses none
it acknowledged and doubles none when started again (issue 14).

Real subprocesses, the real trigger plugin, the fake GitHub over HTTP, and the
store and inbox of each mode: sqlite in the state dir, or ProwJob custom
resources and ConfigMaps on the fake API server. After the restart the
deliveries that got no answer are redelivered, as GitHub's "Redeliver" does,
and a few acknowledged ones too, which must be recognised (the de-duplication
survives the restart). Then the ProwJobs must be exactly every delivery sent
times the two presubmits each starts, each once.
"""

from __future__ import annotations

import asyncio
import os
import signal
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import FakeGitHub
from runtime_helpers import UpProcess
from servekube_helpers import api, api_when_up, clusters, ended, kubeconfig, poll
from webhook_burst import JOBS, Burst, redeliver, send, serve_args, setup_github

from minprow.model.labels import EVENT_GUID
from tests.conftest import free_port

COUNT = 600
RATE = 600.0
KILL_AFTER = 300
"""Acknowledged deliveries before the SIGKILL: half-way through the burst."""


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().in_thread() as fake:
        setup_github(fake)
        yield fake


def _serve(tmp_path: Path, github: FakeGitHub, port: int, extra: list[str]) -> UpProcess:
    return UpProcess(
        tmp_path,
        tmp_path / "state",
        *serve_args(github.url),
        *extra,
        command="serve",
        port=port,
    )


def _prowjobs(process: UpProcess) -> list[tuple[str, str]]:
    items = api(process, "/prowjobs.js?omit=annotations,decoration_config,pod_spec")["items"]
    return [(j["metadata"]["labels"][EVENT_GUID], j["spec"]["job"]) for j in items]


@pytest.mark.parametrize("mode", ["sqlite", "kube"])
def test_sigkill_mid_burst_loses_and_doubles_nothing(
    tmp_path: Path, github: FakeGitHub, mode: str
) -> None:
    with clusters("service") as named:
        extra: list[str] = []
        if mode == "kube":
            config = kubeconfig(tmp_path / "kubeconfig", named, current="service")
            extra = ["--store", "kube", "--kubeconfig", str(config)]
        _crash_and_recover(tmp_path, github, extra)


def _crash_and_recover(tmp_path: Path, github: FakeGitHub, extra: list[str]) -> None:
    first = _serve(tmp_path, github, free_port(), extra)
    url = f"http://127.0.0.1:{first.port}/hook"
    second: UpProcess | None = None
    try:
        first.wait_for("minprow is up")
        api_when_up(first, "/prowjobs.js")

        def kill() -> None:
            os.kill(first.proc.pid, signal.SIGKILL)

        burst = asyncio.run(send(url, COUNT, RATE, after_acked=(KILL_AFTER, kill)))
        assert first.proc.wait(timeout=30) == -signal.SIGKILL
        assert len(burst.acked) >= KILL_AFTER
        assert burst.refused, "the kill came after the whole burst was answered"

        second = _serve(tmp_path, github, first.port, extra)
        second.wait_for("minprow is up")
        api_when_up(second, "/prowjobs.js")
        unanswered = sorted(burst.refused)
        some_acked = sorted(burst.acked)[:20]
        answers = asyncio.run(redeliver(url, burst, unanswered + some_acked))
        for delivery in unanswered:
            # Kept before the kill but never answered (or never kept): either way
            # GitHub's redelivery is taken once.
            assert answers[delivery][0] == 200, answers[delivery]
        for delivery in some_acked:
            assert answers[delivery] == (200, f"Delivery {delivery} already received; ignored.\n")

        expected = Counter((d, job) for d in burst.sent for job in JOBS)
        poll("the inbox drained", lambda: _drained(second), limit=120)
        made = Counter(_prowjobs(second))
        assert made == expected, _difference(made, expected, burst)
        assert second.stop() == 0
    finally:
        ended(first)
        if second is not None:
            ended(second)


def _drained(process: UpProcess) -> bool:
    url = f"http://127.0.0.1:{process.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        return "minprow_webhook_inbox_depth 0.0" in response.read().decode().splitlines()


def _difference(
    made: Counter[tuple[str, str]], expected: Counter[tuple[str, str]], burst: Burst
) -> str:
    missing = expected - made
    doubled = {k: n for k, n in made.items() if n > 1}
    acked_missing = [k for k in missing if k[0] in burst.acked]
    return f"missing {len(missing)} ({len(acked_missing)} acknowledged), doubled {len(doubled)}"

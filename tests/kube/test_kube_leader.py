"""Leader election on a Lease (minprow/kube/leader.py) against the fake API server.

Candidates reach the server through a real kubeconfig and real HTTP. Tests with
one candidate at a time run on a VirtualClock, so lease arithmetic is exact;
tests with candidates running together use the system clock with short
durations, where what is asserted is who leads, never how long it took.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakekube import FakeKubeThread
from fakes import T0, VirtualClock
from kubernetes.client import ApiClient
from leader_helpers import Partition, Referee, api_factory

from minprow.aio import SystemClock
from minprow.kube._lease import LeaseClient, LeaseRecord, micro_time
from minprow.kube.leader import LeaderElector, LeadershipLost

NS = "prow"
LEASE = "minprow-controllers"

# Short real durations for candidates running together: a stalled leader gives
# up (renew deadline) a second before the others may take over (lease duration).
FAST: dict[str, Any] = {
    "lease_duration": 3.0,
    "renew_deadline": 2.0,
    "retry_period": 0.25,
    "request_timeout": 0.5,
}


@pytest.fixture
def server() -> Iterator[FakeKubeThread]:
    # The server runs on a loop of its own: the candidates' blocking calls and the
    # test's loop never wait on each other.
    with FakeKubeThread() as fake:
        yield fake


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


async def _lease(factory: Callable[[], ApiClient], name: str = LEASE) -> LeaseRecord | None:
    """The Lease as the API server has it, read with a client of the test's own."""
    observed = await asyncio.to_thread(LeaseClient(factory, NS, name).get, 5.0)
    return observed.record if observed else None


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, LeadershipLost):
        await task


def _elector(
    factory: Callable[[], ApiClient], identity: str, clock: Any, **options: Any
) -> LeaderElector:
    return LeaderElector(factory, NS, LEASE, identity, clock, **options)


async def test_single_candidate_acquires_renews_and_releases(
    server: FakeKubeThread, tmp_path: Path
) -> None:
    factory = api_factory(tmp_path, server.url)
    clock = VirtualClock()
    referee = Referee()
    elector = _elector(factory, "a", clock, request_timeout=2.0)
    task = asyncio.create_task(elector.run(referee.lead("a")))
    await referee.until(lambda: referee.leading == {"a"})
    assert elector.is_leader
    assert elector.holder == "a"
    acquired = await _lease(factory)
    assert acquired is not None
    assert (acquired.holder, acquired.lease_duration, acquired.transitions) == ("a", 15, 0)
    assert acquired.acquire_time == T0

    # Renewals move renewTime on and keep acquireTime.
    async with asyncio.timeout(20):
        while True:  # bounded polling of the server
            record = await _lease(factory)
            if record is not None and record.renew_time != T0:
                break
            await asyncio.sleep(0.01)
    assert (record.holder, record.acquire_time, record.transitions) == ("a", T0, 0)

    await _cancel(task)  # SIGTERM: ReleaseOnCancel
    assert referee.ended == ["a"]
    assert not elector.is_leader
    released = await _lease(factory)
    assert released is not None
    assert (released.holder, released.lease_duration, released.transitions) == ("", 1, 0)


def test_times_are_written_as_micro_time() -> None:
    # kube-apiserver parses MicroTime with Go's RFC3339Micro: six digits, always.
    assert micro_time(T0) == "2026-11-24T10:00:00.000000Z"
    assert LeaseRecord("a", 15, T0, T0 + timedelta(microseconds=5)).spec() == {
        "holderIdentity": "a",
        "leaseDurationSeconds": 15,
        "leaseTransitions": 0,
        "acquireTime": "2026-11-24T10:00:00.000000Z",
        "renewTime": "2026-11-24T10:00:00.000005Z",
    }


async def test_second_candidate_waits_while_the_leader_renews(
    server: FakeKubeThread, tmp_path: Path
) -> None:
    factory = api_factory(tmp_path, server.url)
    referee = Referee()
    clock = SystemClock()
    leader = asyncio.create_task(_elector(factory, "a", clock, **FAST).run(referee.lead("a")))
    await referee.until(lambda: referee.leading == {"a"})
    waiting = _elector(factory, "b", clock, **FAST)
    candidate = asyncio.create_task(waiting.run(referee.lead("b")))
    # Three lease durations of renewals (bounded by the count, not by a sleep).
    lease = FAST["lease_duration"]
    first = await _lease(factory)
    assert first is not None
    assert first.renew_time is not None
    async with asyncio.timeout(30):
        while True:  # bounded polling of the server
            record = await _lease(factory)
            renewed = record.renew_time if record else None
            if renewed and renewed - first.renew_time >= timedelta(seconds=3 * lease):
                break
            await asyncio.sleep(FAST["retry_period"])
    assert referee.terms == ["a"]
    assert record is not None
    assert (record.holder, waiting.is_leader, waiting.holder) == ("a", False, "a")
    await _cancel(candidate)
    await _cancel(leader)


async def test_racing_candidates_on_an_absent_lease_elect_one(
    server: FakeKubeThread, tmp_path: Path
) -> None:
    factory = api_factory(tmp_path, server.url)
    clock = SystemClock()
    for round_ in range(10):
        name = f"race-{round_}"
        referee = Referee()
        electors = [LeaderElector(factory, NS, name, who, clock, **FAST) for who in ("a", "b", "c")]
        tasks = [asyncio.create_task(e.run(referee.lead(e.identity))) for e in electors]
        await referee.until(lambda: bool(referee.terms))  # noqa: B023 (awaited here)
        # On a loaded machine a slow leader may lose the Lease and another take it;
        # what must hold is that the first write won alone and nobody overlapped.
        winner = referee.terms[0]
        record = await _lease(factory, name)
        assert record is not None
        assert record.holder in referee.terms
        assert winner in {e.identity for e in electors}
        for task in tasks:
            await _cancel(task)
        assert referee.overlaps == []


async def test_lost_leadership_cancels_lead(server: FakeKubeThread, tmp_path: Path) -> None:
    partition = Partition(("127.0.0.1", _port(server.url)))
    factory = api_factory(tmp_path, await partition.start())
    clock = VirtualClock()
    referee = Referee()
    elector = _elector(factory, "a", clock, request_timeout=0.2)
    task = asyncio.create_task(elector.run(referee.lead("a")))
    await referee.until(lambda: referee.leading == {"a"})
    partition.cut()
    cut_at = clock.now()
    with pytest.raises(LeadershipLost):
        async with asyncio.timeout(30):
            await task
    assert referee.ended == ["a"]
    assert not elector.is_leader
    # It gave up within a renew period plus the renew deadline of its last renewal.
    assert clock.now() - cut_at <= timedelta(seconds=2 + 10 + 2)
    await partition.stop()
    # Unreachable, it could not release: the record still names it until it expires.
    record = await _lease(api_factory(tmp_path, server.url, "direct"))
    assert record is not None
    assert record.holder == "a"


async def _candidate(elector: LeaderElector, referee: Referee) -> None:
    """A replica: back to candidate after losing the lease, as a guarded task restarts it."""
    while True:
        with contextlib.suppress(LeadershipLost):
            await elector.run(referee.lead(elector.identity))


async def test_never_two_leaders_while_partitions_move_the_lease(
    server: FakeKubeThread, tmp_path: Path
) -> None:
    upstream = ("127.0.0.1", _port(server.url))
    partitions = {who: Partition(upstream) for who in ("a", "b", "c")}
    electors = {
        who: _elector(api_factory(tmp_path, await p.start(), who), who, SystemClock(), **FAST)
        for who, p in partitions.items()
    }
    referee = Referee()
    tasks = [asyncio.create_task(_candidate(e, referee)) for e in electors.values()]
    await referee.until(lambda: len(referee.leading) == 1)
    for _ in range(4):
        (leader,) = referee.leading
        partitions[leader].cut()
        await referee.until(
            lambda: len(referee.leading) == 1 and leader not in referee.leading  # noqa: B023
        )
        partitions[leader].heal()
    for task in tasks:
        await _cancel(task)
    for partition in partitions.values():
        await partition.stop()
    assert referee.overlaps == []
    assert len(referee.terms) == 5
    assert all(a != b for a, b in zip(referee.terms, referee.terms[1:], strict=False))
    # Each cut leader stopped leading before the next one started.
    record = await _lease(api_factory(tmp_path, server.url, "direct"))
    assert record is not None
    assert record.transitions >= 4


@pytest.mark.parametrize(
    ("lease_duration", "renew_deadline", "retry_period"),
    [(10, 10, 2), (15, 2, 2), (15, 10, 0)],
    ids=["deadline-not-shorter-than-lease", "retry-not-shorter-than-deadline", "no-retry"],
)
def test_inconsistent_durations_are_refused(
    lease_duration: float, renew_deadline: float, retry_period: float
) -> None:
    with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
        LeaderElector(
            ApiClient,
            NS,
            lease_duration=lease_duration,
            renew_deadline=renew_deadline,
            retry_period=retry_period,
        )

"""Leader election on a `coordination.k8s.io/v1` Lease, so one replica runs the controllers.

client-go's tools/leaderelection (`LeaderElector`, `tryAcquireOrRenew`, `renew`,
`release`), which Prow's controllers use, with its semantics and defaults:

* a candidate takes the Lease when it is absent, released (empty holder), held
  by itself, or expired; expiry is judged from when *this* candidate observed
  the record last change plus the record's `leaseDurationSeconds`, never by
  comparing the holder's clock with ours;
* every write carries the resourceVersion it read, so two candidates racing
  from the same read get one 200 and one 409: only one leads;
* while leading it renews every retry period; when renewals keep failing
  until the renew deadline it stops leading (well before the others may take
  over: the lease duration is longer than the deadline);
* with ReleaseOnCancel (on by default) a cancelled elector, as on SIGTERM,
  empties the holder so another replica takes over at once.

The kubernetes client is synchronous: every call runs on one worker thread of
the elector's own (so calls never overlap) with a request timeout. Time comes
from the injected `Clock`; request timeouts are real time.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from minprow.aio import Clock, SystemClock
from minprow.kube._lease import LeaseClient, LeaseError, LeaseRecord, Observed

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "DEFAULT_LEASE_NAME",
    "LeaderElector",
    "LeadershipLost",
    "LeaseRecord",
    "default_identity",
]

log = logging.getLogger("minprow.leader")

LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
JITTER_FACTOR = 1.2
"""client-go's defaults (seconds) and the jitter of its acquire loop."""
DEFAULT_LEASE_NAME = "minprow-controllers"
"""The Lease `minprow serve --leader-elect` holds, in the ProwJob namespace."""

T = TypeVar("T")


class LeadershipLost(Exception):
    """Renewals failed until the renew deadline: another replica may lead now."""


def default_identity() -> str:
    """hostname + "_" + a uuid, as client-go's examples: unique even across restarts."""
    return f"{socket.gethostname()}_{uuid.uuid4()}"


class LeaderElector:
    """Wait for the Lease, run `lead()` while holding it, stop it when the Lease is lost."""

    def __init__(
        self,
        api_client_factory: Callable[[], ApiClient],
        namespace: str,
        name: str = DEFAULT_LEASE_NAME,
        identity: str | None = None,
        clock: Clock | None = None,
        *,
        lease_duration: float = LEASE_DURATION,
        renew_deadline: float = RENEW_DEADLINE,
        retry_period: float = RETRY_PERIOD,
        request_timeout: float | None = None,
        release_on_cancel: bool = True,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        # client-go's NewLeaderElector checks: the deadline must fit in the lease
        # (else a stalled leader overlaps its successor), and a jittered retry in
        # the deadline.
        if not lease_duration > renew_deadline > JITTER_FACTOR * retry_period > 0:
            raise ValueError(
                "need lease_duration > renew_deadline > 1.2 * retry_period > 0, got "
                f"{lease_duration}, {renew_deadline}, {retry_period}"
            )
        self.identity = identity or default_identity()
        self.namespace = namespace
        self.name = name
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.request_timeout = request_timeout or renew_deadline / 2
        self.release_on_cancel = release_on_cancel
        self._clock: Clock = clock or SystemClock()
        self._jitter = jitter
        self._lease = LeaseClient(api_client_factory, namespace, name)
        self._observed: Observed | None = None
        self._observed_at: datetime | None = None
        self._leading = False
        self._pool: ThreadPoolExecutor | None = None

    @property
    def is_leader(self) -> bool:
        """Whether this elector holds the Lease and `lead()` runs."""
        return self._leading

    @property
    def holder(self) -> str:
        """The holder last observed ("" when none or released), for /healthz and logs."""
        return self._observed.record.holder if self._observed else ""

    async def run(self, lead: Callable[[], Awaitable[None]]) -> None:
        """Acquire, then run `lead()` until it returns or the Lease is lost.

        Returns when `lead()` returns (the Lease released first); raises
        `LeadershipLost` after cancelling `lead()` when renewals fail; on
        cancellation stops `lead()` and, with release_on_cancel, releases.
        """
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"lease-{self.name}")
        leading: asyncio.Task[None] | None = None
        renewing: asyncio.Task[None] | None = None
        try:
            await self._acquire()
            leading = asyncio.create_task(_call(lead), name=f"lead:{self.name}")
            renewing = asyncio.create_task(self._renew(), name=f"renew:{self.name}")
            await asyncio.wait({leading, renewing}, return_when=asyncio.FIRST_COMPLETED)
            if renewing.done():
                await _stop(leading)
                renewing.result()  # raises LeadershipLost
            await _stop(renewing)
            await self._release()
            leading.result()  # lead()'s own error, if any
        except asyncio.CancelledError:
            for task in (leading, renewing):
                if task is not None:
                    await _stop(task)
            if self.release_on_cancel:
                await self._release()
            raise
        finally:
            self._leading = False
            self._pool.shutdown(wait=False)
            self._pool = None

    async def _acquire(self) -> None:
        log.info("waiting for lease %s/%s as %s", self.namespace, self.name, self.identity)
        while not await self._try_acquire_or_renew(self.request_timeout):
            # client-go's wait.JitterUntil: spread the candidates' polls.
            await self._clock.sleep(self.retry_period * (1 + JITTER_FACTOR * self._jitter()))
        self._leading = True
        log.info("acquired lease %s/%s as %s", self.namespace, self.name, self.identity)

    async def _renew(self) -> None:
        while True:
            await self._clock.sleep(self.retry_period)
            deadline = self._clock.now() + timedelta(seconds=self.renew_deadline)
            while True:
                left = (deadline - self._clock.now()).total_seconds()
                if left > 0 and await self._try_acquire_or_renew(min(self.request_timeout, left)):
                    break
                left = (deadline - self._clock.now()).total_seconds()
                if left <= 0:
                    self._leading = False
                    log.error(
                        "lost lease %s/%s: not renewed within %ss",
                        self.namespace,
                        self.name,
                        self.renew_deadline,
                    )
                    raise LeadershipLost(f"lease {self.namespace}/{self.name} not renewed")
                await self._clock.sleep(min(self.retry_period, left))

    async def _try_acquire_or_renew(self, limit: float) -> bool:
        """One round of client-go's tryAcquireOrRenew: True when we hold the Lease."""
        now = self._clock.now()
        mine = LeaseRecord(
            holder=self.identity,
            lease_duration=max(1, round(self.lease_duration)),
            acquire_time=now,
            renew_time=now,
        )
        try:
            current = await self._in_thread(self._lease.get, limit)
            if current is None:
                return self._observe(await self._in_thread(self._lease.create, mine, limit), now)
            if self._observed is None or current.raw != self._observed.raw:
                self._see(current, now)
            old = current.record
            ours = old.holder == self.identity
            if old.holder and not ours and not self._expired(old, now):
                return False
            if ours:
                mine = LeaseRecord(
                    mine.holder, mine.lease_duration, old.acquire_time, now, old.transitions
                )
            else:
                mine = LeaseRecord(mine.holder, mine.lease_duration, now, now, old.transitions + 1)
            written = await self._in_thread(
                self._lease.update, mine, current.resource_version, limit
            )
            return self._observe(written, now)
        except (LeaseError, TimeoutError) as exc:
            log.warning("lease %s/%s: %s", self.namespace, self.name, exc or "timed out")
            return False

    def _expired(self, record: LeaseRecord, now: datetime) -> bool:
        assert self._observed_at is not None  # set by _see before this is asked
        return self._observed_at + timedelta(seconds=record.lease_duration) <= now

    def _see(self, current: Observed, now: datetime) -> None:
        before = self.holder
        self._observed, self._observed_at = current, now
        if current.record.holder != before:
            log.info(
                "lease %s/%s is held by %s",
                self.namespace,
                self.name,
                current.record.holder or "nobody",
            )

    def _observe(self, written: Observed | None, now: datetime) -> bool:
        if written is None:  # 409: another candidate wrote first
            return False
        self._see(written, now)
        return True

    async def _release(self) -> None:
        """client-go's release: empty the holder so the next candidate need not wait."""
        if not self._leading:
            return
        self._leading = False
        now = self._clock.now()
        try:
            current = await self._in_thread(self._lease.get, self.request_timeout)
            if current is None or current.record.holder != self.identity:
                return
            released = LeaseRecord("", 1, now, now, current.record.transitions)
            if await self._in_thread(
                self._lease.update, released, current.resource_version, self.request_timeout
            ):
                log.info("released lease %s/%s", self.namespace, self.name)
        except (LeaseError, TimeoutError) as exc:
            log.warning("could not release lease %s/%s: %s", self.namespace, self.name, exc)

    async def _in_thread(self, func: Callable[..., T], *args: object) -> T:
        """Run one blocking call on the elector's thread, bounded by its timeout (last arg)."""
        assert self._pool is not None
        timeout = args[-1]
        assert isinstance(timeout, float | int)
        loop = asyncio.get_running_loop()
        future = loop.run_in_executor(self._pool, func, *args)
        # urllib3 retries a timed-out idempotent call (up to 4 timeouts in all):
        # bound the whole of it, or a leader past its renew deadline would keep
        # leading while the call hangs and another replica takes over.
        # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation
        # that arrives as the call completes, and a cancelled elector then polls on.
        async with asyncio.timeout(timeout):
            return await future


async def _call(lead: Callable[[], Awaitable[None]]) -> None:
    await lead()


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel `task` and wait for it; its failure, if any, is logged (the caller moves on)."""
    task.cancel()
    await asyncio.wait({task})  # unlike awaiting the task, never raises its CancelledError
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("%s failed while stopping", task.get_name(), exc_info=error)

"""One build cluster's circuit breaker: fail fast while its API server does not answer.

Prow runs one informer and one client per build cluster, so a dead cluster
only stalls its own jobs; minprow shares one plank work queue across all
clusters, so the Kubernetes executor must never let a dead cluster hold a
plank worker. After a connection failure or a timeout the breaker is open:
every call fails at once with an ExecutorError naming the cluster, since when
it is unreachable and the last error. Once a backoff (doubling, capped) has
passed, one call, and only one, is let through as a probe; its success closes
the breaker, its failure doubles the backoff. Any answer from the server,
an HTTP error included, is a success: the server is there.

Thread-safe: calls run in the executor's threads, the cache's watch in its own.
Times come from the injected clock, so tests move the backoff with a
VirtualClock; its state is also the cluster's health for the API.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from minprow.aio import Clock
from minprow.executors.base import ExecutorError
from minprow.kube.health import ClusterHealth

FIRST_BACKOFF = timedelta(seconds=2)
MAX_BACKOFF = timedelta(minutes=1)


class Unreachable(ExecutorError):
    """The cluster's API server did not answer; plank tries the job again later."""


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class Breaker:
    """Closed (calls go through), or open since a failure until a probe succeeds."""

    def __init__(
        self,
        context: str,
        clock: Clock,
        *,
        first_backoff: timedelta = FIRST_BACKOFF,
        max_backoff: timedelta = MAX_BACKOFF,
    ) -> None:
        self.context = context
        self._clock = clock
        self._first = first_backoff
        self._max = max_backoff
        self._lock = threading.Lock()
        self._down_since: datetime | None = None
        self._backoff = first_backoff
        self._next_probe: datetime | None = None
        self._probing = False
        self._reachable: bool | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._last_success_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._down_since is not None

    def admit(self) -> bool:
        """May a call go now? True when it goes as the probe (it must `release`).

        Raises Unreachable while open and either not yet time to probe or a
        probe is already in flight."""
        with self._lock:
            if self._down_since is None:
                return False
            due = self._next_probe is None or self._clock.now() >= self._next_probe
            if due and not self._probing:
                self._probing = True
                return True
            raise self._unreachable()

    def blocked(self) -> str | None:
        """Why `admit` would refuse a call now, without taking the probe; else None."""
        with self._lock:
            if self._down_since is None:
                return None
            due = self._next_probe is None or self._clock.now() >= self._next_probe
            if due and not self._probing:
                return None
            return str(self._unreachable())

    def check(self) -> None:
        """Raise Unreachable if open (for a call that waited in a queue meanwhile)."""
        with self._lock:
            if self._down_since is not None:
                raise self._unreachable()

    def release(self) -> None:
        """The probe let through by `admit` is over (after `succeeded` or `failed`)."""
        with self._lock:
            self._probing = False

    def succeeded(self) -> None:
        with self._lock:
            self._down_since = None
            self._next_probe = None
            self._backoff = self._first
            self._reachable = True
            self._last_success_at = self._clock.now()

    def failed(self, error: str) -> Unreachable:
        """Open (or keep open) the breaker; returns the error to raise."""
        with self._lock:
            now = self._clock.now()
            if self._down_since is None:
                self._down_since = now
                self._backoff = self._first
            else:
                self._backoff = min(self._backoff * 2, self._max)
            self._next_probe = now + self._backoff
            self._reachable = False
            self._last_error = error
            self._last_error_at = now
            return self._unreachable()

    def _unreachable(self) -> Unreachable:
        since = self._down_since or self._clock.now()
        return Unreachable(
            f"cluster {self.context} unreachable since {_stamp(since)}: {self._last_error}"
        )

    def health(self, server: str, expires_at: datetime | None) -> ClusterHealth:
        """What the breaker knows, as the API shows every context's health."""
        with self._lock:
            return ClusterHealth(
                context=self.context,
                server=server,
                reachable=self._reachable,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                last_success_at=self._last_success_at,
                expires_at=expires_at,
            )

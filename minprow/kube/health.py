"""Per-cluster health: reachable, last error, last success, credential expiry.

Prow keeps no such table (a build cluster that fails shows only in plank's
logs and metrics); minprow serves it from the API. Each context is probed
independently (`GET /version` in a worker thread with its own timeout), so
one hanging API server never delays another's result.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from kubernetes.client import ApiClient, VersionApi

from minprow.kube.kubeconfig import ClusterConfig, ClusterConfigs


@dataclass(frozen=True)
class ClusterHealth:
    """What is known about one context's API server."""

    context: str
    server: str
    reachable: bool | None = None
    version: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, times as RFC 3339."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "context": self.context,
            "server": self.server,
            "reachable": self.reachable,
            "version": self.version,
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "last_success_at": iso(self.last_success_at),
            "expires_at": iso(self.expires_at),
        }


def fetch_version(cfg: ClusterConfig, timeout: float) -> str:
    """Blocking `GET /version`, one attempt; the server's gitVersion."""
    conf = copy.copy(cfg.configuration)
    conf.retries = 0
    with ApiClient(conf) as client:
        info = VersionApi(client).get_code(_request_timeout=timeout)
    return str(info.git_version)


class ClusterHealthTracker:
    """Health per context of a (re-loadable) set of cluster configs."""

    def __init__(
        self,
        configs: Callable[[], ClusterConfigs],
        *,
        timeout: float = 10.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._configs = configs
        self._timeout = timeout
        self._now = now
        self._health: dict[str, ClusterHealth] = {}

    def _current(self, cfg: ClusterConfig) -> ClusterHealth:
        old = self._health.get(cfg.context) or ClusterHealth(cfg.context, cfg.server)
        return replace(old, server=cfg.server, expires_at=cfg.expires_at)

    async def probe(self, context: str) -> ClusterHealth:
        """Probe one context and record the result."""
        cfg = self._configs()[context]
        health = self._current(cfg)
        try:
            version = await asyncio.wait_for(
                asyncio.to_thread(fetch_version, cfg, self._timeout),
                self._timeout,
            )
        except TimeoutError:
            health = replace(
                health,
                reachable=False,
                last_error=f"timed out after {self._timeout}s",
                last_error_at=self._now(),
            )
        except Exception as exc:  # any failure is the probe result
            health = replace(
                health,
                reachable=False,
                last_error=f"{type(exc).__name__}: {exc}",
                last_error_at=self._now(),
            )
        else:
            health = replace(health, reachable=True, version=version, last_success_at=self._now())
        self._health[context] = health
        return health

    async def probe_all(self) -> dict[str, ClusterHealth]:
        """Probe every context concurrently, each with its own timeout."""
        names = list(self._configs())
        results = await asyncio.gather(*(self.probe(n) for n in names))
        return dict(zip(names, results, strict=True))

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every current context's health, JSON-ready, for the API."""
        configs = self._configs()
        return {
            name: (self._health.get(name) or self._current(configs[name])).to_json()
            for name in configs
        }

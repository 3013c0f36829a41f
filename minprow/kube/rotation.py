"""Build-cluster tokens renewed inside `serve` (`--rotate-build-credentials`).

Prow leaves this to a periodic gencred job and a secret-sync component; when
either breaks, tokens expire and jobs stop (kubernetes/test-infra #24489). Here
the process that uses the credentials renews them: for every context `minprow
gencred` marked, once two thirds of its token's lifetime have passed, a new
token is requested with the current one (TokenRequest on the account's own
`serviceaccounts/NAME/token`), written atomically where the context came from
(its kubeconfig file, or the Secret the marker names, which the kubelet then
updates in the mounted `--kubeconfig-dir`), and the kubeconfig agent re-reads
at once, so every client built after the switch carries the new token.

`Rotator.step(now)` is the pure-ish step (injected clock; the blocking client
calls run in a thread); `run` is the loop. A failure is retried with a doubling
delay and logged once per distinct error; its state is kept per cluster for
`/api/v1/clusters`, `/metrics` and the TUI. Tokens never reach a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from minprow.aio.backoff import Backoff
from minprow.aio.clock import Clock
from minprow.kube.kubeconfig import ClusterConfig
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.tokens import (
    IssuedToken,
    TokenError,
    load_kubeconfig_doc,
    replace_token,
    request_token,
    save_kubeconfig_file,
    save_kubeconfig_secret,
)

log = logging.getLogger(__name__)

RENEW_AT = 2 / 3
"""The share of a token's lifetime after which it is renewed."""
INTERVAL = 10.0
"""Seconds between two looks at what is due."""
RETRY_FIRST = 10.0
RETRY_MAX = 300.0
"""A failed rotation is tried again after 10 s, doubling up to 5 minutes."""


@dataclass
class RotationState:
    """One cluster's rotation, as `/api/v1/clusters` and the TUI show it."""

    expires_at: datetime | None = None
    due_at: datetime | None = None
    last_rotated: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    """Failed attempts in a row (0 once one succeeds)."""
    failures_total: int = 0
    retry_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        def when(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "expires_at": when(self.expires_at),
            "due_at": when(self.due_at),
            "last_rotated": when(self.last_rotated),
            "last_error": self.last_error,
            "failures": self.failures,
            "failures_total": self.failures_total,
        }


def due_at(cfg: ClusterConfig) -> datetime | None:
    """When `cfg`'s token is to be renewed: two thirds into its lifetime (from the
    JWT's `iat`, else the marker's duration before `exp`); None when unknown."""
    if cfg.expires_at is None or cfg.marker is None:
        return None
    issued = cfg.issued_at or cfg.expires_at - cfg.marker.duration
    return issued + (cfg.expires_at - issued) * RENEW_AT


Requester = Callable[[ClusterConfig], IssuedToken]
Writer = Callable[[ClusterConfig, str], None]


class Rotator:
    """Renews the tokens of the marked contexts of `agent`."""

    def __init__(
        self,
        agent: ClusterConfigAgent,
        clock: Clock,
        *,
        service_api: Callable[[], Any] | None = None,
        request: Requester | None = None,
        write: Writer | None = None,
    ) -> None:
        """`service_api` makes an ApiClient for the service cluster (where a marker's
        Secret is); `request` and `write` replace the TokenRequest and the write
        (tests)."""
        self.agent = agent
        self.clock = clock
        self._service_api = service_api
        self._request = request or _request
        self._write = write or self._write_back
        self._backoff: Backoff[str] = Backoff(RETRY_FIRST, RETRY_MAX)
        self.states: dict[str, RotationState] = {}

    def marked(self) -> dict[str, ClusterConfig]:
        """The contexts gencred wrote (aliases such as `default` are their contexts')."""
        configs = self.agent.get()
        return {n: configs[n] for n in configs if configs[n].marker and not configs[n].alias_of}

    async def step(self) -> int:
        """Rotate what is due; how many were rotated."""
        now = self.clock.now()
        rotated = 0
        marked = self.marked()
        for gone in set(self.states) - set(marked):
            del self.states[gone]
        for name, cfg in marked.items():
            state = self.states.setdefault(name, RotationState())
            state.expires_at = max(filter(None, (state.expires_at, cfg.expires_at)), default=None)
            file_due = due_at(cfg)
            # A Secret's new token reaches the mounted file a while after it is written:
            # until then the file still shows the old one, which is not due again.
            state.due_at = max(filter(None, (state.due_at, file_due)), default=None)
            if state.due_at is None or now < state.due_at:
                continue
            if state.retry_at is not None and now < state.retry_at:
                continue
            if await self._rotate(name, cfg, state, now):
                rotated += 1
        return rotated

    async def run(self, interval: float = INTERVAL) -> None:
        while True:
            await self.step()
            await self.clock.sleep(self.next_wake(interval))

    def next_wake(self, interval: float) -> float:
        """Seconds until the next renewal or retry is due, at most `interval` (a file
        changed meanwhile is seen then) and at least a tenth of a second."""
        now = self.clock.now()
        times = [t for s in self.states.values() for t in (s.due_at, s.retry_at) if t]
        soonest = min(((t - now).total_seconds() for t in times), default=interval)
        return min(interval, max(0.1, soonest))

    async def _rotate(
        self, name: str, cfg: ClusterConfig, state: RotationState, now: datetime
    ) -> bool:
        try:
            issued = await asyncio.to_thread(self._request, cfg)
            await asyncio.to_thread(self._write, cfg, issued.token)
        except (TokenError, OSError) as err:
            retry = self._backoff.failed(name, str(err))
            state.failures, state.last_error = retry.attempt, str(err)
            state.failures_total += 1
            # Sooner as the expiry nears: the last tenth of a lifetime is no time to wait.
            left = (state.expires_at - now).total_seconds() if state.expires_at else retry.delay
            state.retry_at = now + timedelta(seconds=min(retry.delay, max(1.0, left / 10)))
            if retry.report:
                log.warning(
                    "cannot renew the token of build cluster %s (expires %s): %s; retrying, "
                    "at most every %ds, this error logged once",
                    name,
                    state.expires_at.isoformat() if state.expires_at else "unknown",
                    err,
                    int(RETRY_MAX),
                )
            return False
        failed = self._backoff.succeeded(name)
        lifetime = cfg.marker.duration if cfg.marker else issued.expires_at - now
        state.due_at = issued.expires_at - lifetime * (1 - RENEW_AT)
        state.expires_at, state.last_rotated = issued.expires_at, now
        state.failures, state.last_error, state.retry_at = 0, None, None
        log.info(
            "renewed the token of build cluster %s: expires %s, next renewal %s%s",
            name,
            issued.expires_at.isoformat(),
            state.due_at.isoformat(),
            f" (after {failed} failed attempts)" if failed else "",
        )
        # Re-read now, not at the agent's next look: clients are rebuilt from it.
        self.agent.check()
        return True

    def _write_back(self, cfg: ClusterConfig, token: str) -> None:
        marker = cfg.marker
        assert marker is not None
        context = cfg.context
        if marker.secret is not None:
            if self._service_api is None:
                raise TokenError(f"no service cluster to write Secret {marker.secret} in")
            save_kubeconfig_secret(
                self._service_api(), marker.secret, lambda doc: replace_token(doc, context, token)
            )
            return
        path = Path(cfg.source)
        save_kubeconfig_file(path, replace_token(load_kubeconfig_doc(path), context, token))


def _request(cfg: ClusterConfig) -> IssuedToken:
    """A new token for `cfg`'s account, asked with `cfg`'s own credentials."""
    import copy

    from kubernetes.client import ApiClient

    marker = cfg.marker
    assert marker is not None
    api = ApiClient(copy.copy(cfg.configuration))
    try:
        return request_token(
            api, marker.namespace, marker.service_account, marker.duration, marker.audiences
        )
    finally:
        api.close()  # type: ignore[no-untyped-call]


def expiring_unrotated(
    configs: dict[str, ClusterConfig], now: datetime, rotating: bool, within: timedelta
) -> list[str]:
    """Warnings for contexts whose credentials expire within `within` and that nothing
    here renews (no gencred marker, or rotation off)."""
    out = []
    for name, cfg in sorted(configs.items()):
        if cfg.alias_of or cfg.expires_at is None or cfg.expires_at - now > within:
            continue
        if rotating and cfg.marker is not None:
            continue
        why = (
            "rotation is off (serve --rotate-build-credentials)"
            if cfg.marker is not None
            else "it was not written by `minprow gencred`, so nothing here renews it"
        )
        left = cfg.expires_at - now
        state = "expired" if left <= timedelta(0) else f"expire in {_hours(left)}"
        out.append(f"the credentials of build cluster {name} ({cfg.source}) {state}: {why}")
    return out


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{int(delta.total_seconds() // 60)} min"

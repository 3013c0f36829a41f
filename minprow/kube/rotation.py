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
import re
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
MOUNT_LAG = timedelta(minutes=5)
"""How long a Secret's update may take to reach its mount (the kubelet syncs within
about a minute) before it is said not to."""
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


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
    replaced: str | None = None
    """The fingerprint of the context whose token was last renewed here, while the
    kubeconfig still has it (a Secret not yet synced to its mount)."""

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
            "retry_at": when(self.retry_at),
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
            if cfg.fingerprint != state.replaced:
                # The kubeconfig has the token renewed here, or one someone else wrote
                # (gencred run again): its times rule.
                if state.replaced is not None and not state.failures:
                    state.last_error = None  # a mount that lagged has caught up
                state.replaced = None
                state.expires_at, state.due_at = cfg.expires_at, due_at(cfg)
            else:
                # A Secret's new token reaches the mounted file a while after it is
                # written: until then the file has the old one, not due again.
                self._mount_lagging(name, cfg, state, now)
            if state.due_at is None or now < state.due_at:
                continue
            if state.retry_at is not None and now < state.retry_at:
                continue
            if await self._rotate(name, cfg, state, now):
                rotated += 1
        return rotated

    def _mount_lagging(
        self, name: str, cfg: ClusterConfig, state: RotationState, now: datetime
    ) -> None:
        """Say once when a Secret written long ago still has not reached the mount: a
        subPath mount is never updated, and the old token runs out meanwhile."""
        if state.last_rotated is None or now - state.last_rotated < MOUNT_LAG:
            return
        if state.last_error is not None:
            return
        secret = cfg.marker.secret if cfg.marker else None
        waited = f"{int(MOUNT_LAG.total_seconds())}s"
        if secret is not None:
            state.last_error = (
                f"the renewed token is in Secret {secret} but {cfg.source} still has the old "
                f"one after {waited} (a Secret mounted with subPath is never updated: mount "
                "the whole Secret as --kubeconfig-dir)"
            )
        else:
            state.last_error = (
                f"the renewed token is in {cfg.source} but the kubeconfigs have not been "
                f"read again after {waited}: {self.agent.last_error or 'unknown why'}"
            )
        log.warning("build cluster %s: %s", name, state.last_error)

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
            # An address in a connection error differs at every attempt: not news.
            error = _ADDRESS.sub("", str(err)) + _hint(err)
            retry = self._backoff.failed(name, error)
            state.failures, state.last_error = retry.attempt, error
            state.failures_total += 1
            delay = retry.delay
            left = (state.expires_at - now).total_seconds() if state.expires_at else None
            if left is not None and left > 0:
                # Sooner as the expiry nears: the last tenth of a lifetime is no time
                # to wait. Once expired, the backoff's pace (nothing left to save).
                delay = min(delay, max(1.0, left / 10))
            state.retry_at = now + timedelta(seconds=delay)
            if retry.report:
                log.warning(
                    "cannot renew the token of build cluster %s (expires %s): %s; retrying, "
                    "at most every %ds, this error logged once",
                    name,
                    state.expires_at.isoformat() if state.expires_at else "unknown",
                    error,
                    int(RETRY_MAX),
                )
            return False
        failed = self._backoff.succeeded(name)
        # From the lifetime granted, which the API server may cut short of the one asked.
        state.due_at = now + (issued.expires_at - now) * RENEW_AT
        state.expires_at, state.last_rotated = issued.expires_at, now
        state.failures, state.last_error, state.retry_at = 0, None, None
        state.replaced = cfg.fingerprint
        log.info(
            "renewed the token of build cluster %s: expires %s, next renewal %s%s",
            name,
            issued.expires_at.isoformat(),
            state.due_at.isoformat(),
            f" (after {failed} failed attempt{'s' if failed > 1 else ''})" if failed else "",
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
        # The file, not a symlink to it (replaced, the link would become a copy).
        path = Path(cfg.source).resolve()
        try:
            save_kubeconfig_file(path, replace_token(load_kubeconfig_doc(path), context, token))
        except OSError as err:
            raise TokenError(
                f"cannot write {path}: {err.strerror}; a kubeconfig mounted from a Secret is "
                "renewed in the Secret: run `minprow gencred --secret NAMESPACE/NAME[:KEY]` "
                "for this context"
            ) from None


def _hint(err: Exception) -> str:
    """What to do about a refusal retrying will not cure."""
    status = getattr(err, "status", None)
    if status == 401:
        return (
            " (the token is no longer accepted, expired or revoked: run `minprow gencred` "
            "for this context again)"
        )
    if status == 403:
        return (
            " (the service account may not create its own tokens: run `minprow gencred` "
            "for this context again to restore its binding)"
        )
    return ""


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

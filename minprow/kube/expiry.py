"""Warnings for build-cluster credentials about to expire that nothing renews.

Prow says nothing until the calls fail (kubernetes/test-infra #24489: expired
build-cluster credentials took the whole of Prow down). `check-config` and
`serve` say it a day ahead: for every context whose token or certificate
expires within `EXPIRY_WARNING` and that neither minprow (a `minprow gencred`
context with `serve --rotate-build-credentials`) nor something else (the
kubelet's projected token, an exec plugin) renews. `ExpiryWarnings` is serve's:
it looks again after every kubeconfig reload and every `INTERVAL`, and says
each context's warning once per credential and stage (expiring, expired).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from minprow.aio.clock import Clock
from minprow.kube.kubeconfig import ClusterConfig

log = logging.getLogger(__name__)

EXPIRY_WARNING = timedelta(hours=24)
"""Credentials expiring within this, with nothing to renew them, are warned about."""
INTERVAL = 600.0
"""Seconds between two looks in `serve` (credentials cross into the window unseen)."""


def _unrenewed(
    configs: Mapping[str, ClusterConfig], now: datetime, rotating: bool, within: timedelta
) -> list[tuple[ClusterConfig, str]]:
    """The contexts to warn about, with the warning."""
    out = []
    for name, cfg in sorted(configs.items()):
        if cfg.alias_of or cfg.renewed_by or cfg.expires_at is None:
            continue
        left = cfg.expires_at - now
        if left > within or (rotating and cfg.marker is not None):
            continue
        why = (
            "rotation is off (serve --rotate-build-credentials renews it)"
            if cfg.marker is not None
            else "it was not written by `minprow gencred`, so nothing here renews it "
            "(run `minprow gencred` for it and serve with --rotate-build-credentials)"
        )
        state = "expired" if left <= timedelta(0) else f"expire in {_hours(left)}"
        out.append((cfg, f"the credentials of build cluster {name} ({cfg.source}) {state}: {why}"))
    return out


def expiring_unrotated(
    configs: Mapping[str, ClusterConfig], now: datetime, rotating: bool, within: timedelta
) -> list[str]:
    """Warnings for contexts whose credentials expire within `within` and that nothing
    renews (not gencred's, or rotation off; nor the kubelet's or an exec plugin's)."""
    return [line for _, line in _unrenewed(configs, now, rotating, within)]


class ExpiryWarnings:
    """serve's warnings: each said once per context, credential and stage."""

    def __init__(
        self,
        configs: Callable[[], Mapping[str, ClusterConfig]],
        clock: Clock,
        rotating: bool,
        within: timedelta = EXPIRY_WARNING,
    ) -> None:
        self._configs = configs
        self._clock = clock
        self._rotating = rotating
        self._within = within
        self._said: set[tuple[str, str, bool]] = set()

    def check(self) -> list[str]:
        """Log the warnings not said yet for the credentials as they are now; the
        new ones."""
        now = self._clock.now()
        current: set[tuple[str, str, bool]] = set()
        new = []
        for cfg, line in _unrenewed(self._configs(), now, self._rotating, self._within):
            assert cfg.expires_at is not None
            key = (cfg.context, cfg.fingerprint, cfg.expires_at <= now)
            current.add(key)
            if key not in self._said:
                log.warning("%s", line)
                new.append(line)
        # Forget what no longer holds: renewed credentials that later near expiry
        # again are a new warning.
        self._said = current
        return new

    async def run(self, interval: float = INTERVAL) -> None:
        while True:
            await self._clock.sleep(interval)
            self.check()


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours >= 1 else f"{int(delta.total_seconds() // 60)} min"

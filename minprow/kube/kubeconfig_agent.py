"""Re-reading the kubeconfigs when they change, so rotations need no restart.

The kubeconfig counterpart of Prow's pkg/config/agent.go (getter +
subscribe): `check()` is the pure step (stat the files and the dir's
listing, reload on a change, tell subscribers the diff); `run()` is the loop.
A new set that fails to load is logged and the last good one kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from minprow.aio.clock import Clock
from minprow.kube.kubeconfig import (
    ClusterConfigs,
    KubeconfigError,
    ServiceAccount,
    kubeconfig_candidates,
    load_cluster_configs,
)

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, float, int], ...]


@dataclass(frozen=True)
class ClusterDiff:
    """Contexts added, changed (new credentials or server) and removed."""

    added: frozenset[str]
    changed: frozenset[str]
    removed: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def diff_configs(old: ClusterConfigs, new: ClusterConfigs) -> ClusterDiff:
    """What differs between two loaded sets."""
    return ClusterDiff(
        added=frozenset(set(new) - set(old)),
        changed=frozenset(
            n for n in set(new) & set(old) if new[n].fingerprint != old[n].fingerprint
        ),
        removed=frozenset(set(old) - set(new)),
    )


class ClusterConfigAgent:
    """Holds the current ClusterConfigs and reloads them on change."""

    def __init__(
        self,
        kubeconfigs: Sequence[Path],
        kubeconfig_dir: Path | None = None,
        kubeconfig_suffix: str = "",
        *,
        in_cluster: bool | None = None,
        service_account: ServiceAccount | None = None,
    ) -> None:
        self._kubeconfigs = list(kubeconfigs)
        self._dir = kubeconfig_dir
        self._suffix = kubeconfig_suffix
        self._in_cluster = in_cluster
        self._sa = service_account or ServiceAccount()
        self._subscribers: list[Callable[[ClusterDiff], None]] = []
        self._signature = self._stat()
        self._configs = self._load()
        self.last_error: str | None = None

    def _load(self) -> ClusterConfigs:
        return load_cluster_configs(
            self._kubeconfigs,
            self._dir,
            self._suffix,
            in_cluster=self._in_cluster,
            service_account=self._sa,
        )

    def _stat(self) -> Signature:
        try:
            files = kubeconfig_candidates(self._kubeconfigs, self._dir, self._suffix)
        except KubeconfigError:
            files = list(self._kubeconfigs)
        files += [self._sa.token_file, self._sa.ca_file]
        out: list[tuple[str, float, int]] = []
        for path in files:
            try:
                st = path.stat()
                out.append((str(path), st.st_mtime, st.st_size))
            except OSError:
                out.append((str(path), -1.0, -1))
        return tuple(out)

    def get(self) -> ClusterConfigs:
        """The last good set."""
        return self._configs

    def subscribe(self, callback: Callable[[ClusterDiff], None]) -> None:
        """Call `callback` with each non-empty diff after a reload."""
        self._subscribers.append(callback)

    def check(self) -> ClusterDiff | None:
        """Reload if any file changed; the diff, or None when nothing did."""
        signature = self._stat()
        if signature == self._signature:
            return None
        self._signature = signature
        try:
            new = self._load()
        except KubeconfigError as exc:
            self.last_error = str(exc)
            log.error("kubeconfig reload failed, keeping the last good set: %s", exc)
            return None
        self.last_error = None
        diff = diff_configs(self._configs, new)
        self._configs = new
        if diff:
            log.info(
                "kubeconfigs reloaded: added=%s changed=%s removed=%s",
                sorted(diff.added),
                sorted(diff.changed),
                sorted(diff.removed),
            )
            for callback in self._subscribers:
                callback(diff)
        return diff

    async def run(self, clock: Clock, interval: float = 10.0) -> None:
        """Check every `interval` seconds until cancelled."""
        while True:
            await clock.sleep(interval)
            self.check()

"""Which ConfigMap keys a merged pull request's changed files update.

Corresponds to `FilterChanges`, `ConfigMapUpdate` and `handleDefaultNamespace`
of Prow's pkg/plugins/updateconfig/updateconfig.go (without its bootstrap
mode, which is config-bootstrapper's): each changed file goes to the first
`maps` glob it matches, if that entry allows the repository, into every
cluster and namespace of the entry. The key is the entry's `key`, else the
file's base name (its path with "/" as "-" under `use_full_path_as_key`); a
renamed file also removes the key of its old name, a removed file its key.
With `partitioned_names`, the first byte of the key's sha256 picks the
ConfigMap among them. An empty namespace is `prowjob_namespace`.
"""

from __future__ import annotations

import hashlib
import logging
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from minprow.config.configupdater import ConfigMapSpec, ConfigUpdater

_log = logging.getLogger(__name__)


class Change(Protocol):
    """One changed file of a pull request, as GitHub lists it."""

    @property
    def filename(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def previous_filename(self) -> str: ...


@dataclass(frozen=True, order=True)
class ConfigMapID:
    """Prow's `ConfigMapID`: a ConfigMap in a namespace of a cluster."""

    name: str
    namespace: str
    cluster: str


@dataclass(frozen=True)
class KeyUpdate:
    """Prow's `ConfigMapUpdate`: set `key` from `filename`, or remove it (no filename)."""

    key: str
    filename: str | None = None
    gzip: bool = False

    @property
    def removes(self) -> bool:
        return self.filename is None


def filter_changes(
    updater: ConfigUpdater, changes: Iterable[Change], default_namespace: str, repo: str
) -> dict[ConfigMapID, list[KeyUpdate]]:
    """The key updates of every ConfigMap the changes touch, in the order met."""
    updates: dict[ConfigMapID, list[KeyUpdate]] = {}
    for change in changes:
        found = updater.spec_for(change.filename)
        if found is None:
            continue
        _, spec = found
        if not spec.is_allowed(repo):
            _log.debug(
                "%s may not update ConfigMap %s (allowed_repos/denied_repos): %s left alone",
                repo,
                spec.display_name,
                change.filename,
            )
            continue
        gzip = updater.gzip if spec.gzip is None else spec.gzip
        for cluster, namespaces in spec.clusters.items():
            for namespace in namespaces:
                ns = namespace or default_namespace
                for key, filename in _keys(spec, change):
                    target = ConfigMapID(_name_for(spec, key), ns, cluster)
                    updates.setdefault(target, []).append(
                        KeyUpdate(key, filename, gzip if filename is not None else False)
                    )
    return updates


def _keys(spec: ConfigMapSpec, change: Change) -> list[tuple[str, str | None]]:
    """(key, file to fill it from or None to remove it) for one changed file."""
    if spec.key:
        key = spec.key
        keys: list[tuple[str, str | None]] = []
    else:
        key = _key_of(spec, change.filename)
        keys = []
        if change.status == "renamed" and change.previous_filename:
            keys.append((_key_of(spec, change.previous_filename), None))
    keys.append((key, None if change.status == "removed" else change.filename))
    return keys


def _key_of(spec: ConfigMapSpec, filename: str) -> str:
    if spec.use_full_path_as_key:
        return filename.replace("/", "-")
    return posixpath.basename(filename)


def _name_for(spec: ConfigMapSpec, key: str) -> str:
    if not spec.partitioned_names:
        return spec.name
    index = hashlib.sha256(key.encode()).digest()[0] % len(spec.partitioned_names)
    return spec.partitioned_names[index]

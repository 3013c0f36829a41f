"""plugins.yaml's `config_updater`: which files of a repository become which ConfigMaps.

Corresponds to `ConfigUpdater`, `ConfigMapSpec`, `ClusterGroup`, `SetDefaults`,
`resolve`, `IsAllowed` and `validateConfigUpdater` of Prow's
pkg/plugins/config.go. Loading applies Prow's defaults: with no `maps`,
`config/prow/config.yaml` → ConfigMap `config` and `config/prow/plugins.yaml` →
`plugins`; an entry naming no cluster targets the `default` cluster's default
namespace; `cluster_groups` are expanded into `clusters`.
"""

from __future__ import annotations

import posixpath
from typing import Any

from pydantic import Field, field_validator, model_validator

from minprow.config.gomodel import GoPart
from minprow.config.gozglob import GlobError, compile_glob

DEFAULT_CLUSTER = "default"
"""Prow's `kube.DefaultClusterAlias`: the service cluster."""
MAX_PARTITIONS = 256

_DEFAULT_MAPS = {
    "config/prow/config.yaml": {"name": "config"},
    "config/prow/plugins.yaml": {"name": "plugins"},
}


class ClusterGroup(GoPart):
    """Prow's `ClusterGroup`: clusters sharing a list of namespaces."""

    clusters: list[str] = Field(default_factory=list)
    namespaces: list[str] = Field(default_factory=list)


class ConfigMapSpec(GoPart):
    """Prow's `ConfigMapSpec`: the ConfigMap one glob of files goes to."""

    name: str = ""
    partitioned_names: list[str] = Field(default_factory=list)
    """ConfigMaps the keys are spread over (by the first byte of the key's
    sha256), to stay under the size limit; exclusive with `name`."""
    key: str = ""
    """The key for the file; default: the file's base name (or its whole path
    with "/" as "-" under `use_full_path_as_key`)."""
    gzip: bool | None = None
    """Overrides the section's `gzip` for these files."""
    clusters: dict[str, list[str]] = Field(default_factory=dict)
    """Namespaces by cluster; "" is `prowjob_namespace`. Default `{default: [""]}`."""
    cluster_groups: list[str] = Field(default_factory=list)
    use_full_path_as_key: bool = False
    allowed_repos: list[str] = Field(default_factory=list)
    """Orgs or org/repos whose merges may update this ConfigMap; default: all."""
    denied_repos: list[str] = Field(default_factory=list)

    @field_validator("clusters", mode="before")
    @classmethod
    def _null_namespaces(cls, value: Any) -> Any:
        # `clusters: {build01:}`: a null list is Go's nil slice, no namespaces.
        if isinstance(value, dict):
            return {k: [] if v is None else v for k, v in value.items()}
        return value

    def is_allowed(self, repo: str) -> bool:
        """Prow's `IsAllowed`: denied wins; with an allow list, only what it names."""
        org = repo.split("/", 1)[0]
        if any(denied in (repo, org) for denied in self.denied_repos):
            return False
        if not self.allowed_repos:
            return True
        return any(allowed in (repo, org) for allowed in self.allowed_repos)

    @property
    def display_name(self) -> str:
        return self.name or ",".join(self.partitioned_names)


class ConfigUpdater(GoPart):
    """Prow's `ConfigUpdater`, defaulted and resolved as Prow loads it."""

    cluster_groups: dict[str, ClusterGroup] = Field(default_factory=dict)
    maps: dict[str, ConfigMapSpec] = Field(default_factory=dict)
    """Path globs (go-zglob syntax) to ConfigMaps, in the file's order."""
    gzip: bool = False
    """Gzip every file before it goes into its ConfigMap; default false."""

    @model_validator(mode="after")
    def _defaults(self) -> ConfigUpdater:
        if not self.maps:
            self.maps = {k: ConfigMapSpec.model_validate(v) for k, v in _DEFAULT_MAPS.items()}
        for spec in self.maps.values():
            if not spec.clusters and not spec.cluster_groups:
                spec.clusters = {DEFAULT_CLUSTER: [""]}
        return self

    def resolved(self) -> dict[str, ConfigMapSpec]:
        """The maps with `cluster_groups` expanded into `clusters` (Prow's `resolve`).

        Unlike Prow's, the expansion keeps every other field of the entry
        (Prow's rebuilds the entry and loses `use_full_path_as_key` and the
        allow and deny lists there, which reads as an oversight)."""
        resolved: dict[str, ConfigMapSpec] = {}
        for glob, spec in self.maps.items():
            if spec.clusters or not spec.cluster_groups:
                resolved[glob] = spec
                continue
            clusters: dict[str, list[str]] = {}
            for name in spec.cluster_groups:
                group = self.cluster_groups.get(name, ClusterGroup())
                for cluster in group.clusters:
                    clusters.setdefault(cluster, []).extend(group.namespaces)
            resolved[glob] = spec.model_copy(update={"clusters": clusters, "cluster_groups": []})
        return resolved

    def spec_for(self, filename: str) -> tuple[str, ConfigMapSpec] | None:
        """The first map entry (in the file's order) whose glob matches `filename`.

        Prow ranges over a Go map here, so with two matching globs it picks
        either; the file's order makes the choice stable."""
        for glob, spec in self.resolved().items():
            try:
                if compile_glob(glob).match(filename):
                    return glob, spec
            except GlobError:
                continue  # reported by `problems`
        return None


def problems(updater: ConfigUpdater) -> list[tuple[str, str]]:
    """(field, message) for what Prow's `validateConfigUpdater` refuses, and globs
    that do not compile."""
    found: list[tuple[str, str]] = []
    keys: dict[tuple[str, str, str, str], str] = {}
    for glob, spec in updater.maps.items():
        where = f"config_updater.maps.{glob}"
        try:
            compile_glob(glob)
        except GlobError as err:
            found.append((where, str(err)))
        if spec.name and spec.partitioned_names:
            found.append((where, "'name' and 'partitioned_names' are mutually exclusive"))
        if len(spec.partitioned_names) > MAX_PARTITIONS:
            found.append(
                (
                    f"{where}.partitioned_names",
                    f"at most {MAX_PARTITIONS} partitions are supported, "
                    f"not {len(spec.partitioned_names)}",
                )
            )
        if spec.clusters and spec.cluster_groups:
            found.append((where, "sets both clusters and cluster_groups"))
        for i, group in enumerate(spec.cluster_groups):
            if not spec.clusters and group not in updater.cluster_groups:
                found.append(
                    (f"{where}.cluster_groups[{i}]", f"no cluster group is named {group!r}")
                )
        key = spec.key or posixpath.basename(glob)
        for cluster, namespaces in spec.clusters.items():
            for namespace in namespaces:
                other = keys.setdefault((spec.display_name, namespace, cluster, key), glob)
                if other != glob:
                    found.append(
                        (
                            where,
                            f"key {key} of ConfigMap {spec.display_name} is also "
                            f"updated from {other!r}: a key takes one file",
                        )
                    )
    return found

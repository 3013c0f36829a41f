"""Which executors sinker sweeps: Prow's loop over build clusters in cmd/sinker/main.go.

Prow's sinker lists the pods of each build cluster but those named in
`sinker.exclude_clusters`. In minprow a cluster alias maps to an executor, and
one executor may run several clusters (the local engine runs them all in
`minprow up`), so each executor is swept once, under a key naming it and its
clusters. An executor all of whose clusters are excluded is not swept at all;
one that runs an excluded cluster besides others is swept, but its orphans,
whose cluster cannot be told, are left alone (see `clean.Resource`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from minprow.executors.base import Executor
from minprow.executors.clusters import ClusterMap

ANY_CLUSTER = "*"
"""A `ClusterMap`'s fallback: every cluster not routed elsewhere."""

Executors = Mapping[str, Executor] | ClusterMap
"""Executors by cluster alias: a plain mapping, or plank's `ClusterMap` with its fallback."""


@dataclass(frozen=True)
class Target:
    key: str
    """The executor's name and clusters, e.g. "docker(default,build01)"; unique per sweep."""
    executor: Executor
    clusters: tuple[str, ...]
    orphans_allowed: bool


def targets(executors: Executors, exclude_clusters: Collection[str]) -> list[Target]:
    """Each distinct executor once, with its clusters, minus the wholly excluded ones."""
    grouped: dict[int, tuple[Executor, list[str]]] = {}
    if isinstance(executors, ClusterMap):
        routed = set(executors)
        for executor in executors.executors():
            grouped[id(executor)] = (executor, executors.clusters_of(executor))
    else:
        routed = set(executors)
        for alias, executor in executors.items():
            grouped.setdefault(id(executor), (executor, []))[1].append(alias)
    excluded = set(exclude_clusters)
    # The fallback runs every excluded cluster that is not routed to another executor.
    fallback_excluded = bool(excluded - routed)

    found: list[Target] = []
    for executor, clusters in grouped.values():
        names = tuple(sorted(clusters))
        hit = [c for c in names if c in excluded or (c == ANY_CLUSTER and fallback_excluded)]
        if len(hit) == len(names) and ANY_CLUSTER not in names:
            continue
        found.append(
            Target(
                key=f"{executor.name}({','.join(names)})",
                executor=executor,
                clusters=names,
                orphans_allowed=not hit,
            )
        )
    return found

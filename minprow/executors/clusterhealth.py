"""Each build cluster's health, as the API's `/api/v1/clusters` and the TUI's cluster
view show it.

Prow has no page for this (Deck shows jobs, not build clusters; an unreachable
build cluster shows up only as pods that never start). A kubernetes executor
reports its context's `kube.health.ClusterHealth` (reachable, last error, last
success, credential expiry) through its `health()`; a local executor (docker,
host) is always reachable, being this machine.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from minprow.executors.clusters import ClusterMap
from minprow.logs import redact

DEFAULT_CLUSTER = "default"
"""Prow's cluster alias for a job that names none."""


async def cluster_health(
    clusters: ClusterMap | None, used: Iterable[str] = ()
) -> dict[str, dict[str, Any]]:
    """Health by cluster name: every cluster of the mapping, plus the `used` ones
    (the clusters jobs name) and "default" when a fallback executor runs them.

    Each value has `executor` (its name, None when no executor runs the cluster)
    and `reachable`; a kubernetes executor adds its ClusterHealth fields; a
    cluster with no executor says why in `last_error`."""
    names = set(clusters or ()) | set(used)
    if clusters is not None and clusters.get(DEFAULT_CLUSTER) is not None:
        names.add(DEFAULT_CLUSTER)
    report: dict[str, dict[str, Any]] = {}
    for name in sorted(names):
        executor = clusters.get(name) if clusters is not None else None
        if executor is None:
            missing = (
                clusters.describe_missing(name)
                if clusters is not None
                else "this process runs no executors"
            )
            report[name] = {"executor": None, "reachable": False, "last_error": missing}
            continue
        entry: dict[str, Any] = {"executor": executor.name, "reachable": True}
        health = getattr(executor, "health", None)
        if callable(health):
            # The kubernetes executor's health(); tolerate a coroutine should one appear.
            value = health()
            if inspect.isawaitable(value):
                value = await value
            to_json = getattr(value, "to_json", None)
            if callable(to_json):
                entry.update(to_json())
        if isinstance(entry.get("last_error"), str):
            # An API server's error may quote a URL or header with a credential in it.
            entry["last_error"] = redact(entry["last_error"])
        report[name] = entry
    return report

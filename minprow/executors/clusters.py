"""Which executor runs a job: a small mapping from Prow cluster aliases to executors.

A job's `cluster` field names a build cluster (Prow's `ClusterAlias()`, "default"
when unset). minprow's own setting maps each name to an executor, with a
fallback for every other name: in `minprow up` and `minprow run` the fallback is
the local engine, so jobs written for remote build clusters still run on a laptop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from minprow.executors.base import Executor


class ClusterMap:
    """Cluster alias → executor, with an optional fallback for names not listed."""

    def __init__(
        self, routes: Mapping[str, Executor] | None = None, fallback: Executor | None = None
    ) -> None:
        self._routes = dict(routes or {})
        self._fallback = fallback

    def set_routes(self, routes: Mapping[str, Executor], fallback: Executor | None) -> None:
        """Replace the mapping (the kubeconfig files changed: clusters came or went)."""
        self._routes = dict(routes)
        self._fallback = fallback

    def get(self, cluster: str) -> Executor | None:
        """The executor for `cluster`, or None when no executor runs it."""
        return self._routes.get(cluster, self._fallback)

    def describe_missing(self, cluster: str) -> str:
        """Why `cluster` has no executor, for a job's description."""
        known = ", ".join(sorted(self._routes)) or "none"
        return (
            f"cluster {cluster!r} has no executor in minprow's cluster mapping "
            f"(known clusters: {known})"
        )

    def executors(self) -> list[Executor]:
        """Every distinct executor, each once even if it runs several clusters."""
        seen: dict[int, Executor] = {}
        for executor in [*self._routes.values(), *([self._fallback] if self._fallback else [])]:
            seen.setdefault(id(executor), executor)
        return list(seen.values())

    def clusters_of(self, executor: Executor) -> list[str]:
        """The cluster names routed to `executor` ("*" for the fallback)."""
        names = [name for name, e in self._routes.items() if e is executor]
        if executor is self._fallback:
            names.append("*")
        return names

    def __iter__(self) -> Iterator[str]:
        return iter(self._routes)

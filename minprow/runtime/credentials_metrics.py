"""The build-cluster credentials on `/metrics`: each context's credential expiry and,
where serve renews it, the renewal's failures, read at every scrape (kube/rotation.py).

`minprow_build_credentials_expiry_timestamp_seconds - time() < 86400` is the
alert an operator wants before a build cluster stops answering (#24489).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from minprow.kube.kubeconfig import ClusterConfig
from minprow.kube.rotation import Rotator


class CredentialsCollector(Collector):
    """`minprow_build_credentials_expiry_timestamp_seconds{cluster}` for every context
    whose expiry is known and that nothing else renews (the kubelet's projected token
    and exec plugins' hour-long tokens would only be noise), and, for the tokens
    renewed here, `minprow_build_credentials_rotation_failures_total{cluster}` and
    `minprow_build_credentials_rotation_failing{cluster}` (failures in a row)."""

    def __init__(
        self,
        configs: Callable[[], Mapping[str, ClusterConfig]],
        rotator: Rotator | None = None,
    ) -> None:
        self.configs = configs
        self.rotator = rotator

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        expiry = GaugeMetricFamily(
            "minprow_build_credentials_expiry_timestamp_seconds",
            "When the credentials of a build cluster's context expire (Unix time).",
            labels=["cluster"],
        )
        for name, cfg in sorted(self.configs().items()):
            # The credentials calls use: a token renewed into a Secret counts once the
            # kubelet has mounted it (one that never is stays an alert).
            if not cfg.alias_of and not cfg.renewed_by and cfg.expires_at is not None:
                expiry.add_metric([name], cfg.expires_at.timestamp())
        yield expiry
        if self.rotator is None:
            return
        failing = GaugeMetricFamily(
            "minprow_build_credentials_rotation_failing",
            "Failed renewals in a row of a build cluster's token (0 when the last worked).",
            labels=["cluster"],
        )
        failures = CounterMetricFamily(
            "minprow_build_credentials_rotation_failures",
            "Failed renewals of a build cluster's token since start.",
            labels=["cluster"],
        )
        for name, rotation in sorted(self.rotator.states.items()):
            failing.add_metric([name], rotation.failures)
            failures.add_metric([name], rotation.failures_total)
        yield failing
        yield failures


def add_metrics_route(app: web.Application, collector: Collector) -> None:
    """`GET /metrics` on a process without the hook (whose app has its own)."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(collector)

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    app.router.add_get("/metrics", metrics)

"""The build-cluster credentials on `/metrics`: each marked context's token expiry
and rotation failures, read from the rotator at every scrape (kube/rotation.py)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from minprow.kube.rotation import Rotator


class CredentialsCollector(Collector):
    """`minprow_build_credentials_expiry_timestamp_seconds{cluster}`,
    `minprow_build_credentials_rotation_failures_total{cluster}` and
    `minprow_build_credentials_rotation_failing{cluster}` (failures in a row)."""

    def __init__(self, rotator: Rotator) -> None:
        self.rotator = rotator

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        expiry = GaugeMetricFamily(
            "minprow_build_credentials_expiry_timestamp_seconds",
            "When the token of a build cluster's gencred context expires (Unix time).",
            labels=["cluster"],
        )
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
        for name, state in sorted(self.rotator.states.items()):
            if state.expires_at is not None:
                expiry.add_metric([name], state.expires_at.timestamp())
            failing.add_metric([name], state.failures)
            failures.add_metric([name], state.failures_total)
        yield expiry
        yield failing
        yield failures

"""Hook's Prometheus metrics, in a registry of their own.

Corresponds to Prow's pkg/githubeventserver/metrics.go (`prow_webhook_counter`,
`prow_webhook_response_codes`) and the plugin handling metrics of
pkg/hook/events.go. Each `HookMetrics` owns its `CollectorRegistry`, so two
servers in one process (or one test run) never share counters.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HookMetrics:
    """Webhooks by event type, responses by code, handler errors and latency, and
    the inbox's depth and the age of its oldest delivery."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.webhooks = Counter(
            "prow_webhook_counter",
            "Webhooks received, by event type.",
            ["event_type"],
            registry=self.registry,
        )
        self.responses = Counter(
            "prow_webhook_response_codes",
            "Responses to webhook requests, by HTTP status code.",
            ["response_code"],
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "prow_plugin_handler_errors",
            "Plugin handlers that raised, by plugin and event type.",
            ["plugin", "event_type"],
            registry=self.registry,
        )
        self.handling = Histogram(
            "prow_plugin_handle_duration_seconds",
            "Time a plugin handler took, by plugin and event type.",
            ["plugin", "event_type"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

        self.inbox_depth = Gauge(
            "minprow_webhook_inbox_depth",
            "Webhook deliveries accepted and not yet handled by every plugin.",
            registry=self.registry,
        )
        self.inbox_oldest_age = Gauge(
            "minprow_webhook_inbox_oldest_age_seconds",
            "How long the oldest unhandled webhook delivery has waited (0 when none).",
            registry=self.registry,
        )

    def follow_inbox(self, depth: Callable[[], float], oldest_age: Callable[[], float]) -> None:
        """Read the inbox's gauges from it at every scrape."""
        self.inbox_depth.set_function(depth)
        self.inbox_oldest_age.set_function(oldest_age)

    def render(self) -> bytes:
        """The text exposition format of every metric here."""
        return generate_latest(self.registry)

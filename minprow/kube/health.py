"""Per-cluster health: reachable, last error, last success, credential expiry.

Prow keeps no such table (a build cluster that fails shows only in plank's
logs and metrics); minprow serves it from the API and the TUI. Each kubernetes
executor keeps its own cluster's (executors/_kubebreaker.py: every call it
makes is a probe), so one hanging API server never delays another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class ClusterHealth:
    """What is known about one context's API server."""

    context: str
    server: str
    reachable: bool | None = None
    version: str | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    last_success_at: datetime | None = None
    expires_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready, times as RFC 3339."""

        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "context": self.context,
            "server": self.server,
            "reachable": self.reachable,
            "version": self.version,
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "last_success_at": iso(self.last_success_at),
            "expires_at": iso(self.expires_at),
        }


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 time as the API server or `ClusterHealth.to_json` writes it (naive
    means UTC); None when absent or malformed, for display and lease records alike."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

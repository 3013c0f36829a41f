"""What a plugin handler is given: Prow's `plugins.Agent` (pkg/plugins/plugins.go).

One `PluginContext` is built per delivery. It carries getters, never
snapshots, for the config and plugins.yaml, the JobStore, the GitHub client, the
clock, and a logger adapter that stamps every line with the delivery's id,
event type and org/repo.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from minprow.aio.clock import Clock
from minprow.config import Config
from minprow.store import JobStore


@runtime_checkable
class GitHubClient(Protocol):
    """The GitHub client as hook holds it: no calls of its own. A plugin declares
    the narrow `runtime_checkable` Protocol of the calls it makes and narrows
    `ctx.github` to it with `isinstance`."""


@dataclass(frozen=True)
class PluginContext:
    """Everything one handler call may use, for one delivery."""

    config: Callable[[], Config]
    store: JobStore
    github: GitHubClient | None
    clock: Clock
    log: logging.LoggerAdapter[Any]
    delivery_id: str
    event_type: str
    org: str
    repo: str

    @property
    def event_guid(self) -> str:
        """Prow's name for the delivery id (the `event-GUID` label)."""
        return self.delivery_id

"""Hook: GitHub webhooks in, plugins run (Prow's pkg/hook and cmd/hook).

`make_app` builds the aiohttp application (`/hook`, `/healthz`, `/metrics`),
`serve` runs it; plugins come from a `Registry` built from an explicit tuple.
"""

from minprow.hook.dispatch import Delivery, Dispatcher
from minprow.hook.metrics import HookMetrics
from minprow.hook.plugins.context import GitHubClient, PluginContext
from minprow.hook.plugins.registry import Handler, Plugin, Registry
from minprow.hook.server import DEFAULT_PORT, MAX_BODY, make_app, serve

__all__ = [
    "DEFAULT_PORT",
    "MAX_BODY",
    "Delivery",
    "Dispatcher",
    "GitHubClient",
    "Handler",
    "HookMetrics",
    "Plugin",
    "PluginContext",
    "Registry",
    "make_app",
    "serve",
]

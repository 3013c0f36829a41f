"""The plugins hook knows and which of them run for a repo.

Corresponds to Prow's pkg/plugins/plugins.go (`PluginHelp`, the handler maps
by event type, `ConfigAgent.getPlugins`). Prow registers plugins from `init()`
functions; here a `Registry` is built from an explicit tuple of `Plugin`
values, and plugins.yaml (org-level lists with `excluded_repos`, then the
org/repo lists) decides which run for an event's repo.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from minprow.config import PluginConfig
from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import (
    COMMENT_SOURCES,
    GENERIC_COMMENT,
    GenericComment,
    generic_comment,
)

Handler = Callable[[PluginContext, Any], Awaitable[None]]
"""`async def handler(ctx, event) -> None`; `event` is the parsed event of the
type the handler is registered for (`minprow.github.events`)."""


@dataclass(frozen=True)
class Plugin:
    """A plugin: its name in plugins.yaml, its help text, its handlers by event type
    (`"pull_request"`, `"push"`, `"pull_request_review"`, ...), and by
    `"generic_comment"` for what people write (called with a `GenericComment`)."""

    name: str
    help: str
    handlers: Mapping[str, Handler] = field(default_factory=dict)
    offline: str | None = None
    """What the plugin does with no GitHub client, said once when it is enabled and
    there are no credentials; None: it cannot work without one, and hook does not
    run it then."""

    def calls(
        self, event_type: str, event: Any, comment: GenericComment | None
    ) -> list[tuple[Handler, Any]]:
        """What hook calls for a delivery: the handler of its event type with the
        event, then the generic comment handler with `comment` (the delivery's
        generic comment, if it carries one)."""
        calls: list[tuple[Handler, Any]] = []
        if event_type in self.handlers:
            calls.append((self.handlers[event_type], event))
        if comment is not None and GENERIC_COMMENT in self.handlers:
            calls.append((self.handlers[GENERIC_COMMENT], comment))
        return calls

    def handles(self, event_type: str) -> bool:
        """Whether a delivery of `event_type` reaches this plugin."""
        if event_type in self.handlers:
            return True
        return GENERIC_COMMENT in self.handlers and event_type in COMMENT_SOURCES

    def for_event(self, event_type: str) -> Handler:
        """One handler doing every call hook makes for a delivery of `event_type`."""

        async def handle(ctx: PluginContext, event: Any) -> None:
            comment = generic_comment(event_type, event)
            for handler, payload in self.calls(event_type, event, comment):
                await handler(ctx, payload)

        return handle


class DuplicatePlugin(ValueError):
    """Two plugins registered under one name."""


class Registry:
    """The plugins hook can run, by name, in the order they were listed."""

    def __init__(self, plugins: Iterable[Plugin]) -> None:
        self._plugins: dict[str, Plugin] = {}
        for plugin in plugins:
            if plugin.name in self._plugins:
                raise DuplicatePlugin(f"plugin {plugin.name!r} is registered twice")
            self._plugins[plugin.name] = plugin

    def __iter__(self) -> Iterator[Plugin]:
        return iter(self._plugins.values())

    def __len__(self) -> int:
        return len(self._plugins)

    def get(self, name: str) -> Plugin | None:
        return self._plugins.get(name)

    def names(self) -> tuple[str, ...]:
        return tuple(self._plugins)

    def handles(self, event_type: str) -> bool:
        """Whether any registered plugin has a handler for `event_type` (a comment's
        source counts for the plugins handling generic comments)."""
        return any(p.handles(event_type) for p in self._plugins.values())

    def plugins_for(self, org: str, repo: str, plugin_config: PluginConfig) -> tuple[Plugin, ...]:
        """The registered plugins plugins.yaml enables for org/repo, each once, in
        plugins.yaml's order. Names plugins.yaml lists but no plugin registers
        are skipped (check-config reports them)."""
        seen: dict[str, Plugin] = {}
        for name in plugin_config.enabled_plugins(org, repo):
            plugin = self._plugins.get(name)
            if plugin is not None and name not in seen:
                seen[name] = plugin
        return tuple(seen.values())

    def handlers_for(
        self, event_type: str, org: str, repo: str, plugin_config: PluginConfig
    ) -> tuple[tuple[str, Handler], ...]:
        """(plugin name, handler) of every enabled plugin a delivery of `event_type` reaches."""
        return tuple(
            (p.name, p.for_event(event_type))
            for p in self.plugins_for(org, repo, plugin_config)
            if p.handles(event_type)
        )

    def calls_for(
        self, event_type: str, event: Any, org: str, repo: str, plugin_config: PluginConfig
    ) -> list[tuple[str, Handler, Any]]:
        """(plugin name, handler, payload) of every call hook makes for a delivery:
        each enabled plugin's handler of the event type, and its generic comment
        handler when the delivery carries a comment (built once, as Prow's hook does)."""
        comment = generic_comment(event_type, event)
        return [
            (plugin.name, handler, payload)
            for plugin in self.plugins_for(org, repo, plugin_config)
            for handler, payload in plugin.calls(event_type, event, comment)
        ]

"""What hook says about the plugins plugins.yaml enables, at start and when it changes.

A webhook that no enabled plugin acts on is answered and forgotten, so a
missing or empty plugins.yaml looks like a hook that does nothing: the log names
the plugins that run and where, each time that changes. With no GitHub
credentials, a plugin that can work from the payload alone (trigger) says once
what it assumes, and one that cannot (lgtm, hold, label, help, cat: they only
label and comment) is left out of hook's registry and says so once, rather than
failing on every delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from minprow.config import PluginConfig
from minprow.hook.plugins.registry import Plugin

CREDENTIALS = "--github-token-path, or --github-app-id with --github-app-private-key-path"


def enabled_where(plugin_config: PluginConfig) -> dict[str, list[str]]:
    """plugin name -> the orgs and org/repos plugins.yaml enables it for, in its order."""
    where: dict[str, list[str]] = {}
    for scope, entry in plugin_config.plugins.items():
        for name in entry.plugins:
            scopes = where.setdefault(name, [])
            if scope not in scopes:
                scopes.append(scope)
    return where


class PluginNotices:
    """The plugins hook runs, and the lines that tell the user about them, each said once."""

    def __init__(self, plugins: Iterable[Plugin], *, github: bool) -> None:
        self._plugins = {p.name: p for p in plugins}
        self._github = github
        self._said: set[str] = set()
        self._last: str | None = None

    def runnable(self) -> tuple[Plugin, ...]:
        """The plugins hook can run: all of them with a GitHub client, else those that
        work without one."""
        return tuple(p for p in self._plugins.values() if self._github or p.offline is not None)

    def notices(self, plugin_config: PluginConfig) -> list[tuple[int, str]]:
        """(log level, line) for what changed since the last call."""
        where = enabled_where(plugin_config)
        lines: list[tuple[int, str]] = []
        summary = "; ".join(f"{name} for {', '.join(scopes)}" for name, scopes in where.items())
        if summary != self._last:
            self._last = summary
            lines.append(
                (logging.INFO, f"hook plugins: {summary}")
                if summary
                else (
                    logging.WARNING,
                    "hook plugins: none (no plugins.yaml, or it enables none): webhooks are "
                    "answered and start no jobs; enable trigger for a repository in "
                    "plugins.yaml's `plugins:` section",
                )
            )
        if self._github:
            return lines
        cannot: list[str] = []
        for name in where:
            plugin = self._plugins.get(name)
            if plugin is None or name in self._said:
                continue
            self._said.add(name)
            if plugin.offline is not None:
                lines.append((logging.INFO, f"no GitHub credentials: {plugin.offline}"))
            else:
                cannot.append(name)
        if cannot:
            they = "it does not run" if len(cannot) == 1 else "they do not run"
            lines.append(
                (
                    logging.WARNING,
                    f"plugins.yaml enables {', '.join(cannot)}, which cannot work without "
                    f"GitHub credentials ({CREDENTIALS}): {they}",
                )
            )
        return lines

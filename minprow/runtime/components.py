"""The components of one minprow process, built from flags and run as guarded tasks.

`minprow up` runs them all; `minprow serve --components hook,plank,...` runs a
subset (several hook replicas and one controller is how minprow scales out).
They are added to the task group in Prow's shutdown order: the hook first (no
new work), then horologium, plank, sinker and crier.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from minprow.aio import Clock, TaskGroup

if TYPE_CHECKING:
    from prometheus_client.registry import Collector

    from minprow.config import Config
    from minprow.executors.clusters import ClusterMap
    from minprow.github.client import GitHubClient
    from minprow.hook.inbox import Inbox
    from minprow.hook.plugins.config_updater import ConfigMapTarget
    from minprow.hook.plugins.enabled import PluginNotices
    from minprow.kube.kubeconfig import ClusterConfigs
    from minprow.kube.rotation import Rotator
    from minprow.store import JobStore

log = logging.getLogger("minprow.runtime")

COMPONENTS = ("hook", "horologium", "plank", "sinker", "crier")
"""What `up` and `serve` run unless told otherwise."""
OPTIONAL_COMPONENTS = ("branchprotector",)
"""What runs only when `--components` names it (it writes to GitHub's settings)."""
KNOWN_COMPONENTS = COMPONENTS + OPTIONAL_COMPONENTS
DEFAULT_PORT = 8888
"""Prow's hook port."""


Leading = Callable[[Callable[[], Awaitable[None]]], Awaitable[None]]
"""Runs a coroutine function while this replica holds the controllers' lease."""


async def _run_group(tasks: Sequence[tuple[str, Callable[[], Awaitable[None]]]]) -> None:
    """Run `tasks` as one guarded group until cancelled, then stop them in order."""
    inner = TaskGroup()
    for name, factory in tasks:
        inner.add(name, factory)
    inner.start()
    try:
        await asyncio.Event().wait()
    finally:
        await inner.stop()


class SettingsError(ValueError):
    """Flags that do not make a runnable process: says which and why."""


def parse_components(text: str) -> tuple[str, ...]:
    """`--components hook,plank`: the names, checked, in the order of COMPONENTS."""
    names = {part.strip() for part in text.split(",") if part.strip()}
    unknown = sorted(names - set(KNOWN_COMPONENTS))
    if unknown:
        raise SettingsError(
            f"--components: unknown {', '.join(unknown)} (known: {', '.join(KNOWN_COMPONENTS)})"
        )
    if not names:
        raise SettingsError("--components: name at least one component")
    return tuple(c for c in KNOWN_COMPONENTS if c in names)


@dataclass
class GitHubSettings:
    """How to reach GitHub: `--github-endpoint` and a token file or a GitHub App."""

    endpoint: str = "https://api.github.com"
    token_path: Path | None = None
    app_id: str | None = None
    app_private_key_path: Path | None = None

    def client(self, clock: Clock) -> GitHubClient | None:
        """The client, or None when no credentials are configured."""
        from minprow.github.auth import GitHubApp, TokenFile
        from minprow.github.client import GitHubClient

        if self.token_path and self.app_id:
            raise SettingsError("pass --github-token-path or --github-app-id, not both")
        if self.token_path:
            return GitHubClient(TokenFile(self.token_path), endpoint=self.endpoint, clock=clock)
        if self.app_id:
            if not self.app_private_key_path:
                raise SettingsError("--github-app-id needs --github-app-private-key-path")
            app = GitHubApp.from_files(self.app_id, self.app_private_key_path, clock=clock)
            return GitHubClient(app, endpoint=self.endpoint, clock=clock)
        return None


@dataclass
class Process:
    """What the components share: the store, the config getter, the clock, the executors."""

    store: JobStore
    config: Callable[[], Config]
    clock: Clock
    clusters: ClusterMap
    artifacts_dir: Path
    github: GitHubClient | None = None
    inbox: Inbox | None = None
    """The hook's webhook inbox, opened (in memory when None)."""
    hmac_secret_file: Path | None = None
    api_token_file: Path | None = None
    slack_webhook_file: Path | None = None
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    rotation: Rotator | None = None
    """Build-cluster token renewal, run with the controllers (under their lease),
    shown in /api/v1/clusters and /metrics."""
    cluster_configs: Callable[[], ClusterConfigs] | None = None
    """The build clusters' kubeconfig contexts, for their credentials' expiry on /metrics."""
    branchprotector_interval: timedelta = timedelta(minutes=30)
    """How often the branchprotector component applies `branch-protection`."""
    configmaps: ConfigMapTarget | None = None
    """Where the config-updater plugin writes (none: the plugin is not offered)."""
    local_repos: Mapping[str, Path] = field(default_factory=dict)
    """`--local-repo`: clones standing in for GitHub repositories (trigger's changed
    files when there are no GitHub credentials)."""
    started: list[str] = field(default_factory=list)
    _notices: PluginNotices | None = field(default=None, init=False, repr=False)

    def add(
        self, group: TaskGroup, components: Sequence[str], *, leading: Leading | None = None
    ) -> None:
        """Add the named components to `group`, in shutdown order. The HTTP port (the
        hook's `/hook` when it runs, `/healthz`, `/metrics`, and the API) comes first.

        With `leading` (a leader election's run), the controllers run only while this
        replica leads: hooks scale out, controllers never reconcile twice at once."""
        group.add("http", self._http("hook" in components))
        if "hook" in components:
            self.started.append("hook")
        controllers = [
            (name, getattr(self, f"_{name}")())
            for name in KNOWN_COMPONENTS[1:]
            if name in components
        ]
        self.started.extend(name for name, _ in controllers)
        if self.rotation is not None and controllers:
            # The controllers use the build clusters' tokens: whoever runs them (the
            # leader, with an election) renews them, and only one replica does.
            controllers.append(("credential-rotation", self.rotation.run))
        if leading is None:
            for name, factory in controllers:
                group.add(name, factory)
        elif controllers:
            group.add("controllers", lambda: leading(lambda: _run_group(controllers)))

    def _http(self, with_hook: bool) -> Callable[[], Any]:
        from aiohttp import web

        from minprow.hook.server import healthz, serve
        from minprow.runtime.api import add_api_routes

        if with_hook:
            app = self._hook_app()
        else:
            app = web.Application()
            app.router.add_get("/healthz", healthz)
            if (collector := self._credentials_collector()) is not None:
                from minprow.runtime.credentials_metrics import add_metrics_route

                add_metrics_route(app, collector)
        add_api_routes(
            app,
            store=self.store,
            clusters=self.clusters,
            config=self.config,
            artifacts_dir=self.artifacts_dir,
            token=self._api_token,
            clock=self.clock,
            credentials=self._credentials if self.rotation is not None else None,
        )
        return lambda: serve(app, host=self.host, port=self.port)

    def _credentials(self) -> dict[str, dict[str, Any]]:
        """Each renewed build cluster's token state, for /api/v1/clusters."""
        states = self.rotation.states if self.rotation is not None else {}
        return {name: state.to_json() for name, state in states.items()}

    def _credentials_collector(self) -> Collector | None:
        """The build clusters' credentials on /metrics, when this process has any."""
        if self.cluster_configs is None:
            return None
        from minprow.runtime.credentials_metrics import CredentialsCollector

        return CredentialsCollector(self.cluster_configs, self.rotation)

    def _api_token(self) -> str | None:
        # Re-read on every write request, so a rotated token needs no restart.
        if self.api_token_file is None:
            return None
        try:
            return self.api_token_file.read_text().strip() or None
        except OSError as err:
            log.error("cannot read --api-token-file %s: %s", self.api_token_file, err)
            return None

    def config_changed(self, config: Config) -> None:
        """Say what a new config changes about the hook's plugins (a reload)."""
        if self._notices is None:
            return
        for level, line in self._notices.notices(config.plugins):
            logging.getLogger("minprow.hook").log(level, "%s", line)

    def _hook_app(self) -> Any:
        from minprow.github.hmac import HmacSecretFile
        from minprow.hook.plugins.cat import CAT
        from minprow.hook.plugins.config_updater import config_updater_plugin
        from minprow.hook.plugins.enabled import PluginNotices
        from minprow.hook.plugins.help import HELP
        from minprow.hook.plugins.hold import HOLD
        from minprow.hook.plugins.label import LABEL
        from minprow.hook.plugins.lgtm import LGTM
        from minprow.hook.plugins.registry import Plugin, Registry
        from minprow.hook.plugins.trigger.plugin import trigger_plugin
        from minprow.hook.server import make_app

        if self.hmac_secret_file is None:
            raise SettingsError("the hook needs --hmac-secret-file")
        secret = HmacSecretFile(self.hmac_secret_file)
        plugins: tuple[Plugin, ...] = (
            trigger_plugin(self.local_repos),
            LGTM,
            HOLD,
            LABEL,
            HELP,
            CAT,
        )
        if self.configmaps is not None:
            plugins += (config_updater_plugin(self.configmaps),)
        # Without credentials, a plugin that only labels and comments is not run at
        # all (and says so once) rather than failing on every delivery.
        self._notices = PluginNotices(plugins, github=self.github is not None)
        self.config_changed(self.config())
        from minprow.hook.metrics import HookMetrics

        metrics = HookMetrics()
        if (collector := self._credentials_collector()) is not None:
            metrics.registry.register(collector)
        return make_app(
            metrics=metrics,
            secret=secret.secret,
            registry=Registry(self._notices.runnable()),
            config=self.config,
            store=self.store,
            github=self.github,
            clock=self.clock,
            inbox=self.inbox,
        )

    def _horologium(self) -> Callable[[], Any]:
        from minprow import horologium

        return lambda: horologium.run(self.store, self.config, self.clock)

    def _plank(self) -> Callable[[], Any]:
        from minprow import plank

        controller = plank.Plank(
            self.store, self.config, self.clusters, self.clock, artifacts_dir=self.artifacts_dir
        )
        return lambda: plank.run(controller)

    def _sinker(self) -> Callable[[], Any]:
        from minprow import sinker

        return lambda: sinker.run(self.store, self.config, self.clusters, self.clock)

    def _branchprotector(self) -> Callable[[], Any]:
        from minprow.branchprotector import Protector, run_every

        if self.github is None:
            raise SettingsError(
                "the branchprotector component needs GitHub credentials "
                "(--github-token-path, or --github-app-id with --github-app-private-key-path)"
            )
        protector = Protector(self.github, self.config)
        return lambda: run_every(protector, lambda: self.branchprotector_interval, self.clock)

    def _crier(self) -> Callable[[], Any]:
        from minprow import crier
        from minprow.crier.reporters.gcs import GCSReporter
        from minprow.crier.reporters.github import GitHubReporter
        from minprow.crier.reporters.slack import SlackReporter, webhook_from_file
        from minprow.github.errors import Unprocessable

        reporters: list[Any] = [GCSReporter(artifacts_dir=self.artifacts_dir)]
        if self.github is not None:
            reporters.append(
                GitHubReporter(
                    self.github,
                    self.config,
                    self.store,
                    is_permanent=lambda err: isinstance(err, Unprocessable),
                )
            )
        else:
            log.warning("no GitHub credentials: crier does not report to GitHub")
        if self.slack_webhook_file is not None:
            reporters.append(SlackReporter(self.config, webhook_from_file(self.slack_webhook_file)))
        return lambda: crier.run(self.store, reporters, clock=self.clock)

"""`minprow serve` (and `minprow up`, its laptop form): the components in one process.

Loads the configuration (hot-reloaded, keeping the last good one), opens the
job store, maps build clusters to executors, builds the GitHub client when
credentials are given, and runs the chosen components as guarded tasks until
SIGINT or SIGTERM; then stops them in order (the hook first: no new work) and
closes the store. Components that are not part of this build yet are named at
start-up rather than pretended.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import signal
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.aio import TaskGroup
from minprow.runtime import commands
from minprow.runtime.components import COMPONENTS, DEFAULT_PORT, GitHubSettings, SettingsError
from minprow.runtime.defaults import discover

if TYPE_CHECKING:
    from minprow.config import Config
    from minprow.config.agent import ConfigAgent
    from minprow.store import JobStore

log = logging.getLogger("minprow.serve")

NOT_YET_BUILT = ("tui",)
"""The parts of DESIGN.md this build does not have yet."""
HMAC_FILE = "hmac-secret"
"""`minprow up`'s own webhook secret, made in the state directory when none is given."""


@dataclass
class Settings:
    config_path: Path | None = None
    job_config_path: Path | None = None
    plugin_config: Path | None = None
    state_dir: Path | None = None
    components: tuple[str, ...] = COMPONENTS
    executor: str = "auto"
    clusters: tuple[str, ...] = ()
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    hmac_secret_file: Path | None = None
    api_token_file: Path | None = None
    """Bearer token for the API's rerun and abort (none: those are refused)."""
    make_hmac_secret: bool = False
    """Create `<state_dir>/hmac-secret` when no --hmac-secret-file is given (`up`)."""
    slack_webhook_file: Path | None = None
    github: GitHubSettings = field(default_factory=GitHubSettings)


def main(settings: Settings) -> int:
    from minprow.config import ConfigError, load_config
    from minprow.config.agent import ConfigAgent
    from minprow.store import default_state_dir

    paths = discover(settings.config_path, settings.job_config_path, settings.plugin_config)
    if not paths.existing():
        log.warning("no config.yaml or jobs/ here and no --config-path: running with no jobs")

    def load() -> Config:
        return load_config(*paths.args())

    try:
        # The agent's first load is the start-up validation: one load, every problem listed.
        agent = ConfigAgent(load, paths.existing())
    except ConfigError as err:
        commands.print_problems(err)
        return 1
    settings.state_dir = settings.state_dir or default_state_dir()
    try:
        return asyncio.run(_run(agent, settings, settings.state_dir))
    except SettingsError as err:
        return commands.fail_with(str(err))


async def _run(agent: ConfigAgent[Config], settings: Settings, state_dir: Path) -> int:
    from minprow.aio import SystemClock
    from minprow.runtime.components import Process
    from minprow.runtime.engines import EngineError, cluster_map
    from minprow.store import StoreError, open_store

    clock = SystemClock()
    artifacts = state_dir / "artifacts"
    try:
        # Every build cluster a job names runs on this machine, by default on one executor.
        clusters = cluster_map(settings.executor, settings.clusters, state_dir, artifacts, clock)
    except EngineError as err:
        log.error("%s", err)
        return 1
    store = open_store("sqlite", state_dir)
    try:
        await store.start()
    except (StoreError, OSError) as err:
        log.error("cannot open the job store in %s: %s (check --state-dir)", state_dir, err)
        return 1
    # The cache holds many long-lived objects: keep them out of the cyclic GC's
    # full collections, which would otherwise pause the loop for them.
    gc.freeze()
    _report_start(agent.get(), store, state_dir)
    routed = ", ".join(f"{c} on {e.name}" for c in clusters for e in [clusters.get(c)] if e)
    default = clusters.get("*")
    log.info(
        "jobs run on %s%s; artifacts go to %s unless a job's gcs_configuration names "
        "a bucket or a local_output_dir",
        default.name if default else "nothing",
        f" (clusters {routed})" if routed else "",
        artifacts,
    )
    github = settings.github.client(clock)
    process = Process(
        store=store,
        config=agent.get,
        clock=clock,
        clusters=clusters,
        artifacts_dir=artifacts,
        github=github,
        hmac_secret_file=_hmac_file(settings, state_dir),
        api_token_file=settings.api_token_file,
        slack_webhook_file=settings.slack_webhook_file,
        host=settings.host,
        port=settings.port,
    )
    group = TaskGroup()
    try:
        process.add(group, settings.components)
    except SettingsError:
        await store.close()
        raise
    group.add("config-agent", agent.run)
    group.add("config-log", lambda: _log_reloads(agent))
    group.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("minprow is up (%s); Ctrl-C stops it", ", ".join(process.started))
    if "hook" in process.started:
        log.info("webhooks: POST http://localhost:%d/hook", settings.port)
    log.info("API: http://localhost:%d/prowjobs.js, /api/v1/watch", settings.port)
    await stop.wait()
    log.info("stopping")
    await group.stop()
    if github is not None:
        await github.close()
    await store.close()
    return 0


def _hmac_file(settings: Settings, state_dir: Path) -> Path | None:
    if settings.hmac_secret_file is not None or "hook" not in settings.components:
        return settings.hmac_secret_file
    if not settings.make_hmac_secret:
        raise SettingsError("the hook needs --hmac-secret-file (or leave hook out of --components)")
    path = state_dir / HMAC_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_hex(32) + "\n")
    log.info(
        "to send this hook a webhook: minprow send-event --hmac-path %s --event-type TYPE "
        "--payload FILE --address http://localhost:%d/hook",
        path,
        settings.port,
    )
    return path


def _report_start(config: Config, store: JobStore, state_dir: Path) -> None:
    log.info("config: %s", commands.describe(config))
    if config.not_implemented:
        log.info(
            "config sections not implemented by minprow: %s", ", ".join(config.not_implemented)
        )
    states = Counter(pj.status.state.value for pj in store.list())
    held = ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "empty"
    log.info("job store: %s (%s)", state_dir / "prowjobs.db", held)
    log.warning("not in this build yet: %s", ", ".join(NOT_YET_BUILT))


async def _log_reloads(agent: ConfigAgent[Config]) -> None:
    updates = agent.subscribe()
    while True:
        config = await updates.get()
        log.info("config reloaded: %s", commands.describe(config))

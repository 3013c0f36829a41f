"""`minprow up`: everything in one process on a laptop.

Loads the configuration (hot-reloaded, keeping the last good one), opens the
embedded job store, picks the local executor (the Docker engine, else host
processes) for every build cluster, and runs horologium, plank and sinker as
guarded tasks until SIGINT or SIGTERM, then stops them in order (horologium
first: no new work; then plank; then sinker) and closes the store. Components
that are not part of this build yet are named at start-up rather than pretended.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.aio import TaskGroup
from minprow.runtime import commands
from minprow.runtime.defaults import discover

if TYPE_CHECKING:
    from minprow.config import Config
    from minprow.config.agent import ConfigAgent
    from minprow.store import JobStore

log = logging.getLogger("minprow.up")

# The components of DESIGN.md that this build does not run yet.
NOT_YET_BUILT = ("hook", "crier", "tui")


def main(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    state_dir: Path | None,
    *,
    executor: str = "auto",
    clusters: tuple[str, ...] = (),
) -> int:
    from minprow.config import ConfigError, load_config
    from minprow.config.agent import ConfigAgent
    from minprow.store import default_state_dir

    paths = discover(config_path, job_config_path, plugin_config)
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
    return asyncio.run(_run(agent, state_dir or default_state_dir(), executor, clusters))


async def _run(
    agent: ConfigAgent[Config], state_dir: Path, executor_kind: str, routes: tuple[str, ...]
) -> int:
    from minprow import horologium, plank, sinker
    from minprow.aio import SystemClock
    from minprow.runtime.engines import EngineError, cluster_map
    from minprow.store import StoreError, open_store

    clock = SystemClock()
    artifacts = state_dir / "artifacts"
    try:
        # Every build cluster a job names runs on this machine, by default on one executor.
        clusters = cluster_map(executor_kind, routes, state_dir, artifacts, clock)
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

    controller = plank.Plank(store, agent.get, clusters, clock, artifacts_dir=artifacts)
    group = TaskGroup()
    # Stopped in this order: no new periodics, then no new starts, then GC.
    group.add("horologium", lambda: horologium.run(store, agent.get, clock))
    group.add("plank", lambda: plank.run(controller))
    group.add("sinker", lambda: sinker.run(store, agent.get, clusters, clock))
    group.add("config-agent", agent.run)
    group.add("config-log", lambda: _log_reloads(agent))
    group.start()

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info("minprow is up; Ctrl-C stops it")
    await stop.wait()
    log.info("stopping")
    await group.stop()
    await store.close()
    return 0


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

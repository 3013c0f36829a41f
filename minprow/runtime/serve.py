"""`minprow serve` (and `minprow up`, its laptop form): the components in one process.

Loads the configuration (hot-reloaded, keeping the last good one), opens the
job store, maps build clusters to executors, builds the GitHub client when
credentials are given, and runs the chosen components as guarded tasks until
SIGINT or SIGTERM; then stops them in order (the hook first: no new work) and
closes the store. A second signal while it stops ends it at once (aio/signals.py);
a store or artifacts directory it cannot write into is an error at start.
Components that are not part of this build yet are named at start-up rather
than pretended.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import secrets
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.aio import TaskGroup
from minprow.aio.gcfreeze import FreezeSurvivors
from minprow.runtime import commands
from minprow.runtime.components import (
    COMPONENTS,
    DEFAULT_PORT,
    GitHubSettings,
    Leading,
    SettingsError,
)
from minprow.runtime.defaults import (
    API_TOKEN_FILE,
    ConfigPaths,
    configmap_dirs,
    discover,
    project_store,
)
from minprow.runtime.federation import KubeSettings
from minprow.store import liveness

if TYPE_CHECKING:
    from minprow.aio import Clock
    from minprow.aio.signals import Interrupts
    from minprow.config import Config
    from minprow.config.agent import ConfigAgent
    from minprow.executors.clusters import ClusterMap
    from minprow.hook.inbox import Inbox, InboxBackend
    from minprow.hook.plugins.config_updater import ConfigMapTarget
    from minprow.kube.kubeconfig import ClusterConfigs
    from minprow.kube.rotation import Rotator
    from minprow.runtime.components import Process
    from minprow.store import JobStore

log = logging.getLogger("minprow.serve")

FOREGROUND_QUIT_TIMEOUT = 5.0
"""Seconds the TUI has to quit at a signal before it is cancelled."""
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
    secrets_dir: Path | None = None
    """Local Secrets for the docker and host executors (a folder per Secret)."""
    configmaps_dir: Path | None = None
    host: str = "0.0.0.0"
    port: int = DEFAULT_PORT
    hmac_secret_file: Path | None = None
    api_token_file: Path | None = None
    """Bearer token for the API's rerun and abort (none: those are refused)."""
    make_hmac_secret: bool = False
    """Create `<state_dir>/hmac-secret` when no --hmac-secret-file is given (`up`)."""
    slack_webhook_file: Path | None = None
    local_repos: dict[str, Path] = field(default_factory=dict)
    """`--local-repo ORG/REPO=PATH`: clones standing in for GitHub repositories."""
    github: GitHubSettings = field(default_factory=GitHubSettings)
    kube: KubeSettings = field(default_factory=KubeSettings)
    use_kind: bool | None = False
    """`up`: True requires a kind cluster, None uses one when kind and Docker are there."""
    kind_name: str = "minprow"
    branchprotector_interval: timedelta = timedelta(minutes=30)
    config_paths: ConfigPaths | None = None
    """The configuration files found (`discover`), once `main` has looked."""
    foreground: Callable[[Process], Awaitable[object]] | None = None
    """Run in front while the components work (`up`'s TUI, its logs then go to a
    file); its end stops the process."""


def main(settings: Settings) -> int:
    from minprow.aio.signals import Interrupts

    # From the start (a kind cluster being made): one Ctrl-C stops, a second ends it at once.
    with Interrupts(_command(settings), screen=settings.foreground is not None) as interrupts:
        return _main(settings, interrupts)


def _command(settings: Settings) -> str:
    return "minprow up" if settings.make_hmac_secret else "minprow serve"


def _main(settings: Settings, interrupts: Interrupts) -> int:
    from minprow.config import ConfigError, load_config
    from minprow.config.agent import ConfigAgent

    paths = discover(settings.config_path, settings.job_config_path, settings.plugin_config)
    settings.config_paths = paths
    if not paths.existing():
        log.warning("no config.yaml or jobs/ here and no --config-path: running with no jobs")

    def load() -> Config:
        return load_config(*paths.args())

    try:
        # The agent's first load is the start-up validation: one load, every problem listed.
        agent = ConfigAgent(load, paths.watched())
    except ConfigError as err:
        commands.print_problems(err)
        return 1
    where = project_store(settings.state_dir, paths)
    state_what = where.origin
    settings.state_dir = where.path
    log.info("state directory (the job store, secrets, workspaces): %s", where.describe())
    unusable = _unusable_dirs(agent.get(), settings, settings.state_dir, state_what)
    if unusable:
        for problem in unusable:
            commands.fail_with(problem)
        return 1
    try:
        _prepare_up(agent.get(), settings, settings.state_dir)
    except UpError as err:
        return commands.fail_with(str(err))
    try:
        # The pauses of full collections stay short however many jobs the cache holds.
        with FreezeSurvivors():
            return asyncio.run(_run(agent, settings, settings.state_dir, interrupts))
    except SettingsError as err:
        return commands.fail_with(str(err))


def _unusable_dirs(config: Config, settings: Settings, state_dir: Path, what: str) -> list[str]:
    """What is wrong with the directories this process writes into: the state directory
    (`up` keeps its secret, log and kind files there; the embedded store and the local
    executors' workspaces) and where the local executors put artifacts."""
    from minprow.runtime import dirs, federation

    on_kube = settings.kube.wanted(federation.in_pod())
    if on_kube and not settings.make_hmac_secret:
        return []  # `serve` on Kubernetes: the cluster keeps the jobs, the pods upload
    wanted = [(state_dir, what)]
    if not on_kube:
        wanted.append((state_dir / "artifacts", "the artifacts directory"))
        wanted += dirs.local_output_dirs(config)
    return dirs.problems(wanted)


class UpError(RuntimeError):
    """`up` cannot get what it was asked for (a kind cluster): says which step and why."""


def _prepare_up(config: Config, settings: Settings, state_dir: Path) -> None:
    """`up`'s extras: the kind cluster when there is one, the log file under a TUI."""
    from minprow.runtime import up
    from minprow.runtime._kind_kube import KubeSetupError
    from minprow.runtime.kind import ImageBuildError, KindError

    if settings.use_kind is not False:
        try:
            kube = up.kind_settings(settings.use_kind, config, state_dir, settings.kind_name)
        except (up.UpError, KindError, ImageBuildError, KubeSetupError) as err:
            raise UpError(f"minprow up on kind: {err}") from err
        if kube is not None:
            settings.kube = kube
    if settings.foreground is not None:
        path = up.logs_to_file(state_dir)
        print(f"minprow up: state directory {state_dir}", file=sys.stderr)
        print(f"minprow up: logs go to {path} while the TUI runs", file=sys.stderr)


async def _run(
    agent: ConfigAgent[Config], settings: Settings, state_dir: Path, interrupts: Interrupts
) -> int:
    from minprow.aio import SystemClock
    from minprow.runtime.components import Process
    from minprow.runtime.engines import EngineError
    from minprow.runtime.federation import FederationError
    from minprow.runtime.localrepos import clone_from_local
    from minprow.store import StoreError

    clock = SystemClock()
    artifacts = state_dir / "artifacts"
    try:
        backing = _backing(agent, settings, state_dir, artifacts, clock)
    except (EngineError, FederationError) as err:
        log.error("%s", err)
        return 1
    store, clusters = backing.store, backing.clusters
    try:
        await store.start()
    except (StoreError, OSError) as err:
        log.error("cannot open the job store (%s): %s", backing.where, err)
        backing.close()
        return 1
    # The cache as loaded is long-lived: out of the full collections from the start
    # (later survivors follow after each one: aio/gcfreeze.py).
    gc.freeze()
    _report_start(agent.get(), store, backing.where)
    inbox = await _open_inbox(backing, settings, clock)
    if isinstance(inbox, int):
        await store.close()
        backing.close()
        return inbox
    routed = ", ".join(f"{c} on {e.name}" for c in clusters for e in [clusters.get(c)] if e)
    default = clusters.get("*")
    log.info(
        "jobs run on %s%s; artifacts go to %s unless a job's gcs_configuration names "
        "a bucket or a local_output_dir",
        default.name if default else "the cluster each job names",
        f" (clusters {routed})" if routed else "",
        artifacts,
    )
    github = settings.github.client(clock)
    clone_from_local(settings.local_repos)
    process = Process(
        store=store,
        config=agent.get,
        clock=clock,
        clusters=clusters,
        artifacts_dir=artifacts,
        github=github,
        inbox=inbox,
        hmac_secret_file=_hmac_file(settings, state_dir),
        api_token_file=_api_token(settings, state_dir),
        slack_webhook_file=settings.slack_webhook_file,
        host=settings.host,
        port=settings.port,
        local_repos=settings.local_repos,
        rotation=backing.rotation,
        cluster_configs=backing.cluster_configs,
        configmaps=backing.configmaps,
        branchprotector_interval=settings.branchprotector_interval,
    )
    group = TaskGroup()
    try:
        process.add(group, settings.components, leading=backing.leading)
    except SettingsError:
        if inbox is not None:
            await inbox.close()
        await store.close()
        backing.close()
        raise
    for name, factory in backing.tasks:
        group.add(name, factory)
    group.add("config-agent", agent.run)
    group.add("config-log", lambda: _log_reloads(agent, process.config_changed))
    group.start()

    stop = asyncio.Event()
    stop_listening = interrupts.on_stop(stop.set)
    log.info("minprow is up (%s); Ctrl-C stops it", ", ".join(process.started))
    if "hook" in process.started:
        log.info("webhooks: POST http://localhost:%d/hook", settings.port)
    log.info("API: http://localhost:%d/prowjobs.js, /api/v1/watch", settings.port)
    if settings.foreground is not None:
        await _until_either(settings.foreground(process), stop)
        interrupts.begin_stop(announce=False)
        interrupts.announce()  # now that the TUI's screen is gone
    else:
        await stop.wait()
    interrupts.begin_stop()  # from here a signal ends the process at once
    stop_listening()
    log.info("stopping")
    # The hook first (no new work), then the controllers: their lease is released
    # as they stop, so another replica takes over what was in flight.
    await group.stop()
    if github is not None:
        await github.close()
    if inbox is not None:
        await inbox.close()
    await store.close()
    backing.close()
    return 0


async def _open_inbox(backing: _Backing, settings: Settings, clock: Clock) -> int | Inbox | None:
    """The hook's webhook inbox, opened (what it kept unfinished is queued again);
    None without the hook; the exit status when it cannot be opened."""
    from minprow.hook.inbox import Inbox, InboxError

    if "hook" not in settings.components or backing.inbox is None:
        return None
    inbox = Inbox(backing.inbox, clock)
    try:
        waiting = await inbox.start()
    except InboxError as err:
        log.error("cannot open the webhook inbox: %s", err)
        await inbox.close()
        return 1
    log.info(
        "webhooks are kept in %s before they are answered%s",
        backing.inbox.where,
        f"; {waiting} accepted before the last stop are handled again" if waiting else "",
    )
    return inbox


async def _until_either(foreground: Awaitable[object], stop: asyncio.Event) -> None:
    """Wait for the foreground (the TUI) to end or a signal, whichever comes first."""
    front = asyncio.ensure_future(foreground)
    signalled = asyncio.ensure_future(stop.wait())
    await asyncio.wait({front, signalled}, return_when=asyncio.FIRST_COMPLETED)
    if not front.done():
        # The TUI heard the signal too and quits: let it put the terminal back first.
        await asyncio.wait({front}, timeout=FOREGROUND_QUIT_TIMEOUT)
    for task in (front, signalled):
        task.cancel()
    await asyncio.gather(front, signalled, return_exceptions=True)


@dataclass
class _Backing:
    """Where ProwJobs are kept and run: the store, the executors, their own tasks."""

    store: JobStore
    clusters: ClusterMap
    where: str
    tasks: list[tuple[str, Callable[[], Awaitable[None]]]] = field(default_factory=list)
    leading: Leading | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    inbox: InboxBackend | None = None
    """Where the hook keeps webhook deliveries until they are handled."""
    rotation: Rotator | None = None
    """The build-cluster token renewal (--rotate-build-credentials)."""
    cluster_configs: Callable[[], ClusterConfigs] | None = None
    """The build clusters' contexts as the kubeconfig agent has them now."""
    configmaps: ConfigMapTarget | None = None
    """Where config-updater writes: ConfigMaps in the clusters, or the local config files."""

    def close(self) -> None:
        for closer in self.closers:
            closer()


def _backing(
    agent: ConfigAgent[Config],
    settings: Settings,
    state_dir: Path,
    artifacts: Path,
    clock: Clock,
) -> _Backing:
    from minprow.hook.inbox import SqliteInbox
    from minprow.hook.plugins.config_updater import LocalConfigMaps
    from minprow.runtime import federation
    from minprow.runtime.engines import cluster_map, local_objects
    from minprow.store import DB_FILE, open_store

    kube = settings.kube
    if not kube.wanted(federation.in_pod()):
        # Every build cluster a job names runs on this machine, by default on one executor.
        objects = local_objects(settings.secrets_dir, settings.configmaps_dir)
        clusters = cluster_map(
            settings.executor, settings.clusters, state_dir, artifacts, clock, objects
        )
        log.info("ProwJobs are kept in the embedded store %s", state_dir / DB_FILE)
        backing = _Backing(
            open_store("sqlite", state_dir),
            clusters,
            str(state_dir / DB_FILE),
            inbox=SqliteInbox.in_dir(state_dir),
        )
        if settings.config_paths is not None:
            backing.configmaps = LocalConfigMaps(configmap_dirs(settings.config_paths))
        if "plank" in settings.components:
            backing.closers.append(_mark_running(settings, state_dir).release)
        return backing
    if settings.clusters:
        raise federation.FederationError(
            "--cluster maps clusters to local executors; with Kubernetes, each cluster is "
            "a kubeconfig context"
        )
    contexts = federation.cluster_agent(kube)
    namespace = agent.get().prowjob_namespace
    store = federation.job_store(contexts, kube, namespace)
    clusters = federation.build_clusters(contexts, kube, agent.get, clock)
    backing = _Backing(
        store,
        clusters,
        f"ProwJob custom resources in namespace {namespace}",
        inbox=federation.webhook_inbox(contexts, kube, namespace, clock),
    )
    backing.tasks.append(("kubeconfig-agent", lambda: contexts.run(clock)))
    backing.tasks.append(("prowjob-follow", lambda: _follow(store, clock)))
    backing.closers.append(lambda: federation.close_executors(clusters))
    controllers = [c for c in settings.components if c != "hook"]
    if controllers and kube.leader_elect is not False:
        backing.leading = federation.leader_election(contexts, kube, namespace, clock)
    # The renewal runs with the controllers (under their lease: the leader renews).
    backing.rotation = federation.credential_rotation(
        contexts, kube, clock, controllers=bool(controllers)
    )
    backing.cluster_configs = contexts.get
    backing.configmaps = federation.config_maps(contexts, kube)
    backing.tasks.append(
        ("credential-expiry", federation.expiry_warnings(contexts, kube, clock).run)
    )
    return backing


FOLLOW_INTERVAL = 1.0
"""Seconds between two reads of the ProwJob changes other writers made (kube store)."""


async def _follow(store: JobStore, clock: Clock, interval: float = FOLLOW_INTERVAL) -> None:
    """Bring the ProwJobs others wrote (`kubectl create`, another replica's hook or
    controllers) into this process's cache, which feeds plank's watch and the API.

    The kube store's cache learns of its own writes at once, but of anyone else's
    only through `refresh` (Prow's informers follow the watch; this is the same
    watch, read at the interval)."""
    from minprow.store import StoreError

    while True:
        try:
            await store.refresh()
        except StoreError as err:
            log.warning("cannot read the ProwJob changes from the cluster: %s", err)
        await clock.sleep(interval)


def _mark_running(settings: Settings, state_dir: Path) -> liveness.Holding:
    """Say in the state directory that this process runs its jobs, for `minprow tui`
    over it (store/liveness.py)."""
    holding, other = liveness.hold(state_dir, _command(settings), _local_url(settings))
    if other is not None:
        log.warning(
            "%s also runs the jobs of %s: both will start them", other.describe(), state_dir
        )
    return holding


def _local_url(settings: Settings) -> str:
    """Where a client on this machine reaches the API: localhost for any address."""
    host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "localhost"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def _api_token(settings: Settings, state_dir: Path) -> Path | None:
    """--api-token-file; under `up`, a token it keeps in the state directory, as it does
    the HMAC secret, so `minprow tui --url` in the same project can rerun and abort."""
    if settings.api_token_file is not None or not settings.make_hmac_secret:
        return settings.api_token_file
    path = _secret_file(state_dir / API_TOKEN_FILE)
    log.info("the API's token for rerun and abort (minprow tui --url uses it): %s", path)
    return path


def _secret_file(path: Path) -> Path:
    """`path`, made (0600, 32 random bytes in hex) when it is not there yet or empty.

    Written whole under another name, then linked into place: a reader never sees
    it half written, and of two processes starting at once, the second keeps the
    first's (a link never replaces a file)."""
    if path.exists() and path.stat().st_size > 0:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, (secrets.token_hex(32) + "\n").encode())
    finally:
        os.close(fd)
    try:
        if path.exists():  # empty: a start killed before it wrote its secret
            os.replace(draft, path)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
    finally:
        draft.unlink(missing_ok=True)
    return path


def _hmac_file(settings: Settings, state_dir: Path) -> Path | None:
    if settings.hmac_secret_file is not None or "hook" not in settings.components:
        return settings.hmac_secret_file
    if not settings.make_hmac_secret:
        raise SettingsError("the hook needs --hmac-secret-file (or leave hook out of --components)")
    path = _secret_file(state_dir / HMAC_FILE)
    log.info(
        "to send this hook a webhook: minprow send-event --hmac-path %s --event-type TYPE "
        "--payload FILE --address http://localhost:%d/hook",
        path,
        settings.port,
    )
    return path


def _report_start(config: Config, store: JobStore, where: str) -> None:
    log.info("config: %s", commands.describe(config))
    if config.not_implemented:
        log.info(
            "config sections not implemented by minprow: %s", ", ".join(config.not_implemented)
        )
    for problem in [*config.warnings, *config.notices]:
        log.warning("config: %s", problem)
    states = Counter(pj.status.state.value for pj in store.list())
    held = ", ".join(f"{n} {s}" for s, n in sorted(states.items())) or "empty"
    log.info("job store: %s (%s)", where, held)


async def _log_reloads(agent: ConfigAgent[Config], changed: Callable[[Config], None]) -> None:
    updates = agent.subscribe()
    while True:
        config = await updates.get()
        log.info("config reloaded: %s", commands.describe(config))
        changed(config)

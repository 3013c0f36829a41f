"""The local executors and the cluster mapping that picks one per job.

`minprow up` and `minprow run` run every cluster's jobs on this machine
(DESIGN.md: a laptop has one engine). `--executor docker|host` forces the
default; `auto` asks the engine and falls back to the host executor, saying
why. `--cluster NAME=KIND` (repeatable) sends the jobs of build cluster NAME to
another kind, e.g. `--cluster gpu=host`. Each kind keeps its workspaces in its
own directory under the state directory, so one never takes the other's for
its own.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from minprow.aio import Clock
from minprow.executors.base import Executor
from minprow.executors.clusters import ClusterMap
from minprow.podutils.localobjects import LocalObjects

log = logging.getLogger("minprow.executors")

EXECUTOR_KINDS = ("auto", "docker", "host")


class EngineError(RuntimeError):
    """The requested executor cannot run here."""


def docker_unavailable() -> str | None:
    """Why the local Docker engine cannot be used, or None when it answers."""
    _, why = _docker_client()
    return why


def _docker_client() -> tuple[Any, str | None]:
    """A client of the local engine that answered a ping, or None and why not."""
    from minprow.executors._engineapi import EngineClient, EngineError

    try:
        client = EngineClient()
        client.ping()
    except EngineError as err:
        return None, f"{type(err).__name__}: {err}"
    return client, None


def cluster_map(
    default_kind: str,
    routes: Iterable[str],
    state_dir: Path,
    artifacts_dir: Path,
    clock: Clock,
    objects: LocalObjects | None = None,
) -> ClusterMap:
    """Every cluster on `default_kind`, except those `routes` ("NAME=KIND") send elsewhere."""
    wanted: dict[str, str] = {}
    for route in routes:
        name, sep, kind = route.partition("=")
        if not sep or not name or kind not in EXECUTOR_KINDS:
            raise EngineError(
                f"--cluster {route!r}: expected NAME=KIND with KIND one of {', '.join(EXECUTOR_KINDS)}"
            )
        wanted[name] = kind
    made: dict[str, Executor] = {}

    def executor(kind: str) -> Executor:
        if kind not in made:
            made[kind] = local_executor(kind, state_dir, artifacts_dir, clock, objects)
        return made[kind]

    fallback = executor(default_kind)
    return ClusterMap({name: executor(kind) for name, kind in wanted.items()}, fallback)


def local_objects(secrets_dir: Path | None, configmaps_dir: Path | None) -> LocalObjects:
    """The local Secret and ConfigMap folders: the flags', else the user's defaults."""
    defaults = LocalObjects()
    return LocalObjects(
        secrets_dir=(secrets_dir or defaults.secrets_dir).absolute(),
        configmaps_dir=(configmaps_dir or defaults.configmaps_dir).absolute(),
    )


def local_executor(
    kind: str,
    state_dir: Path,
    artifacts_dir: Path,
    clock: Clock,
    objects: LocalObjects | None = None,
) -> Executor:
    """The executor of `kind` (auto, docker, host), its workspaces under `state_dir`
    and its persistent volume claims in `<state_dir>/claims`."""
    if kind not in EXECUTOR_KINDS:
        raise EngineError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTOR_KINDS)}")
    if kind in ("auto", "docker"):
        client, why = _docker_client()
        if client is not None:
            from minprow.executors.docker import DockerExecutor

            # The client that answered the ping, not a second one asking the
            # engine's version again (25 ms of every `minprow run`).
            return DockerExecutor(
                workspaces_dir=state_dir / "workspaces" / "docker",
                artifacts_dir=artifacts_dir,
                clock=clock,
                objects=objects,
                claims_dir=state_dir / "claims",
                client_factory=lambda: client,
            )
        if kind == "docker":
            raise EngineError(f"the Docker engine does not answer ({why}); is dockerd running?")
        log.warning("no Docker engine (%s): running jobs as host processes", why)
    from minprow.executors.host import HostExecutor

    return HostExecutor(
        workspaces_dir=state_dir / "workspaces" / "host",
        artifacts_dir=artifacts_dir,
        clock=clock,
        objects=objects,
    )

"""The local executor: the Docker engine when one answers, else plain host processes.

`minprow up` and `minprow run` run every cluster's jobs here (DESIGN.md: a
laptop has one engine). `--executor docker|host` forces one; `auto` asks the
engine and falls back to the host executor, saying why.
"""

from __future__ import annotations

import logging
from pathlib import Path

from minprow.aio import Clock
from minprow.executors.base import Executor

log = logging.getLogger("minprow.executors")

EXECUTOR_KINDS = ("auto", "docker", "host")


class EngineError(RuntimeError):
    """The requested executor cannot run here."""


def docker_unavailable() -> str | None:
    """Why the local Docker engine cannot be used, or None when it answers."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as err:  # the SDK raises many kinds; all mean "no engine"
        return f"{type(err).__name__}: {err}"
    return None


def local_executor(kind: str, state_dir: Path, artifacts_dir: Path, clock: Clock) -> Executor:
    """The executor of `kind` (auto, docker, host), its workspaces under `state_dir`."""
    workspaces = state_dir / "workspaces"
    if kind not in EXECUTOR_KINDS:
        raise EngineError(f"unknown executor {kind!r}; expected one of {', '.join(EXECUTOR_KINDS)}")
    if kind in ("auto", "docker"):
        why = docker_unavailable()
        if why is None:
            from minprow.executors.docker import DockerExecutor

            return DockerExecutor(
                workspaces_dir=workspaces, artifacts_dir=artifacts_dir, clock=clock
            )
        if kind == "docker":
            raise EngineError(f"the Docker engine does not answer ({why}); is dockerd running?")
        log.warning("no Docker engine (%s): running jobs as host processes", why)
    from minprow.executors.host import HostExecutor

    return HostExecutor(workspaces_dir=workspaces, artifacts_dir=artifacts_dir, clock=clock)

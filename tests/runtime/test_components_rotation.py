"""Where serve runs the build-cluster token renewal (runtime/components.py): with the
controllers, inside their one lease (never a second election of its own), and
not at all in a process that runs no controllers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from minprow.aio import SystemClock, TaskGroup
from minprow.config import Config
from minprow.executors.clusters import ClusterMap
from minprow.kube.kubeconfig import ServiceAccount
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.rotation import Rotator
from minprow.kube.tokens import Marker
from minprow.runtime.components import Process
from minprow.runtime.federation import KubeSettings, credential_rotation
from minprow.store import open_store

NOBODY = ServiceAccount(Path("/nonexistent/token"), Path("/nonexistent/ca.crt"))


def _agent(tmp_path: Path) -> ClusterConfigAgent:
    """One gencred context, `build` (its token's expiry unknown: never due)."""
    marker = Marker("default", "prow-build", timedelta(hours=48)).to_extension()
    doc = {
        "clusters": [{"name": "build", "cluster": {"server": "https://build:6443"}}],
        "users": [{"name": "build", "user": {"token": "opaque"}}],
        "contexts": [
            {
                "name": "build",
                "context": {"cluster": "build", "user": "build", "extensions": [marker]},
            }
        ],
        "current-context": "build",
    }
    (tmp_path / "k").write_text(yaml.safe_dump(doc))
    return ClusterConfigAgent([tmp_path / "k"], service_account=NOBODY)


@pytest.mark.parametrize(
    ("components", "elected", "renews", "leases", "tasks"),
    [
        (["sinker"], True, True, 1, ["http", "controllers"]),
        (["sinker"], False, True, 0, ["http", "sinker", "credential-rotation"]),
        (["hook"], True, False, 0, ["http"]),
    ],
    ids=["with-the-leaders-controllers", "no-election", "hook-only"],
)
async def test_the_renewal_runs_with_the_controllers(
    tmp_path: Path,
    components: list[str],
    elected: bool,
    renews: bool,
    leases: int,
    tasks: list[str],
) -> None:
    agent = _agent(tmp_path)
    settings = KubeSettings(rotate_build_credentials=True)
    rotator = credential_rotation(
        agent, settings, SystemClock(), controllers=components != ["hook"]
    )
    assert (rotator is not None) == renews
    taken: list[Callable[[], Awaitable[None]]] = []

    async def leading(lead: Callable[[], Awaitable[None]]) -> None:
        taken.append(lead)
        await lead()

    (tmp_path / "hmac").write_text("secret")
    async with open_store("memory") as store:
        process = Process(
            store=store,
            config=Config,
            clock=SystemClock(),
            clusters=ClusterMap({}),
            artifacts_dir=tmp_path / "artifacts",
            hmac_secret_file=tmp_path / "hmac",
            host="127.0.0.1",
            port=0,
            rotation=rotator,
            cluster_configs=agent.get,
        )
        group = TaskGroup()
        process.add(group, components, leading=leading if elected else None)
        names = [task.name for task in group.tasks]
        group.start()
        try:
            for _ in range(100):
                if rotator is None or "build" in rotator.states:
                    break
                await asyncio.sleep(0.02)
        finally:
            await group.stop()
    # One lease for all the controllers: the renewal is not a second candidate.
    assert len(taken) == leases
    assert names == tasks
    assert process.started == components
    if isinstance(rotator, Rotator):
        # It ran (inside the controllers' group): the gencred context was looked at.
        assert rotator.states["build"].due_at is None

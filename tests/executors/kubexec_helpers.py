"""Helpers of the kubernetes executor tests: federated build clusters as fake API
servers behind one real kubeconfig file, executors over them, and ProwJobs.

Imported as `from kubexec_helpers import ...` (a name no other test directory
uses). Each `Federation` cluster is a `fakekube.FakeKube` on the test's own
event loop (the executor's calls run in threads, so the loop serves them while
the test awaits); `AuthRecordingKube` adds one thing the fake does not record,
the bearer token of each request, for the credential-rotation test.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakekube import FakeKube, write_kubeconfig

from minprow import pjutil
from minprow.aio import Clock
from minprow.executors.kubernetes import KubernetesExecutor
from minprow.kube.kubeconfig import ClusterConfig, ClusterConfigs, load_cluster_configs
from minprow.model import ProwJob, ProwJobSpec

NAMESPACE = "test-pods"
PODUTILS_IMAGE = "gcr.io/k8s-prow/minprow:test"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
FAST = {"request_timeout": (1.0, 2.0), "slow_after": 0.3, "threads": 4}
"""Short timeouts: a black-holed cluster is detected in a third of a second."""
WAIT = 10.0


class AuthRecordingKube(FakeKube):
    """The fake API server, remembering the bearer token of every request."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def app(self) -> web.Application:
        app = super().app()

        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            self.tokens.append(request.headers.get("Authorization", ""))
            response: web.StreamResponse = await handler(request)
            return response

        app.middlewares.append(record)
        return app


@dataclass
class Federation:
    """Named fake clusters, their kubeconfig and one executor per context."""

    kubeconfig: Path
    clock: Clock
    fakes: dict[str, AuthRecordingKube]
    token: str = "token-1"
    configs: ClusterConfigs | None = None
    executors: dict[str, KubernetesExecutor] = field(default_factory=dict)

    def write(self, token: str) -> None:
        """(Re)write the kubeconfig with `token` and load it, as the kubeconfig agent does."""
        self.token = token
        urls = {name: fake.url for name, fake in self.fakes.items()}
        write_kubeconfig(self.kubeconfig, urls, token=token, current=next(iter(urls)))
        self.configs = load_cluster_configs([self.kubeconfig], in_cluster=False)

    def config_of(self, context: str) -> Callable[[], ClusterConfig]:
        def current() -> ClusterConfig:
            assert self.configs is not None
            return self.configs[context]

        return current

    def executor(self, context: str, *, fresh: bool = False, **options: Any) -> KubernetesExecutor:
        """The executor of `context`; with `fresh`, a new one (as a restarted minprow
        makes), which the caller closes."""
        if not fresh and context in self.executors:
            return self.executors[context]
        executor = KubernetesExecutor(
            context,
            self.config_of(context),
            lambda: NAMESPACE,
            PODUTILS_IMAGE,
            self.clock,
            **{**FAST, **options},
        )
        if not fresh:
            self.executors[context] = executor
        return executor

    def close(self) -> None:
        for executor in self.executors.values():
            executor.close()


async def federation(names: list[str], tmp_path: Path, clock: Clock) -> Federation:
    fakes = {name: AuthRecordingKube() for name in names}
    for fake in fakes.values():
        fake.now = clock.now  # the kubelet's times in the test's virtual time
        await fake.start()
    fed = Federation(tmp_path / "kubeconfig.yaml", clock, fakes)
    fed.write("token-1")
    return fed


def make_job(
    cluster: str, *, name: str | None = None, decoration: dict[str, Any] | None = None
) -> ProwJob:
    """A periodic ProwJob for `cluster`, made by the one factory."""
    spec = ProwJobSpec.model_validate(
        {
            "type": "periodic",
            "job": f"periodic-{cluster}",
            "agent": "kubernetes",
            "cluster": cluster,
            "decoration_config": decoration,
            "pod_spec": {"containers": [{"name": "test", "image": "busybox", "command": ["true"]}]},
        }
    )
    pj_name = name or f"pj-{uuid.uuid4().hex[:12]}"
    pj = pjutil.new_prowjob(spec, now=NOW, namespace="default", name=pj_name)
    pj.status.build_id = "1234"
    pj.metadata.creation_timestamp = NOW  # virtual time's T0, not the store's wall clock
    return pj


async def wait_for(
    check: Callable[[], Awaitable[bool] | bool], what: Callable[[], str], within: float = WAIT
) -> None:
    """Poll `check` until it is true; fail after `within` seconds, saying `what`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            pytest.fail(f"timed out waiting for {what()}")
        await asyncio.sleep(0.02)

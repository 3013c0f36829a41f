"""The docker executor: a ProwJob's pod as containers of the local Docker engine.

What Prow's plank does with a pod in a build cluster (pkg/plank/reconciler.go),
and what the pod utilities do around its test container
(pkg/pod-utils/decorate/podspec.go), on one machine through the Engine API (`_engineapi`):

- **The test container** runs the plan's image with `command` as the
  entrypoint and `args` as the cmd, as Kubernetes maps them: an empty command
  keeps the image's entrypoint, a command without args drops the image's cmd.
  It gets the plan's env and working directory, `limits.cpu` as `nano_cpus`
  (capped at the engine's CPUs, so a job sized for a CI node still runs on a
  laptop) and `limits.memory` as `mem_limit` (without swap, as on Kubernetes);
  OOMKilled shows as the failure's reason.
- **Several containers are a pod**: the first one is the test container, the
  others join its network namespace (`network_mode=container:<test>`: they
  reach each other on localhost, as in a pod) and start right after it. The
  job's result is the test container's exit code; once it has exited,
  `collect` stops the others (a database a test used would run forever). A
  sidecar that cannot start because the test container already exited is left
  unstarted.
- **Names and labels**: the test container is `minprow-<prowjob>`, the others
  `minprow-<prowjob>--<name>`, so starting twice finds what the first start
  made (a lost name-conflict race is a start that already happened). Every
  container has Prow's pod labels (`created-by-prow`, `prow.k8s.io/id`,
  `prow.k8s.io/job`, ... as `labels_and_annotations_for_job` makes them), plus
  `minprow.io/managed=true`, `minprow.io/prowjob=<name>` and
  `minprow.io/workspaces=<workspaces_dir>`, by which `list_managed` finds this
  minprow's containers and nothing else (one engine may serve several: a
  `minprow up`, a `minprow run`, a test run).
- **Decorated jobs** get a workspace `<workspaces_dir>/<prowjob>` whose `code`
  is bind-mounted at /home/prow/go and `logs` at /logs. Bind mounts, not named
  volumes: GitPython clones on this side, before the container starts, and
  bind mounts of a directory of the user's work on Docker Desktop too (keep
  `workspaces_dir` under a directory it shares, such as the home directory).
  `collect` writes the container's output (stdout and stderr interleaved) to
  `logs/build-log.txt` and uploads it with the artifacts and metadata.
  Undecorated jobs have no workspace.
- **What the kubelet resolves** is resolved on this machine first
  (`podutils.localpod.localize`): env `valueFrom` and `envFrom`, with Secrets
  and ConfigMaps from the local folders of `objects`; the pod's volumes, made
  by `_localvolumes` and mounted at each container's mountPaths; the security
  contexts as engine options (privileged, capabilities, user and groups,
  read-only root, no-new-privileges, unconfined profiles, sysctls) and
  hostNetwork/hostPID/hostIPC. A job that needs a Secret, key or host path
  that is not here is a StartError listing each, saying where to put it; what
  cannot be honoured is logged once per job before it starts.
- **Images** missing locally are pulled (Kubernetes' `IfNotPresent`); one that
  can be neither found nor pulled is a StartError, as is a spec the engine
  rejects (a relative working dir, a 1-byte memory limit). An engine that does
  not answer is an ExecutorError: plank tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from minprow.aio import Clock
from minprow.executors import _dockerengine as engine
from minprow.executors import _localvolumes as localvolumes
from minprow.executors import _workspaces as workspaces
from minprow.executors._dockerengine import MANAGED, OWNER, PROWJOB, Mount, container_name
from minprow.executors._dockershell import cli_argv
from minprow.executors._engineapi import EngineClient, EngineError, NotFound, Unreachable
from minprow.executors._localize import local_plan
from minprow.executors._threadstream import stream_in_thread
from minprow.executors.base import (
    ExecutorError,
    Managed,
    Observation,
    Phase,
    StartError,
)
from minprow.model import ProwJob
from minprow.model.labels import labels_and_annotations_for_job
from minprow.podutils.decorate import Workspace
from minprow.podutils.downward import HostFacts
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.render import ContainerPlan, RunPlan

log = logging.getLogger("minprow.executors.docker")

__all__ = ["MANAGED", "OWNER", "PROWJOB", "DockerExecutor", "container_name"]

ENGINE_THREADS = 32
"""At most this many engine calls at once (stops that wait out a grace period included)."""
_T = TypeVar("_T")


class DockerExecutor:
    """Runs ProwJobs as containers of one Docker engine (see the module docstring)."""

    name = "docker"
    workload = "container"
    decoration_timeout_in_job = False
    """minprow stops the process at the decoration timeout (plank asks it to)."""

    def unavailable(self) -> str | None:
        return None  # an engine that fails says so when called

    def __init__(
        self,
        workspaces_dir: Path,
        artifacts_dir: Path,
        clock: Clock,
        *,
        client_factory: Callable[[], EngineClient] | None = None,
        objects: LocalObjects | None = None,
        claims_dir: Path | None = None,
        host: HostFacts | None = None,
    ) -> None:
        self._workspaces = Path(workspaces_dir).absolute()
        self._objects = objects or LocalObjects()
        self._claims = Path(claims_dir or self._workspaces.parent / "claims").absolute()
        self._host = host
        self._artifacts = Path(artifacts_dir).absolute()
        self._clock = clock
        self._factory = client_factory or EngineClient
        self._client: EngineClient | None = None
        self._client_lock = threading.Lock()
        self._cpus: int | None = None
        self._preparing: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}
        # Its own threads: a stop blocks one for up to a grace period, and many
        # jobs may be stopped at once without holding up the loop's default pool.
        self._threads = ThreadPoolExecutor(ENGINE_THREADS, thread_name_prefix="docker")

    # the protocol

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        if not plan.containers:
            raise StartError(f"ProwJob {plan.prowjob} has no container to run")
        plan = local_plan(plan, self._objects, self._host)
        workspace = workspaces.workspace_for(self._workspaces, plan.prowjob)
        async with self._locks.setdefault(plan.prowjob, asyncio.Lock()):
            if plan.decorated and workspaces.clone_failure(workspace) is not None:
                return
            exists = await self._engine(lambda c: self._exists_or_pull(c, plan), "start")
            if not exists and plan.decorated:
                failed = await self._prepare(job, plan, workspace)
                if failed is not None:
                    log.info("ProwJob %s: %s", plan.prowjob, failed.reason)
                    return
            await self._engine(lambda c: self._create_and_start(c, job, plan, workspace), "start")

    async def observe(self, prowjob: str) -> Observation:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        failed = workspaces.clone_failure(workspace)
        if failed is not None:
            return failed
        state = await self._engine(lambda c: engine.state_of(c, container_name(prowjob)), "observe")
        if state is None:
            preparing = prowjob in self._preparing
            return Observation(Phase.PENDING if preparing else Phase.MISSING)
        return engine.observation(state)

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        name = container_name(prowjob)

        def open_stream(client: EngineClient) -> Any:
            try:
                return client.logs(name, follow=follow)
            except NotFound:
                return None

        stream = await self._engine(open_stream, "read the logs")
        if stream is None:
            # No container: a failed clone's log is all this job printed.
            workspace = workspaces.workspace_for(self._workspaces, prowjob)
            if workspaces.clone_failure(workspace) is not None and workspace.build_log.is_file():
                yield workspace.build_log.read_bytes()
            return
        try:
            async for chunk in stream_in_thread(iter(stream), stream.close, name=f"logs {name}"):
                yield chunk
        except (EngineError, OSError) as err:
            raise ExecutorError(f"reading the logs of {name}: {err}") from err

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        rows = await self._engine(lambda c: engine.job_containers(c, prowjob), "abort")
        timeout = max(0, math.ceil(grace_period.total_seconds()))
        running = [row["Id"] for row in rows if row.get("State") in engine.RUNNING]
        # All at once, as the kubelet stops a pod's containers.
        await asyncio.gather(
            *(
                self._engine(partial(engine.stop, container=i, timeout=timeout), "abort")
                for i in running
            )
        )

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        name = plan.prowjob
        if len(plan.containers) > 1:
            await self._stop_sidecars(name, plan.grace_period)
        if not plan.decorated:
            return
        workspace = workspaces.workspace_for(self._workspaces, name)
        failed = workspaces.clone_failure(workspace)
        if failed is not None:
            await workspaces.finish(
                job,
                plan,
                workspace,
                exit_code=None,
                now=failed.finished_at or self._clock.now(),
                default_dir=self._artifacts,
            )
            return
        state = await self._engine(lambda c: engine.write_build_log(c, name, workspace), "collect")
        if state is None and not workspace.root.is_dir():
            return  # it never ran here: nothing to collect
        observed = engine.observation(state) if state is not None else Observation(Phase.MISSING)
        await workspaces.finish_observed(
            job, plan, workspace, observed, now=self._clock.now(), default_dir=self._artifacts
        )

    async def cleanup(self, prowjob: str) -> None:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        await self._engine(lambda c: engine.remove(c, prowjob), "cleanup")
        await asyncio.to_thread(workspaces.remove_tree, workspace.root)
        lock = self._locks.get(prowjob)
        if lock is not None and not lock.locked():
            del self._locks[prowjob]

    async def list_managed(self) -> list[Managed]:
        found = await self._engine(partial(engine.managed, owner=str(self._workspaces)), "list")
        names = await asyncio.to_thread(workspaces.workspace_names, self._workspaces)
        for name in names:
            if name in found:
                continue
            # A workspace without containers: a failed clone, a clone under way,
            # or what a crash mid-start left.
            workspace = workspaces.workspace_for(self._workspaces, name)
            failed = workspaces.clone_failure(workspace)
            if failed is not None:
                found[name] = Managed(name, Phase.FAILED, failed.finished_at)
            elif name in self._preparing:
                found[name] = Managed(name, Phase.PENDING)
            else:
                found[name] = Managed(name, Phase.FAILED, engine.mtime(workspace.root))
        return [found[name] for name in sorted(found)]

    # the engine

    async def _engine(self, call: Callable[[EngineClient], _T], what: str) -> _T:
        """Run `call` with the client in a worker thread; the engine's errors as ours."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._in_thread, call, what)

    def _in_thread(self, call: Callable[[EngineClient], _T], what: str) -> _T:
        try:
            return call(self._docker())
        except ExecutorError:
            raise
        except Unreachable as err:
            raise ExecutorError(
                f"docker {what}: the Docker engine does not answer ({err}); is dockerd running?"
            ) from err
        except EngineError as err:
            raise ExecutorError(f"docker {what}: {err.explanation}") from err
        except OSError as err:
            raise ExecutorError(f"docker {what}: {err}") from err

    def _docker(self) -> EngineClient:
        with self._client_lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def _exists_or_pull(self, client: EngineClient, plan: RunPlan) -> bool:
        """True when the job's test container exists; else every image is made present."""
        if engine.state_of(client, container_name(plan.prowjob)) is not None:
            return True
        for image in dict.fromkeys(c.image for c in plan.containers):
            engine.ensure_image(client, image)
        for spec in plan.containers:
            engine.check_non_root(client, spec)
        return False

    def _create_and_start(
        self, client: EngineClient, job: ProwJob, plan: RunPlan, workspace: Workspace
    ) -> None:
        labels, _ = labels_and_annotations_for_job(job)
        labels.update(
            {
                engine.MANAGED: "true",
                engine.PROWJOB: plan.prowjob,
                engine.OWNER: str(self._workspaces),
            }
        )
        mounts = self._pod_mounts(plan, workspace)
        containers: list[dict[str, Any]] = []
        for index, spec in enumerate(plan.containers):
            name = container_name(plan.prowjob, spec if index else None)
            network = f"container:{containers[0]['Id']}" if index else None
            role = {engine.ROLE: "sidecar" if index else "test", engine.CONTAINER: spec.name}
            config = self._create_config(client, spec, {**labels, **role}, mounts[index], network)
            if index == 0:
                config["HostConfig"].update(engine.host_namespaces(plan.pod_spec))
            containers.append(engine.create(client, name, config))
        for index, container in enumerate(containers):
            state = container["State"]
            if state["Status"] != "created" or state.get("Error"):
                continue  # started already, or its start failed for good
            try:
                client.start_container(container["Id"])
            except EngineError as err:
                if isinstance(err, Unreachable):
                    raise
                state = client.inspect_container(container["Id"])["State"]
                if index == 0 and not state.get("Error"):
                    raise
                # The engine could not run it (no such executable, the test
                # container already gone): its state says so, as a pod's would.
                log.info("ProwJob %s: %s did not start: %s", plan.prowjob, container["Name"], err)

    async def _prepare(
        self, job: ProwJob, plan: RunPlan, workspace: Workspace
    ) -> Observation | None:
        """Clone into a fresh workspace (any user may write it); the failed clone's
        observation, or None."""
        self._preparing.add(plan.prowjob)
        try:
            return await workspaces.prepare(
                job,
                plan,
                workspace,
                now=self._clock.now(),
                default_dir=self._artifacts,
                any_user=True,
            )
        finally:
            self._preparing.discard(plan.prowjob)

    def _pod_mounts(self, plan: RunPlan, workspace: Workspace) -> list[list[Mount]]:
        """The pod's volumes made on this machine, and each container's mounts."""
        shared = engine.mounts(plan, workspace)
        sources = localvolumes.materialize(plan, workspace.root, self._claims)
        volumes = {v.name: v for v in plan.volumes}
        if any(c.security and c.security.user is not None for c in plan.containers):
            # The job runs as a uid of its own: the checkout and logs minprow
            # made must stay writable for it, as Prow's emptyDirs are.
            workspaces.open_to_all(workspace)
        return [
            [*shared, *localvolumes.container_mounts(c, volumes, sources)] for c in plan.containers
        ]

    async def shell_command(
        self, job: ProwJob, plan: RunPlan, *, prepare: bool
    ) -> tuple[list[str], dict[str, str]]:
        """A `docker run -it` command line (and its env) for a shell in the test
        container's image, with the job's mounts, env, working directory and
        privileges; with `prepare`, the workspace is cloned and made first
        (`minprow run --shell=before`), else the finished job's is used."""
        plan = local_plan(plan, self._objects, self._host)
        workspace = workspaces.workspace_for(self._workspaces, plan.prowjob)
        if prepare and plan.decorated:
            failed = await self._prepare(job, plan, workspace)
            if failed is not None:
                raise StartError(failed.reason)

        def create_config(client: EngineClient) -> dict[str, Any]:
            spec = plan.test_container
            engine.ensure_image(client, spec.image)
            mounts = self._pod_mounts(plan, workspace)[0]
            config = self._create_config(client, spec, {}, mounts, None)
            config["HostConfig"].update(engine.host_namespaces(plan.pod_spec))
            return config

        config = await self._engine(create_config, "prepare a shell")
        return cli_argv(config)

    def _create_config(
        self,
        client: EngineClient,
        spec: ContainerPlan,
        labels: dict[str, str],
        mounts: list[Mount],
        network: str | None,
    ) -> dict[str, Any]:
        """The Engine API's create body for one container of the pod."""
        host: dict[str, Any] = {"Mounts": mounts}
        config: dict[str, Any] = {
            "Image": spec.image,
            "Env": [f"{name}={value}" for name, value in spec.env.items()],
            "Labels": labels,
            "HostConfig": host,
        }
        # As Kubernetes maps them: an empty command keeps the image's entrypoint.
        if spec.command:
            config["Entrypoint"] = list(spec.command)
        if spec.args:
            config["Cmd"] = list(spec.args)
        elif spec.command:
            config["Cmd"] = []
        if spec.working_dir:
            config["WorkingDir"] = spec.working_dir
        if spec.cpu_limit:
            cpus = min(max(spec.cpu_limit, 0.01), self._engine_cpus(client))
            host["NanoCpus"] = int(cpus * 1e9)
        if spec.memory_limit:
            host["Memory"] = host["MemorySwap"] = spec.memory_limit
        if network:
            host["NetworkMode"] = network
        if spec.security is not None:
            host.update(engine.security_config(spec.security))
            if spec.security.docker_user is not None:
                config["User"] = spec.security.docker_user
        return config

    def _engine_cpus(self, client: EngineClient) -> int:
        if self._cpus is None:
            self._cpus = int(client.info().get("NCPU") or 1)
        return self._cpus

    async def _stop_sidecars(self, prowjob: str, grace_period: timedelta) -> None:
        rows = await self._engine(lambda c: engine.job_containers(c, prowjob), "stop sidecars")
        timeout = max(0, math.ceil(grace_period.total_seconds()))
        sidecars = [
            row["Id"]
            for row in rows
            if (row.get("Labels") or {}).get(engine.ROLE) == "sidecar"
            and row.get("State") in engine.RUNNING
        ]
        await asyncio.gather(
            *(
                self._engine(partial(engine.stop, container=i, timeout=timeout), "stop sidecars")
                for i in sidecars
            )
        )

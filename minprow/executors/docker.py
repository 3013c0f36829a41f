"""The docker executor: a ProwJob's pod as containers of the local Docker engine.

What Prow's plank does with a pod in a build cluster (pkg/plank/reconciler.go),
and what the pod utilities do around its test container
(pkg/pod-utils/decorate/podspec.go), on one machine through the `docker` SDK:

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
- **Images** missing locally are pulled (Kubernetes' `IfNotPresent`); one that
  can be neither found nor pulled is a StartError, as is a spec the engine
  rejects (a relative working dir, a 1-byte memory limit). An engine that does
  not answer is an ExecutorError: plank tries again later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import docker
import docker.errors
import requests
from docker import DockerClient
from docker.types import Mount

from minprow.aio import Clock
from minprow.executors import _workspaces as workspaces
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
from minprow.podutils.render import CODE_MOUNT, LOGS_MOUNT, ContainerPlan, RunPlan

log = logging.getLogger("minprow.executors.docker")

MANAGED = "minprow.io/managed"
"""Label on every container minprow creates, value "true"."""
PROWJOB = "minprow.io/prowjob"
"""The ProwJob's name in full (`prow.k8s.io/id` is dropped when it is not a valid label value)."""
ROLE = "minprow.io/role"
"""`test` for the first container of the pod, `sidecar` for the others."""
CONTAINER = "minprow.io/container"
"""The container's name in the job's pod spec."""
OWNER = "minprow.io/workspaces"
"""The executor's `workspaces_dir`: which minprow on this machine started the container
(one engine serves them all; each lists and collects only its own)."""

_RUNNING = frozenset({"running", "paused", "restarting"})
_EXITED = frozenset({"exited", "dead"})
_FRACTION = re.compile(r"\.(\d+)")
_T = TypeVar("_T")


def container_name(prowjob: str, container: ContainerPlan | None = None) -> str:
    """`minprow-<prowjob>` for the test container, `minprow-<prowjob>--<name>` for another."""
    base = f"minprow-{prowjob}"
    return base if container is None else f"{base}--{container.name}"


class DockerExecutor:
    """Runs ProwJobs as containers of one Docker engine (see the module docstring)."""

    name = "docker"

    def __init__(
        self,
        workspaces_dir: Path,
        artifacts_dir: Path,
        clock: Clock,
        *,
        client_factory: Callable[[], DockerClient] | None = None,
    ) -> None:
        self._workspaces = Path(workspaces_dir).absolute()
        self._artifacts = Path(artifacts_dir).absolute()
        self._clock = clock
        self._factory = client_factory or docker.from_env
        self._client: DockerClient | None = None
        self._client_lock = threading.Lock()
        self._cpus: int | None = None
        self._preparing: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    # the protocol

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        if not plan.containers:
            raise StartError(f"ProwJob {plan.prowjob} has no container to run")
        workspace = workspaces.workspace_for(self._workspaces, plan.prowjob)
        async with self._locks.setdefault(plan.prowjob, asyncio.Lock()):
            if plan.decorated and workspaces.clone_failure(workspace) is not None:
                return
            exists = await self._engine(lambda c: self._exists_or_pull(c, plan), "start")
            if not exists and plan.decorated:
                self._preparing.add(plan.prowjob)
                try:
                    failed = await workspaces.prepare(
                        job,
                        plan,
                        workspace,
                        now=self._clock.now(),
                        default_dir=self._artifacts,
                    )
                finally:
                    self._preparing.discard(plan.prowjob)
                if failed is not None:
                    log.info("ProwJob %s: %s", plan.prowjob, failed.reason)
                    return
            await self._engine(lambda c: self._create_and_start(c, job, plan, workspace), "start")

    async def observe(self, prowjob: str) -> Observation:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        failed = workspaces.clone_failure(workspace)
        if failed is not None:
            return failed
        state = await self._engine(lambda c: _state(c, container_name(prowjob)), "observe")
        if state is None:
            preparing = prowjob in self._preparing
            return Observation(Phase.PENDING if preparing else Phase.MISSING)
        return observation(state)

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        name = container_name(prowjob)

        def open_stream(client: DockerClient) -> Any:
            try:
                return client.api.logs(name, stdout=True, stderr=True, stream=True, follow=follow)
            except docker.errors.NotFound:
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
        except (docker.errors.DockerException, requests.RequestException, OSError) as err:
            raise ExecutorError(f"reading the logs of {name}: {err}") from err

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        rows = await self._engine(lambda c: _job_containers(c, prowjob), "abort")
        timeout = max(0, math.ceil(grace_period.total_seconds()))
        running = [row["Id"] for row in rows if row.get("State") in _RUNNING]
        # All at once, as the kubelet stops a pod's containers.
        await asyncio.gather(
            *(self._engine(partial(_stop, container=i, timeout=timeout), "abort") for i in running)
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
        state = await self._engine(lambda c: _write_build_log(c, name, workspace), "collect")
        if state is None and not workspace.root.is_dir():
            return  # it never ran here: nothing to collect
        observed = observation(state) if state is not None else Observation(Phase.MISSING)
        await workspaces.finish(
            job,
            plan,
            workspace,
            exit_code=observed.exit_code if observed.phase.is_final else None,
            now=observed.finished_at or self._clock.now(),
            default_dir=self._artifacts,
        )

    async def cleanup(self, prowjob: str) -> None:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        await self._engine(lambda c: _remove(c, prowjob), "cleanup")
        await asyncio.to_thread(workspaces.remove_tree, workspace.root)
        lock = self._locks.get(prowjob)
        if lock is not None and not lock.locked():
            del self._locks[prowjob]

    async def list_managed(self) -> list[Managed]:
        found = await self._engine(partial(_managed, owner=str(self._workspaces)), "list")
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
                found[name] = Managed(name, Phase.FAILED, _mtime(workspace.root))
        return [found[name] for name in sorted(found)]

    # the engine

    async def _engine(self, call: Callable[[DockerClient], _T], what: str) -> _T:
        """Run `call` with the client in a worker thread; the SDK's errors as ours."""
        return await asyncio.to_thread(self._in_thread, call, what)

    def _in_thread(self, call: Callable[[DockerClient], _T], what: str) -> _T:
        try:
            return call(self._docker())
        except ExecutorError:
            raise
        except docker.errors.APIError as err:
            raise ExecutorError(f"docker {what}: {err.explanation or err}") from err
        except (docker.errors.DockerException, requests.RequestException, OSError) as err:
            raise ExecutorError(
                f"docker {what}: the Docker engine does not answer ({err}); is dockerd running?"
            ) from err

    def _docker(self) -> DockerClient:
        with self._client_lock:
            if self._client is None:
                self._client = self._factory()
            return self._client

    def _exists_or_pull(self, client: DockerClient, plan: RunPlan) -> bool:
        """True when the job's test container exists; else every image is made present."""
        if _state(client, container_name(plan.prowjob)) is not None:
            return True
        for image in dict.fromkeys(c.image for c in plan.containers):
            _ensure_image(client, image)
        return False

    def _create_and_start(
        self, client: DockerClient, job: ProwJob, plan: RunPlan, workspace: Workspace
    ) -> None:
        labels, _ = labels_and_annotations_for_job(job)
        labels.update({MANAGED: "true", PROWJOB: plan.prowjob, OWNER: str(self._workspaces)})
        mounts = _mounts(plan, workspace)
        containers: list[Any] = []
        for index, spec in enumerate(plan.containers):
            name = container_name(plan.prowjob, spec if index else None)
            network = f"container:{containers[0].id}" if index else None
            role = {ROLE: "sidecar" if index else "test", CONTAINER: spec.name}
            args = self._create_args(client, spec, {**labels, **role}, mounts, network)
            containers.append(_create(client, name, args))
        for index, container in enumerate(containers):
            state = container.attrs["State"]
            if state["Status"] != "created" or state.get("Error"):
                continue  # started already, or its start failed for good
            try:
                container.start()
            except docker.errors.APIError as err:
                container.reload()
                if index == 0 and not container.attrs["State"].get("Error"):
                    raise
                # The engine could not run it (no such executable, the test
                # container already gone): its state says so, as a pod's would.
                log.info("ProwJob %s: %s did not start: %s", plan.prowjob, container.name, err)

    def _create_args(
        self,
        client: DockerClient,
        spec: ContainerPlan,
        labels: dict[str, str],
        mounts: list[Mount],
        network: str | None,
    ) -> dict[str, Any]:
        args: dict[str, Any] = {
            "image": spec.image,
            "entrypoint": spec.command or None,
            "command": spec.args or None,
            "environment": spec.env,
            "working_dir": spec.working_dir,
            "labels": labels,
            "mounts": mounts,
            "detach": True,
        }
        if spec.cpu_limit:
            cpus = min(max(spec.cpu_limit, 0.01), self._engine_cpus(client))
            args["nano_cpus"] = int(cpus * 1e9)
        if spec.memory_limit:
            args["mem_limit"] = args["memswap_limit"] = spec.memory_limit
        if network:
            args["network_mode"] = network
        return args

    def _engine_cpus(self, client: DockerClient) -> int:
        if self._cpus is None:
            self._cpus = int(client.info().get("NCPU") or 1)
        return self._cpus

    async def _stop_sidecars(self, prowjob: str, grace_period: timedelta) -> None:
        rows = await self._engine(lambda c: _job_containers(c, prowjob), "stop sidecars")
        timeout = max(0, math.ceil(grace_period.total_seconds()))
        sidecars = [
            row["Id"]
            for row in rows
            if (row.get("Labels") or {}).get(ROLE) == "sidecar" and row.get("State") in _RUNNING
        ]
        await asyncio.gather(
            *(
                self._engine(partial(_stop, container=i, timeout=timeout), "stop sidecars")
                for i in sidecars
            )
        )


def observation(state: dict[str, Any]) -> Observation:
    """An Observation from a container's inspected `State`."""
    status = state.get("Status", "")
    started = _time(state.get("StartedAt"))
    finished = _time(state.get("FinishedAt"))
    code = state.get("ExitCode")
    error = state.get("Error") or ""
    if started is not None and finished is not None and finished < started:
        finished = started  # the engine stamps a very short run's end before its start
    if status in _RUNNING:
        return Observation(Phase.RUNNING, started_at=started)
    if status == "created" and not error:
        return Observation(Phase.PENDING)
    if status in _EXITED or status == "created":
        reason = "OOMKilled" if state.get("OOMKilled") else error
        phase = Phase.SUCCEEDED if code == 0 and not error else Phase.FAILED
        return Observation(phase, code, reason, started, finished or started)
    return Observation(Phase.MISSING, reason=f"container is {status}")


def _state(client: DockerClient, name: str) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = client.api.inspect_container(name)["State"]
    except docker.errors.NotFound:
        return None
    return state


def _ensure_image(client: DockerClient, image: str) -> None:
    try:
        client.images.get(image)
        return
    except docker.errors.NotFound:
        pass
    log.info("pulling image %s", image)
    try:
        client.images.pull(image)
    except docker.errors.APIError as err:
        raise StartError(f"image {image} not found: {err.explanation or err}") from err


def _mounts(plan: RunPlan, workspace: Workspace) -> list[Mount]:
    mounts: list[Mount] = []
    if plan.decorated:
        mounts.append(Mount(CODE_MOUNT, str(workspace.code), type="bind"))
        mounts.append(Mount(LOGS_MOUNT, str(workspace.logs), type="bind"))
    for target, host_dir in sorted(plan.local_checkouts.items()):
        mounts.append(Mount(target, str(Path(host_dir).absolute()), type="bind"))
    return mounts


def _create(client: DockerClient, name: str, args: dict[str, Any]) -> Any:
    """The container `name`: the existing one, else a new one from `args`."""
    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        pass
    try:
        return client.containers.create(name=name, **args)
    except docker.errors.ImageNotFound as err:
        raise StartError(f"image {args['image']} not found: {err.explanation or err}") from err
    except docker.errors.APIError as err:
        if err.status_code == 409:  # another start made it first
            return client.containers.get(name)
        if err.status_code is not None and 400 <= err.status_code < 500:
            raise StartError(f"container {name}: {err.explanation or err}") from err
        raise


def _job_containers(client: DockerClient, prowjob: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.api.containers(
        all=True, filters={"label": [f"{MANAGED}=true", f"{PROWJOB}={prowjob}"]}
    )
    return rows


def _stop(client: DockerClient, container: str, timeout: int) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        client.api.stop(container, timeout=timeout)


def _remove(client: DockerClient, prowjob: str) -> None:
    for row in _job_containers(client, prowjob):
        try:
            client.api.remove_container(row["Id"], v=True, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as err:
            if err.status_code != 409:  # 409: a removal already under way
                raise


def _write_build_log(
    client: DockerClient, prowjob: str, workspace: Workspace
) -> dict[str, Any] | None:
    """Write the test container's whole output to the build log; its state, or None."""
    name = container_name(prowjob)
    state = _state(client, name)
    if state is None:
        return None
    chunks: Iterator[bytes] = client.api.logs(name, stdout=True, stderr=True, stream=True)
    workspace.build_log.parent.mkdir(parents=True, exist_ok=True)
    partial = workspace.build_log.with_name(workspace.build_log.name + ".partial")
    with partial.open("wb") as out:
        for chunk in chunks:
            out.write(chunk)
    partial.replace(workspace.build_log)
    return state


def _managed(client: DockerClient, owner: str) -> dict[str, Managed]:
    rows: list[dict[str, Any]] = client.api.containers(
        all=True, filters={"label": [f"{MANAGED}=true", f"{OWNER}={owner}"]}
    )
    found: dict[str, Managed] = {}
    for row in rows:
        labels = row.get("Labels") or {}
        prowjob = labels.get(PROWJOB)
        if not prowjob:
            continue
        if labels.get(ROLE) != "test":
            found.setdefault(prowjob, Managed(prowjob, Phase.FAILED))
            continue
        listed = row.get("State", "")
        if listed in _RUNNING:
            found[prowjob] = Managed(prowjob, Phase.RUNNING)
            continue
        state = _state(client, row["Id"])
        if state is not None:
            observed = observation(state)
            found[prowjob] = Managed(prowjob, observed.phase, observed.finished_at)
    return found


def _time(value: str | None) -> datetime | None:
    # The engine's RFC 3339 times have nanoseconds; Go's zero time means "not yet".
    if not value or value.startswith("0001-"):
        return None
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None

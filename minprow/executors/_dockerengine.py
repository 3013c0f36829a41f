"""What the docker executor asks of the engine: blocking calls on the SDK's client.

Each function is one step of the docker executor (docker.py), run in a worker
thread; `docker.errors.NotFound` is handled here where "not there" is an
answer, every other SDK error is left to the executor to translate. Also the
labels and names by which minprow finds its containers again, and the reading
of a container's `State` as an Observation (what plank reads of a pod's status).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker.errors
from docker import DockerClient
from docker.types import Mount

from minprow.executors.base import Managed, Observation, Phase, StartError
from minprow.podutils.decorate import Workspace
from minprow.podutils.localsecurity import LocalSecurity
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

RUNNING = frozenset({"running", "paused", "restarting"})
EXITED = frozenset({"exited", "dead"})
_FRACTION = re.compile(r"\.(\d+)")


def container_name(prowjob: str, container: ContainerPlan | None = None) -> str:
    """`minprow-<prowjob>` for the test container, `minprow-<prowjob>--<name>` for another."""
    base = f"minprow-{prowjob}"
    return base if container is None else f"{base}--{container.name}"


def observation(state: dict[str, Any]) -> Observation:
    """An Observation from a container's inspected `State`."""
    status = state.get("Status", "")
    started = engine_time(state.get("StartedAt"))
    finished = engine_time(state.get("FinishedAt"))
    code = state.get("ExitCode")
    error = state.get("Error") or ""
    if started is not None and finished is not None and finished < started:
        finished = started  # the engine stamps a very short run's end before its start
    if status in RUNNING:
        return Observation(Phase.RUNNING, started_at=started)
    if status == "created" and not error:
        return Observation(Phase.PENDING)
    if status in EXITED or status == "created":
        reason = "OOMKilled" if state.get("OOMKilled") else error
        phase = Phase.SUCCEEDED if code == 0 and not error else Phase.FAILED
        return Observation(phase, code, reason, started, finished or started)
    return Observation(Phase.MISSING, reason=f"container is {status}")


def state_of(client: DockerClient, name: str) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = client.api.inspect_container(name)["State"]
    except docker.errors.NotFound:
        return None
    return state


def ensure_image(client: DockerClient, image: str) -> None:
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


def check_non_root(client: DockerClient, spec: ContainerPlan) -> None:
    """The kubelet's runAsNonRoot check of an image's own user, when the job names none."""
    security = spec.security
    if security is None or not security.run_as_non_root or security.user is not None:
        return
    user = str((client.images.get(spec.image).attrs.get("Config") or {}).get("User") or "")
    uid = user.split(":", 1)[0]
    if not uid.isdigit():
        why = "runs as root" if uid in ("", "root") else f"has a non-numeric user {uid!r}"
        raise StartError(
            f"container {spec.name!r}: runAsNonRoot, and its image {spec.image} {why} "
            "(set runAsUser, as the kubelet would ask)"
        )
    if int(uid) == 0:
        raise StartError(f"container {spec.name!r}: runAsNonRoot, and its image runs as uid 0")


def mounts(plan: RunPlan, workspace: Workspace) -> list[Mount]:
    mounts: list[Mount] = []
    if plan.decorated:
        mounts.append(Mount(CODE_MOUNT, str(workspace.code), type="bind"))
        mounts.append(Mount(LOGS_MOUNT, str(workspace.logs), type="bind"))
    for target, host_dir in sorted(plan.local_checkouts.items()):
        mounts.append(Mount(target, str(Path(host_dir).absolute()), type="bind"))
    return mounts


def security_args(security: LocalSecurity) -> dict[str, Any]:
    """The engine's create arguments for a container's effective security context."""
    args: dict[str, Any] = {}
    if security.privileged:
        args["privileged"] = True
    if security.cap_add:
        args["cap_add"] = list(security.cap_add)
    if security.cap_drop:
        args["cap_drop"] = list(security.cap_drop)
    if security.docker_user is not None:
        args["user"] = security.docker_user
    if security.groups:
        args["group_add"] = [str(g) for g in security.groups]
    if security.read_only_root:
        args["read_only"] = True
    if security.security_opt:
        args["security_opt"] = list(security.security_opt)
    if security.sysctls:
        args["sysctls"] = dict(security.sysctls)
    return args


def host_namespaces(pod_spec: dict[str, Any]) -> dict[str, Any]:
    """The pod's hostNetwork, hostPID and hostIPC as the test container's modes
    (the other containers join its namespaces), and its hostAliases."""
    modes = {"hostNetwork": "network_mode", "hostPID": "pid_mode", "hostIPC": "ipc_mode"}
    args: dict[str, Any] = {arg: "host" for key, arg in modes.items() if pod_spec.get(key)}
    hosts = {
        str(name): str(alias.get("ip") or "")
        for alias in pod_spec.get("hostAliases") or []
        for name in alias.get("hostnames") or []
    }
    if hosts:
        args["extra_hosts"] = hosts  # the pod's hostAliases, in /etc/hosts
    return args


def create(client: DockerClient, name: str, args: dict[str, Any]) -> Any:
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


def job_containers(client: DockerClient, prowjob: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.api.containers(
        all=True, filters={"label": [f"{MANAGED}=true", f"{PROWJOB}={prowjob}"]}
    )
    return rows


def stop(client: DockerClient, container: str, timeout: int) -> None:
    with contextlib.suppress(docker.errors.NotFound):
        client.api.stop(container, timeout=timeout)


def remove(client: DockerClient, prowjob: str) -> None:
    for row in job_containers(client, prowjob):
        try:
            client.api.remove_container(row["Id"], v=True, force=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as err:
            if err.status_code != 409:  # 409: a removal already under way
                raise


def write_build_log(
    client: DockerClient, prowjob: str, workspace: Workspace
) -> dict[str, Any] | None:
    """Write the test container's whole output to the build log; its state, or None."""
    name = container_name(prowjob)
    state = state_of(client, name)
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


def managed(client: DockerClient, owner: str) -> dict[str, Managed]:
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
        if listed in RUNNING:
            found[prowjob] = Managed(prowjob, Phase.RUNNING)
            continue
        state = state_of(client, row["Id"])
        if state is not None:
            observed = observation(state)
            found[prowjob] = Managed(prowjob, observed.phase, observed.finished_at)
    return found


def engine_time(value: str | None) -> datetime | None:
    # The engine's RFC 3339 times have nanoseconds; Go's zero time means "not yet".
    if not value or value.startswith("0001-"):
        return None
    value = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value, count=1)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None

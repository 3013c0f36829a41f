"""What the docker executor asks of the engine: blocking calls on its API client.

Each function is one step of the docker executor (docker.py), run in a worker
thread; `NotFound` is handled here where "not there" is an answer, every other
engine error is left to the executor to translate. Also the
labels and names by which minprow finds its containers again, and the reading
of a container's `State` as an Observation (what plank reads of a pod's status).
"""

from __future__ import annotations

import contextlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from minprow.executors import _localimage
from minprow.executors._engineapi import EngineClient, EngineError, NotFound, Unreachable
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


Mount = dict[str, Any]
"""A mount as the Engine API's HostConfig.Mounts takes it (`Type`, `Source`, `Target`, ...)."""


def bind(target: str, source: str, *, read_only: bool = False) -> Mount:
    return {"Type": "bind", "Source": source, "Target": target, "ReadOnly": read_only}


def tmpfs(target: str, size: int | None) -> Mount:
    mount: Mount = {"Type": "tmpfs", "Target": target}
    if size:
        mount["TmpfsOptions"] = {"SizeBytes": size}
    return mount


def state_of(client: EngineClient, name: str) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = client.inspect_container(name)["State"]
    except NotFound:
        return None
    return state


def ensure_image(client: EngineClient, image: str) -> None:
    try:
        client.inspect_image(image)
        return
    except NotFound:
        pass
    log.info("pulling image %s", image)
    try:
        client.pull_image(image)
    except Unreachable:
        raise
    except EngineError as err:
        # Raised here, its StartError keeps the pull's error as its context.
        _localimage.provide(client, image, err.explanation)


def check_non_root(client: EngineClient, spec: ContainerPlan) -> None:
    """The kubelet's runAsNonRoot check of an image's own user, when the job names none."""
    security = spec.security
    if security is None or not security.run_as_non_root or security.user is not None:
        return
    user = str((client.inspect_image(spec.image).get("Config") or {}).get("User") or "")
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
        mounts.append(bind(CODE_MOUNT, str(workspace.code)))
        mounts.append(bind(LOGS_MOUNT, str(workspace.logs)))
    for target, host_dir in sorted(plan.local_checkouts.items()):
        mounts.append(bind(target, str(Path(host_dir).absolute())))
    return mounts


def security_config(security: LocalSecurity) -> dict[str, Any]:
    """HostConfig fields (and `User`, at the top) for a container's effective security."""
    host: dict[str, Any] = {}
    if security.privileged:
        host["Privileged"] = True
    if security.cap_add:
        host["CapAdd"] = list(security.cap_add)
    if security.cap_drop:
        host["CapDrop"] = list(security.cap_drop)
    if security.groups:
        host["GroupAdd"] = [str(g) for g in security.groups]
    if security.read_only_root:
        host["ReadonlyRootfs"] = True
    if security.security_opt:
        host["SecurityOpt"] = list(security.security_opt)
    if security.sysctls:
        host["Sysctls"] = dict(security.sysctls)
    return host


def host_namespaces(pod_spec: dict[str, Any]) -> dict[str, Any]:
    """The pod's hostNetwork, hostPID and hostIPC as the test container's HostConfig
    modes (the other containers join its namespaces), and its hostAliases."""
    modes = {"hostNetwork": "NetworkMode", "hostPID": "PidMode", "hostIPC": "IpcMode"}
    host: dict[str, Any] = {field: "host" for key, field in modes.items() if pod_spec.get(key)}
    hosts = [
        f"{name}:{alias.get('ip') or ''}"
        for alias in pod_spec.get("hostAliases") or []
        for name in alias.get("hostnames") or []
    ]
    if hosts:
        host["ExtraHosts"] = hosts  # the pod's hostAliases, in /etc/hosts
    return host


def create(client: EngineClient, name: str, config: dict[str, Any]) -> dict[str, Any]:
    """The inspected container `name`: the existing one, else a new one from `config`."""
    try:
        return client.inspect_container(name)
    except NotFound:
        pass
    try:
        client.create_container(name, config)
    except NotFound as err:
        raise _localimage.missing_image_error(config["Image"], err.explanation) from err
    except EngineError as err:
        if err.status == 409:  # another start made it first
            return client.inspect_container(name)
        if err.status is not None and 400 <= err.status < 500:
            raise StartError(f"container {name}: {err.explanation}") from err
        raise
    return client.inspect_container(name)


def job_containers(client: EngineClient, prowjob: str) -> list[dict[str, Any]]:
    return client.list_containers([f"{MANAGED}=true", f"{PROWJOB}={prowjob}"])


def stop(client: EngineClient, container: str, timeout: int) -> None:
    with contextlib.suppress(NotFound):
        client.stop_container(container, timeout)


def remove(client: EngineClient, prowjob: str) -> None:
    for row in job_containers(client, prowjob):
        try:
            client.remove_container(row["Id"])
        except NotFound:
            pass
        except EngineError as err:
            if err.status != 409:  # 409: a removal already under way
                raise


def write_build_log(
    client: EngineClient, prowjob: str, workspace: Workspace
) -> dict[str, Any] | None:
    """Write the test container's whole output to the build log; its state, or None."""
    name = container_name(prowjob)
    state = state_of(client, name)
    if state is None:
        return None
    chunks = client.logs(name, follow=False)
    workspace.build_log.parent.mkdir(parents=True, exist_ok=True)
    partial = workspace.build_log.with_name(workspace.build_log.name + ".partial")
    try:
        with partial.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
    finally:
        chunks.close()
    partial.replace(workspace.build_log)
    return state


def managed(client: EngineClient, owner: str) -> dict[str, Managed]:
    rows = client.list_containers([f"{MANAGED}=true", f"{OWNER}={owner}"])
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

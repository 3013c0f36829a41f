"""A run plan made concrete for this machine: what the kubelet would resolve, resolved.

`localize` takes the one renderer's plan and does what a build cluster's
kubelet does when it starts the pod, for the local executors (docker, host)
and `minprow run` alike: env `valueFrom` and `envFrom` become values
(localenv.py), volumes become local sources and each container's
volumeMounts local mounts (localvolumes.py), the security contexts become
engine options (localsecurity.py), and `$(VAR)` references are expanded where
the kubelet expands them. Secrets and ConfigMaps come from the local folders
of `LocalObjects`.

Nothing here touches the engine or writes a file: a plan's `missing` lines
(objects, keys and host paths that are not there) and `notes` (what cannot be
honoured as written) are for the caller to say; `LocalizeError` is a job that
cannot run on any machine as written.
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from pathlib import Path
from typing import Any

from minprow.podutils.downward import HostFacts
from minprow.podutils.localenv import EnvError, LocalContext, expand, referenced, resolve_env
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.localsecurity import LocalSecurity, local_security
from minprow.podutils.localvolumes import LocalVolume, VolumeError, local_mounts, local_volumes
from minprow.podutils.render import ContainerPlan, RenderError, RunPlan


class LocalizeError(RenderError):
    """A job no local engine can run as written: names the container, volume or variable."""


def localize(plan: RunPlan, objects: LocalObjects, host: HostFacts) -> RunPlan:
    """The plan with every value, mount and security option resolved for this machine."""
    if plan.localized:
        return plan
    spec = plan.pod_spec
    resources = {c.name: c.resources for c in plan.containers}
    ctx = LocalContext(objects, plan.pod, host, resources)
    notes = ctx.notes
    try:
        volumes = local_volumes(list(spec.get("volumes") or []), ctx)
        seen: set[str] = set()
        for volume in volumes:
            if volume.name in seen:
                raise VolumeError(f"volume {volume.name!r} is listed twice")
            seen.add(volume.name)
        by_name = {v.name: v for v in volumes}
        containers = [_container(c, plan, ctx, by_name) for c in plan.containers]
    except (VolumeError, EnvError) as err:
        raise LocalizeError(f"ProwJob {plan.prowjob} ({plan.job}): {err}") from err
    notes.extend(_unhonoured(plan))
    if ctx.reads_pod_ip:
        notes.append(
            "status.podIP is this machine's address: a local container's own address "
            "is only known once it runs"
        )
    missing = [*ctx.missing, *_host_paths(volumes)]
    return replace(
        plan,
        containers=containers,
        volumes=tuple(volumes),
        notes=tuple(dict.fromkeys(notes)),
        missing=tuple(dict.fromkeys(missing)),
        localized=True,
    )


def _container(
    container: ContainerPlan,
    plan: RunPlan,
    ctx: LocalContext,
    volumes: dict[str, LocalVolume],
) -> ContainerPlan:
    resolved = resolve_env(container.name, list(container.env_from), list(container.env_vars), ctx)
    env = resolved.values
    raw_mounts = []
    for raw in container.volume_mounts:
        mount = dict(raw)
        if mount.get("subPathExpr"):
            mount["subPath"] = _sub_path(container.name, str(mount["subPathExpr"]), env)
        raw_mounts.append(mount)
    mounts = local_mounts(container.name, raw_mounts, volumes)
    security = local_security(
        container.name,
        dict(plan.pod_spec.get("securityContext") or {}),
        container.security_context,
        ctx.notes,
    )
    if security.run_as_non_root and security.user == 0:
        raise EnvError(f"container {container.name!r}: runAsNonRoot, but runAsUser is 0")
    # The kubelet expands the pod's command and args; a decorated job's own command
    # travels in $ENTRYPOINT_OPTIONS, an env value after all the others, which the
    # kubelet expands just the same.
    command = [expand(a, env) for a in container.command]
    args = [expand(a, env) for a in container.args]
    return replace(
        container,
        command=command,
        args=args,
        env=env,
        mounts=tuple(mounts),
        security=security,
        secret_env=frozenset(resolved.secret),
    )


def _sub_path(container: str, expression: str, env: dict[str, str]) -> str:
    """A subPathExpr expanded as the kubelet's ExpandContainerVolumeMounts does: a
    variable that is unset or empty is an error, not left in the path."""
    lacking = sorted({name for name in referenced(expression) if not env.get(name)})
    if lacking:
        raise EnvError(
            f"container {container!r}: subPathExpr {expression!r}: missing value for "
            + ", ".join(lacking)
        )
    return expand(expression, env)


_SCHEDULING = (
    "nodeSelector",
    "affinity",
    "tolerations",
    "topologySpreadConstraints",
    "priorityClassName",
    "runtimeClassName",
    "schedulerName",
)
_POD_FIELDS = {
    "initContainers": "its init containers are not run",
    "dnsConfig": "its dnsConfig is not applied (the engine's DNS is used)",
    "imagePullSecrets": "its imagePullSecrets are not used (the engine's own login is)",
}
_CONTAINER_FIELDS = {
    "livenessProbe": "its livenessProbe is not run",
    "readinessProbe": "its readinessProbe is not run",
    "startupProbe": "its startupProbe is not run",
    "lifecycle": "its lifecycle hooks are not run",
}


def _unhonoured(plan: RunPlan) -> list[str]:
    """What the pod spec asks for that no local run does, one note each."""
    spec = plan.pod_spec
    notes = [f"the pod: {what}" for key, what in _POD_FIELDS.items() if spec.get(key)]
    scheduling = [key for key in _SCHEDULING if spec.get(key)]
    if scheduling:
        notes.append(
            f"the pod: {', '.join(scheduling)} choose a build node; this machine runs it as it is"
        )
    if spec.get("serviceAccountName") and spec.get("automountServiceAccountToken") is not False:
        notes.append(
            f"the pod: no token of service account {spec['serviceAccountName']!r} is mounted "
            "at /var/run/secrets/kubernetes.io/serviceaccount"
        )
    raws: list[dict[str, Any]] = list(spec.get("containers") or [])
    for container, raw in zip(plan.containers, raws, strict=False):
        notes += [
            f"container {container.name!r}: {what}"
            for key, what in _CONTAINER_FIELDS.items()
            if raw.get(key)
        ]
        if container.image_pull_policy == "Always":
            notes.append(
                f"container {container.name!r}: imagePullPolicy Always: an image already on "
                "this machine is used as it is"
            )
    return notes


_HOST_CHECKS = {
    "Directory": (stat.S_ISDIR, "a directory"),
    "File": (stat.S_ISREG, "a file"),
    "Socket": (stat.S_ISSOCK, "a socket"),
    "CharDevice": (stat.S_ISCHR, "a character device"),
    "BlockDevice": (stat.S_ISBLK, "a block device"),
}


def _host_paths(volumes: list[LocalVolume]) -> list[str]:
    """What the kubelet's hostPath type check would refuse on this machine."""
    missing: list[str] = []
    for volume in volumes:
        if volume.kind != "hostPath" or volume.host_type not in _HOST_CHECKS:
            continue
        check, what = _HOST_CHECKS[volume.host_type]
        try:
            mode = os.stat(volume.path).st_mode
        except OSError:
            mode = None
        if mode is None or not check(mode):
            missing.append(
                f"volume {volume.name!r} needs {volume.path} on this machine to be {what} "
                f"(hostPath type {volume.host_type})"
            )
    return missing


def without_container(plan: RunPlan) -> list[str]:
    """What a plain process on this machine (the host executor) cannot honour."""
    notes: list[str] = []
    for container in plan.containers:
        for mount in container.mounts:
            notes.append(
                f"container {container.name!r}: volume {mount.volume!r} is not mounted at "
                f"{mount.target} (a plain process has no mounts)"
            )
        security = container.security
        if security is not None and security != LocalSecurity(
            run_as_non_root=security.run_as_non_root
        ):
            notes.append(
                f"container {container.name!r}: its securityContext is not applied "
                "(the process runs as this user, unconfined)"
            )
    return notes


def workspace_path(root: Path, volume: LocalVolume) -> Path:
    """Where a volume made in a job's workspace lives: `<root>/volumes/<name>`."""
    return root / "volumes" / volume.name

"""What `minprow run --dry-run` prints: a localized run plan, for people or as a pod.

The summary reads top to bottom as the run would go: the job and its refs,
then per container its image, command, args, working directory, user,
privileges, limits, env and mounts, then the notes (what a local run cannot
honour) and what is missing. `-o yaml` prints the same plan as the Pod it
stands for. Secret values are never printed: an env var from a Secret shows as
`<redacted>` in the summary and keeps its `valueFrom` in the pod.
"""

from __future__ import annotations

import shlex
from typing import Any

import yaml

from minprow.model import ProwJob
from minprow.model.duration import format_duration
from minprow.podutils.localvolumes import LocalVolume
from minprow.podutils.render import CODE_MOUNT, LOGS_MOUNT, ContainerPlan, RunPlan, checkout_path

REDACTED = "<redacted>"


def summary(pj: ProwJob, plan: RunPlan) -> str:
    lines = [f"ProwJob {plan.prowjob}: {pj.spec.job} ({pj.spec.type})"]
    for refs in plan.refs:
        pulls = ", ".join(f"#{p.number}" for p in refs.pulls or [])
        lines.append(
            f"  clones {refs.org}/{refs.repo} {refs.base_ref}"
            + (f" with {pulls}" if pulls else "")
            + f" into {checkout_path(refs)}"
        )
    for target, host_dir in sorted(plan.local_checkouts.items()):
        lines.append(f"  uses {host_dir} as it is at {target}")
    if plan.decorated:
        lines.append(
            f"  timeout {format_duration(plan.timeout)}, "
            f"grace period {format_duration(plan.grace_period)}"
        )
    volumes = {v.name: v for v in plan.volumes}
    for container in plan.containers:
        lines += _container(container, plan, volumes)
    if plan.notes:
        lines.append("notes:")
        lines += [f"  {note}" for note in plan.notes]
    if plan.missing:
        lines.append("would not start, for want of:")
        lines += [f"  {line}" for line in plan.missing]
    return "\n".join(lines)


def _container(c: ContainerPlan, plan: RunPlan, volumes: dict[str, LocalVolume]) -> list[str]:
    security = c.security
    rows = [
        ("image", c.image),
        ("command", _argv(c.command) or "(the image's entrypoint)"),
        ("args", _argv(c.args) or ("(none)" if c.command else "(the image's cmd)")),
        ("workdir", c.working_dir or "(the image's)"),
        ("user", (security.docker_user if security else None) or "(the image's)"),
    ]
    if security is not None:
        if security.groups:
            rows.append(("groups", " ".join(map(str, security.groups))))
        rows.append(("privileged", "yes" if security.privileged else "no"))
        if security.cap_add or security.cap_drop:
            caps = [f"+{cap}" for cap in security.cap_add] + [
                f"-{cap}" for cap in security.cap_drop
            ]
            rows.append(("capabilities", " ".join(caps)))
        if security.read_only_root:
            rows.append(("root fs", "read-only"))
        if security.security_opt:
            rows.append(("security", " ".join(security.security_opt)))
    limits = (c.resources or {}).get("limits") or {}
    if limits:
        rows.append(("limits", ", ".join(f"{k} {v}" for k, v in sorted(limits.items()))))
    lines = [f"container {c.name}"]
    lines += [f"  {key:<13}{value}" for key, value in rows]
    lines.append("  env")
    for name, value in c.env.items():
        lines.append(f"    {name}={REDACTED if name in c.secret_env else value}")
    lines.append("  mounts")
    mounts = _mounts(c, plan, volumes)
    width = max((len(target) for target, _ in mounts), default=0)
    for target, what in mounts:
        lines.append(f"    {target:<{width}}  {what}")
    return lines


def _argv(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def _mounts(
    c: ContainerPlan, plan: RunPlan, volumes: dict[str, LocalVolume]
) -> list[tuple[str, str]]:
    mounts: list[tuple[str, str]] = []
    if plan.decorated:
        mounts.append((CODE_MOUNT, "the checkouts (the job's workspace)"))
        mounts.append((LOGS_MOUNT, "the build log and artifacts (the job's workspace)"))
    for target, host_dir in sorted(plan.local_checkouts.items()):
        mounts.append((target, f"{host_dir} (--local)"))
    for mount in c.mounts:
        what = volumes[mount.volume].describe
        if mount.sub_path:
            what += f", subPath {mount.sub_path}"
        if mount.read_only:
            what += ", read-only"
        mounts.append((mount.target, f"{what} (volume {mount.volume})"))
    return mounts


def pod_yaml(plan: RunPlan) -> str:
    """The plan as the Pod it stands for, with the env as resolved here."""
    spec = {k: v for k, v in plan.pod_spec.items() if k != "containers"}
    spec["containers"] = [_pod_container(c) for c in plan.containers]
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": plan.pod.name,
            "namespace": plan.pod.namespace,
            "labels": plan.pod.labels,
            "annotations": plan.pod.annotations,
        },
        "spec": spec,
    }
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(pod, Dumper=dumper, sort_keys=False, default_flow_style=False).rstrip()


def _pod_container(c: ContainerPlan) -> dict[str, Any]:
    sources = {v.name: v for v in c.env_vars}
    env: list[dict[str, Any]] = []
    for name, value in c.env.items():
        if name in c.secret_env:
            source = sources.get(name)
            if source is not None and source.value_from is not None:
                env.append({"name": name, "valueFrom": source.value_from})
            else:
                env.append({"name": name, "value": REDACTED})
        else:
            env.append({"name": name, "value": value})
    container: dict[str, Any] = {"name": c.name, "image": c.image}
    if c.command:
        container["command"] = list(c.command)
    if c.args:
        container["args"] = list(c.args)
    if c.working_dir:
        container["workingDir"] = c.working_dir
    container["env"] = env
    if c.env_from:
        container["envFrom"] = list(c.env_from)
    if c.resources:
        container["resources"] = c.resources
    if c.volume_mounts:
        container["volumeMounts"] = list(c.volume_mounts)
    if c.security_context:
        container["securityContext"] = c.security_context
    return container

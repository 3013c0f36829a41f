"""Presets merged into a job's pod spec, as Prow's `resolvePresets` / `mergePreset` do.

Corresponds to `mergePreset` in pkg/config/jobs.go and `resolvePresets` in
pkg/config/config.go. A preset applies when every one of its labels is on the
job (a preset with no labels applies to every job). Its env and volumeMounts go
into every container of `spec.containers` (not init containers, as in Prow), its
volumes and tolerations into the pod. A name already there, from the job or an
earlier preset, is a conflict: Prow stops merging that preset and fails the job.

The spec is never deep-copied: only the lists and container mappings that change
are copied, so the parsed YAML of a job is shared, not duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minprow.config.prow import Preset

_JOB = "the job"


@dataclass(frozen=True, slots=True)
class PresetConflict:
    """A name a preset adds that the spec already has."""

    field: str
    """Where, e.g. "spec.containers[0].env"."""
    message: str


def _name(item: Any) -> Any:
    return item.get("name") if isinstance(item, dict) else None


def merge_presets(
    spec: dict[str, Any] | None, labels: dict[str, str], presets: list[Preset]
) -> tuple[dict[str, Any] | None, list[PresetConflict]]:
    """The spec with every applicable preset merged in, and the conflicts found.

    The input spec is not modified; the result shares everything it did not change."""
    if spec is None:
        return None, []
    return merge_applicable(spec, [p for p in presets if p.applies_to(labels)])


def merge_applicable(
    spec: dict[str, Any], applicable: list[Preset]
) -> tuple[dict[str, Any], list[PresetConflict]]:
    """`merge_presets` with the presets that apply already chosen, in order."""
    if not applicable:
        return spec, []
    raw_containers = spec.get("containers")
    containers: list[dict[str, Any]] = [
        dict(c) for c in raw_containers or () if isinstance(c, dict)
    ]
    volumes: list[Any] = list(spec.get("volumes") or ())
    tolerations: list[Any] = list(spec.get("tolerations") or ())
    # name -> who added it, per container for env / mounts, per pod for volumes.
    env_from = [{_name(e): _JOB for e in c.get("env") or ()} for c in containers]
    mount_from = [{_name(m): _JOB for m in c.get("volumeMounts") or ()} for c in containers]
    volume_from = {_name(v): _JOB for v in volumes}
    copied_env = [False] * len(containers)
    copied_mounts = [False] * len(containers)
    conflicts: list[PresetConflict] = []
    changed = {"containers": False, "volumes": False, "tolerations": False}

    for preset in applicable:
        who = preset.describe()
        problem = None
        for env in preset.env:
            name = _name(env)
            for i, container in enumerate(containers):
                if name in env_from[i]:
                    problem = PresetConflict(
                        f"spec.containers[{i}].env",
                        f'env var "{name}" from {who} is already set by {env_from[i][name]}',
                    )
                    break
                if not copied_env[i]:
                    container["env"] = list(container.get("env") or ())
                    copied_env[i] = True
                container["env"].append(env)
                env_from[i][name] = who
                changed["containers"] = True
            if problem:
                break
        if problem is None:
            for volume in preset.volumes:
                name = _name(volume)
                if name in volume_from:
                    problem = PresetConflict(
                        "spec.volumes",
                        f'volume "{name}" from {who} is already defined by {volume_from[name]}',
                    )
                    break
                volumes.append(volume)
                volume_from[name] = who
                changed["volumes"] = True
        if problem is None:
            for mount in preset.volume_mounts:
                name = _name(mount)
                for i, container in enumerate(containers):
                    if name in mount_from[i]:
                        problem = PresetConflict(
                            f"spec.containers[{i}].volumeMounts",
                            f'volume mount "{name}" from {who} is already set by '
                            f"{mount_from[i][name]}",
                        )
                        break
                    if not copied_mounts[i]:
                        container["volumeMounts"] = list(container.get("volumeMounts") or ())
                        copied_mounts[i] = True
                    container["volumeMounts"].append(mount)
                    mount_from[i][name] = who
                    changed["containers"] = True
                if problem:
                    break
        if problem is None:
            for toleration in preset.tolerations:
                if toleration in tolerations:
                    problem = PresetConflict(
                        "spec.tolerations",
                        f"toleration {toleration} from {who} is already in the pod spec",
                    )
                    break
                tolerations.append(toleration)
                changed["tolerations"] = True
        if problem is not None:
            conflicts.append(problem)
            break  # Prow's resolvePresets stops at the first failing preset

    if not any(changed.values()):
        return spec, conflicts
    merged = dict(spec)
    if changed["containers"]:
        merged["containers"] = containers
    if changed["volumes"]:
        merged["volumes"] = volumes
    if changed["tolerations"]:
        merged["tolerations"] = tolerations
    return merged, conflicts

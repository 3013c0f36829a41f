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


class _PerContainer:
    """One list field (env or volumeMounts) of every container: copied on first
    write, remembering who added each name so a conflict can say so."""

    def __init__(self, containers: list[dict[str, Any]], key: str, noun: str) -> None:
        self._containers = containers
        self._key = key
        self._noun = noun
        self._added_by = [{_name(item): _JOB for item in c.get(key) or ()} for c in containers]
        self._copied = [False] * len(containers)
        self.changed = False

    def add(self, items: list[Any], who: str) -> PresetConflict | None:
        for item in items:
            name = _name(item)
            for i, container in enumerate(self._containers):
                if name in self._added_by[i]:
                    return PresetConflict(
                        f"spec.containers[{i}].{self._key}",
                        f'{self._noun} "{name}" from {who} is already set by '
                        f"{self._added_by[i][name]}",
                    )
                if not self._copied[i]:
                    container[self._key] = list(container.get(self._key) or ())
                    self._copied[i] = True
                container[self._key].append(item)
                self._added_by[i][name] = who
                self.changed = True
        return None


class _PodList:
    """A pod-level list (volumes, tolerations), copied once, checked for repeats."""

    def __init__(self, spec: dict[str, Any], key: str, by_name: bool) -> None:
        self.items: list[Any] = list(spec.get(key) or ())
        self._key = key
        self._by_name = by_name
        self._added_by = {_name(v): _JOB for v in self.items} if by_name else {}
        self.changed = False

    def add(self, items: list[Any], who: str) -> PresetConflict | None:
        for item in items:
            if self._by_name:
                name = _name(item)
                if name in self._added_by:
                    return PresetConflict(
                        f"spec.{self._key}",
                        f'volume "{name}" from {who} is already defined by {self._added_by[name]}',
                    )
                self._added_by[name] = who
            elif item in self.items:
                return PresetConflict(
                    f"spec.{self._key}",
                    f"toleration {item} from {who} is already in the pod spec",
                )
            self.items.append(item)
            self.changed = True
        return None


def merge_applicable(
    spec: dict[str, Any], applicable: list[Preset]
) -> tuple[dict[str, Any], list[PresetConflict]]:
    """`merge_presets` with the presets that apply already chosen, in order."""
    if not applicable:
        return spec, []
    containers: list[dict[str, Any]] = [
        dict(c) for c in spec.get("containers") or () if isinstance(c, dict)
    ]
    env = _PerContainer(containers, "env", "env var")
    mounts = _PerContainer(containers, "volumeMounts", "volume mount")
    volumes = _PodList(spec, "volumes", by_name=True)
    tolerations = _PodList(spec, "tolerations", by_name=False)
    conflicts: list[PresetConflict] = []
    for preset in applicable:
        who = preset.describe()
        problem = (
            env.add(preset.env, who)
            or volumes.add(preset.volumes, who)
            or mounts.add(preset.volume_mounts, who)
            or tolerations.add(preset.tolerations, who)
        )
        if problem is not None:
            conflicts.append(problem)
            break  # Prow's resolvePresets stops at the first failing preset

    if not (env.changed or mounts.changed or volumes.changed or tolerations.changed):
        return spec, conflicts  # shared, not copied
    merged = dict(spec)
    if env.changed or mounts.changed:
        merged["containers"] = containers
    if volumes.changed:
        merged["volumes"] = volumes.items
    if tolerations.changed:
        merged["tolerations"] = tolerations.items
    return merged, conflicts

"""Jobs built from their YAML mappings and defaulted, as Prow's `finalizeJobConfig`.

Corresponds to pkg/config/config.go: `defaultJobBase` (agent, cluster, and the
namespace from `pod_namespace`), `shouldDecorate` (`decorate_all_jobs`),
`setPresubmitDecorationDefaults` & co. (the job's `decoration_config` merged over
plank's defaults for its repo and cluster; periodics use their first
`extra_refs`), and `resolvePresets`. Context, trigger and rerun command defaults
live on the job models themselves (minprow.config.jobs).

Beyond Prow: a new user's first config has no `plank.default_decoration_config_entries`,
and Prow refuses every decorated job of it. minprow fills what is missing instead
(`utility_images` with its own podutils image, `gcs_configuration` with an
explicit-path local upload, which lands in the artifacts directory of up, run or
serve) and says so once; under `--strict` it refuses them as Prow does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError

from minprow import __version__
from minprow.config.jobs import JobBase, Periodic
from minprow.config.presets import merge_applicable
from minprow.config.problems import Problem, validation_problems
from minprow.config.prow import Plank, Preset
from minprow.model import DecorationConfig, GCSConfiguration, UtilityImages

UTILITY_IMAGE = f"minprow:{__version__}"
"""minprow's own image, which holds every pod utility (`minprow podutils ...`)."""
UTILITY_IMAGE_NAMES = ("clonerefs", "initupload", "entrypoint", "sidecar")

J = TypeVar("J", bound=JobBase)


@dataclass
class JobDefaults:
    """What defaulting a job needs from the rest of the config."""

    pod_namespace: str
    decorate_all_jobs: bool
    plank: Plank
    presets: list[Preset]
    fill_decoration: bool = True
    """Fill in what a decorated job lacks (False under --strict, as Prow)."""
    filled: dict[str, list[str]] = field(default_factory=dict)
    """The jobs whose decoration got minprow's defaults, by what was missing
    ("utility_images", "gcs_configuration")."""
    _filled: dict[int, tuple[DecorationConfig, DecorationConfig, tuple[str, ...]]] = field(
        default_factory=dict
    )
    _decoration: dict[tuple[str, str], DecorationConfig] = field(default_factory=dict)
    _merged: dict[tuple[str, str, Any], DecorationConfig] = field(default_factory=dict)
    _presets: dict[tuple[tuple[str, str], ...], list[Preset]] = field(default_factory=dict)

    def presets_for(self, labels: dict[str, str]) -> list[Preset]:
        """The presets that apply to a job with these labels, chosen once per label set."""
        key = tuple(sorted(labels.items()))
        found = self._presets.get(key)
        if found is None:
            found = [p for p in self.presets if p.applies_to(labels)]
            self._presets[key] = found
        return found

    def decoration_for(
        self, org_repo: str, cluster: str, own: DecorationConfig | None, raw: Any
    ) -> DecorationConfig:
        """The job's decoration merged over the defaults; jobs whose own settings are
        the same plain values (the common `timeout` / `grace_period`) share one result."""
        base = self.default_decoration(org_repo, cluster)
        if own is None:
            return base
        if not isinstance(raw, dict) or not all(
            isinstance(v, str | int | bool) for v in raw.values()
        ):
            return own.apply_default(base)
        key = (org_repo, cluster, tuple(sorted(raw.items())))
        found = self._merged.get(key)
        if found is None:
            found = own.apply_default(base)
            self._merged[key] = found
        return found

    def with_minprow_defaults(self, job: str, decoration: DecorationConfig) -> DecorationConfig:
        """`decoration` with minprow's utility images and local upload where it has
        none, noting the job in `filled`; merged configs are shared, so each is
        filled once."""
        if not self.fill_decoration:
            return decoration
        found = self._filled.get(id(decoration))
        if found is None:
            found = (decoration, *_filled(decoration))
            self._filled[id(decoration)] = found
        for missing in found[2]:
            self.filled.setdefault(missing, []).append(job)
        return found[1]

    def default_decoration(self, org_repo: str, cluster: str) -> DecorationConfig:
        """Plank's merged defaults for a repo and cluster, computed once per pair."""
        key = (org_repo, cluster)
        found = self._decoration.get(key)
        if found is None:
            found = self.plank.guess_default_decoration_config(org_repo, cluster)
            self._decoration[key] = found
        return found


@cache
def _nested(cls: type[BaseModel]) -> tuple[str, ...]:
    """Names of the fields of `cls` that can hold models (the only ones to descend into)."""

    def holds_model(annotation: Any) -> bool:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            return True
        return any(holds_model(arg) for arg in get_args(annotation))

    return tuple(n for n, f in cls.model_fields.items() if holds_model(f.annotation))


def unknown_fields(model: BaseModel, prefix: str = "") -> list[str]:
    """YAML paths of every key under `model` that its type does not know."""
    found = [f"{prefix}.{k}" if prefix else k for k in model.model_extra or ()]
    values = model.__dict__
    for name in _nested(type(model)):
        value = values.get(name)
        if isinstance(value, BaseModel):
            found += unknown_fields(value, f"{prefix}.{name}" if prefix else name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += unknown_fields(
                        item, f"{prefix}.{name}[{i}]" if prefix else f"{name}[{i}]"
                    )
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    found += unknown_fields(
                        item, f"{prefix}.{name}.{key}" if prefix else f"{name}.{key}"
                    )
    return found


def build_job(
    cls: type[J],
    raw: Any,
    file: str,
    where: str,
    org_repo: str | None,
    defaults: JobDefaults,
    errors: list[Problem],
    unknown: list[Problem],
) -> J | None:
    """The job `raw` describes, defaulted, or None (with `errors` added) if it is invalid.

    `where` names the job's place for messages when it has no usable name
    ("presubmits.org/repo[3]"); unknown keys are added to `unknown`."""
    if not isinstance(raw, dict):
        errors.append(
            Problem(file, f"a job must be a mapping, got {type(raw).__name__}", field=where)
        )
        return None
    name = raw.get("name")
    label = name if isinstance(name, str) and name else None
    try:
        job = cls.model_validate(raw)
    except ValidationError as err:
        errors.extend(validation_problems(err, file, label or where))
        return None
    job._source_path = file
    for path in unknown_fields(job):
        unknown.append(
            Problem(file, "unknown field: Prow does not know it", job=job.name, field=path)
        )
    _default(job, org_repo, defaults, errors, raw.get("decoration_config"))
    return job


def _default(
    job: JobBase, org_repo: str | None, defaults: JobDefaults, errors: list[Problem], raw_dc: Any
) -> None:
    if not job.namespace:
        job.namespace = defaults.pod_namespace
    if not job.agent:
        job.agent = "kubernetes"
    if not job.cluster:
        job.cluster = "default"
    if job.decorate is None:
        job.decorate = defaults.decorate_all_jobs
    if job.decorate:
        if org_repo is None:
            ref = job.extra_refs[0] if isinstance(job, Periodic) and job.extra_refs else None
            org_repo = f"{ref.org}/{ref.repo}" if ref is not None else ""
        job.decoration_config = defaults.with_minprow_defaults(
            job.name, defaults.decoration_for(org_repo, job.cluster, job.decoration_config, raw_dc)
        )
    if job.spec is not None and defaults.presets:
        spec, conflicts = merge_applicable(job.spec, defaults.presets_for(job.labels))
        job.spec = spec
        for conflict in conflicts:
            errors.append(
                Problem(
                    job.source_path,
                    f"failed to merge presets: {conflict.message}",
                    job=job.name,
                    field=conflict.field,
                )
            )


def _filled(decoration: DecorationConfig) -> tuple[DecorationConfig, tuple[str, ...]]:
    updates: dict[str, object] = {}
    images = decoration.utility_images or UtilityImages()
    absent = {n: UTILITY_IMAGE for n in UTILITY_IMAGE_NAMES if not getattr(images, n)}
    if absent:
        updates["utility_images"] = images.model_copy(update=absent)
    if decoration.gcs_configuration is None:
        updates["gcs_configuration"] = GCSConfiguration(path_strategy="explicit")
    if not updates:
        return decoration, ()
    return decoration.model_copy(update=updates), tuple(updates)

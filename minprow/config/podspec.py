"""Checks on a job's pod spec, labels and annotations, as Prow's validation does.

Corresponds to `validatePodSpec`, `validateDecoration`, `validateLabels` and
`validateAnnotation` in pkg/config/config.go, with the reserved names of
pkg/pod-utils/decorate and pkg/pod-utils/downwardapi. `unknown_pod_spec_fields`
checks keys against the Kubernetes API (the field table generated from the
`kubernetes` client's models, minprow.config._k8s_fields).
"""

from __future__ import annotations

import re
from typing import Any

from minprow.config._k8s_fields import ROOT as K8S_POD_SPEC
from minprow.config._k8s_fields import TYPES as K8S_TYPES
from minprow.model import DecorationConfig, ProwJobType
from minprow.model.jobenv import env_names_for_type

RESERVED_ENV: dict[ProwJobType, frozenset[str]] = {
    job_type: frozenset(env_names_for_type(job_type)) for job_type in ProwJobType
}
"""Prow's `downwardapi.EnvForType`: env a job may not set itself."""
UTILITY_CONTAINERS = frozenset({"clonerefs", "initupload", "place-entrypoint", "sidecar"})
DECORATION_VOLUMES = frozenset({"logs", "code", "tools", "gcs-credentials", "s3-credentials"})
TEST_CONTAINER_MOUNTS = frozenset({"logs", "code", "tools"})
TEST_CONTAINER_MOUNT_PATHS = frozenset({"/logs", "/home/prow/go", "/tools"})
RESERVED_LABELS = frozenset({"prow.k8s.io/type", "created-by-prow", "prow.k8s.io/id"})

_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")

Finding = tuple[str, str]
"""(field, message)"""


def _names(items: Any) -> list[Any]:
    return [i.get("name") for i in items or () if isinstance(i, dict)]


def decoration_volume_names(decoration: DecorationConfig | None) -> frozenset[str]:
    """Prow's `decorate.VolumeMounts`: the volumes decoration adds to the pod.

    Besides the fixed ones, the secret volumes the job's decoration config names:
    its OAuth token secret and its SSH key secrets. A test container may mount
    them, and the pod spec may not define a volume of the same name."""
    if decoration is None:
        return DECORATION_VOLUMES
    names = set(DECORATION_VOLUMES)
    oauth = decoration.oauth_token_secret
    if oauth is not None:
        names.add(oauth.get("name", ""))
    names.update(decoration.ssh_key_secrets or ())
    return frozenset(names)


def _unsupported_init_containers(spec: dict[str, Any]) -> list[Any]:
    # Prow accepts init containers only as Kubernetes sidecars (restartPolicy: Always).
    return [
        c.get("name", "") if isinstance(c, dict) else ""
        for c in spec.get("initContainers") or ()
        if not (isinstance(c, dict) and c.get("restartPolicy") == "Always")
    ]


def validate_pod_spec(
    job_type: ProwJobType, spec: dict[str, Any] | None, decoration: DecorationConfig | None
) -> list[Finding]:
    """Prow's `validatePodSpec`: every problem of the spec (none for a job without one)."""
    if spec is None:
        return []
    found: list[Finding] = []
    unsupported = _unsupported_init_containers(spec)
    if unsupported:
        found.append(
            (
                "spec.initContainers",
                "pod spec may not use init containers (sidecar containers, with "
                f"restartPolicy: Always, are supported): {unsupported}",
            )
        )
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        found.append(("spec.containers", "pod spec must specify at least 1 container, found: 0"))
        return found
    if not all(isinstance(c, dict) for c in containers):
        found.append(("spec.containers", "every container must be a mapping"))
        return found
    if len(containers) > 1 and decoration is None:
        found.append(
            (
                "spec.containers",
                "pod utility decoration must be enabled to use multiple containers: "
                f"{len(containers)}",
            )
        )
        return found
    if len(containers) > 1:
        seen: set[Any] = set()
        for i, container in enumerate(containers):
            name = container.get("name")
            where = f"spec.containers[{i}].name"
            if not name:
                found.append((where, "all containers must have names when there are several"))
            if name in seen:
                found.append((where, f'container named "{name}" is defined more than once'))
            seen.add(name)
            if name in UTILITY_CONTAINERS:
                found.append((where, f"container name {name} is reserved for decoration"))
    reserved = RESERVED_ENV[job_type]
    for i, container in enumerate(containers):
        env_seen: set[Any] = set()
        for name in _names(container.get("env")):
            where = f"spec.containers[{i}].env"
            if name in env_seen:
                found.append((where, f'env var named "{name}" is defined more than once'))
            env_seen.add(name)
            if name in reserved:
                found.append((where, f"env {name} is reserved: Prow sets it for {job_type} jobs"))
    volume_names: set[Any] = set()
    decoration_volumes = decoration_volume_names(decoration)
    for name in _names(spec.get("volumes")):
        if name in volume_names:
            found.append(("spec.volumes", f'volume named "{name}" is defined more than once'))
        volume_names.add(name)
        if name in decoration_volumes:
            found.append(("spec.volumes", f"volume {name} is reserved for decoration"))
    for i, container in enumerate(containers):
        where = f"spec.containers[{i}].volumeMounts"
        for mount in container.get("volumeMounts") or ():
            if not isinstance(mount, dict):
                continue
            name = mount.get("name")
            if name not in volume_names and name not in decoration_volumes:
                found.append((where, f'volumeMount named "{name}" is undefined: no such volume'))
            if name in TEST_CONTAINER_MOUNTS:
                found.append((where, f"volumeMount name {name} is reserved for decoration"))
            if mount.get("mountPath") in TEST_CONTAINER_MOUNT_PATHS:
                found.append(
                    (where, f"mount {name} at {mount['mountPath']} conflicts with decoration mount")
                )
    return found


def validate_decoration(spec: dict[str, Any], decoration: DecorationConfig | None) -> list[Finding]:
    """Prow's `validateDecoration` (for each container) and `DecorationConfig.Validate`;
    nothing to check for an undecorated job (`decoration` None)."""
    if decoration is None:
        return []
    found: list[Finding] = []
    images = decoration.utility_images
    if images is None:
        found.append(("decoration_config.utility_images", "utility image config is not specified"))
    else:
        missing = [
            n
            for n in ("clonerefs", "initupload", "entrypoint", "sidecar")
            if not getattr(images, n)
        ]
        if missing:
            found.append(
                (
                    "decoration_config.utility_images",
                    f"the following utility images are not specified: {missing}",
                )
            )
    gcs = decoration.gcs_configuration
    if gcs is None:
        found.append(
            ("decoration_config.gcs_configuration", "GCS upload configuration is not specified")
        )
    else:
        strategy = gcs.path_strategy or ""
        if strategy not in ("legacy", "single", "explicit"):
            found.append(
                (
                    "decoration_config.gcs_configuration.path_strategy",
                    f'must be one of "legacy", "explicit" or "single", got "{strategy}"',
                )
            )
        elif strategy != "explicit" and not (gcs.default_org and gcs.default_repo):
            found.append(
                (
                    "decoration_config.gcs_configuration",
                    f'default_org and default_repo must be set for path_strategy "{strategy}"',
                )
            )
    if decoration.oauth_token_secret is not None and decoration.ssh_key_secrets:
        found.append(("decoration_config", "both OAuth token and SSH key secrets are specified"))
    for name in ("timeout", "grace_period"):
        value = getattr(decoration, name)
        if value is not None and value.total_seconds() < 0:
            found.append((f"decoration_config.{name}", "must not be negative"))
    for i, container in enumerate(spec.get("containers") or ()):
        if not isinstance(container, dict):
            continue
        args = [*(container.get("command") or ()), *(container.get("args") or ())]
        if not args or args[0] == "":
            found.append(
                (
                    f"spec.containers[{i}]",
                    "decorated job containers must specify command and/or args",
                )
            )
    return found


def _qualified_name_problem(key: str) -> str | None:
    # Kubernetes' IsQualifiedName: [prefix/]name, prefix a DNS subdomain.
    prefix, _, name = key.rpartition("/")
    if "/" in prefix:
        return "a qualified name has at most one '/'"
    if key.endswith("/") or (not prefix and key.startswith("/")):
        return "prefix and name must not be empty"
    if prefix and (len(prefix) > 253 or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return "prefix must be a DNS subdomain (lower case alphanumerics, '-' and '.')"
    if not name or len(name) > 63 or not _NAME.fullmatch(name):
        return (
            "name must be 63 characters or less, of alphanumerics, '-', '_' or '.', "
            "beginning and ending with an alphanumeric"
        )
    return None


def validate_labels(labels: dict[str, str]) -> list[Finding]:
    """Prow's `validateLabels`: reserved keys, qualified names, valid label values."""
    found: list[Finding] = []
    for key, value in labels.items():
        if key in RESERVED_LABELS:
            found.append((f"labels.{key}", f"label {key} is reserved for decoration"))
            continue
        problem = _qualified_name_problem(key)
        if problem:
            found.append((f"labels.{key}", f"invalid label key: {problem}"))
        if value and (len(value) > 63 or not _NAME.fullmatch(value)):
            found.append(
                (
                    f"labels.{key}",
                    f'invalid label value "{value}": 63 characters or less, of alphanumerics, '
                    "'-', '_' or '.', beginning and ending with an alphanumeric",
                )
            )
    return found


def validate_annotations(annotations: dict[str, str]) -> list[Finding]:
    """Prow's `validateAnnotation`: keys are qualified names."""
    found: list[Finding] = []
    for key in annotations:
        problem = _qualified_name_problem(key)
        if problem:
            found.append((f"annotations.{key}", f"invalid annotation key: {problem}"))
    return found


def unknown_pod_spec_fields(
    spec: dict[str, Any], seen: dict[tuple[int, str], tuple[str, ...]] | None = None
) -> list[str]:
    """YAML paths of keys in `spec` that the Kubernetes PodSpec API does not have
    (the field table generated from the `kubernetes` client, _k8s_fields).

    `seen` remembers the answer for each mapping and list checked, by identity:
    presets put the same env entries and volumes into thousands of jobs, and each
    needs checking once. Pass one dict for a whole config, alive as long as it is."""
    return [
        f"spec{suffix}" for suffix in _unknown(spec, K8S_POD_SPEC, {} if seen is None else seen)
    ]


def _unknown(
    value: Any, kind: str, seen: dict[tuple[int, str], tuple[str, ...]]
) -> tuple[str, ...]:
    """The unknown keys under `value` (of `kind`), as path suffixes (".a[0].b")."""
    if not isinstance(value, dict | list):
        return ()
    key = (id(value), kind)
    found = seen.get(key)
    if found is not None:
        return found
    suffixes: list[str] = []
    if kind.startswith("[]"):
        if isinstance(value, list):
            for i, item in enumerate(value):
                suffixes += (f"[{i}]{s}" for s in _unknown(item, kind[2:], seen))
    elif kind.startswith("{}"):
        if isinstance(value, dict):
            for name, item in value.items():
                suffixes += (f".{name}{s}" for s in _unknown(item, kind[2:], seen))
    else:
        fields = K8S_TYPES.get(kind)
        if fields is not None and isinstance(value, dict):
            for name, item in value.items():
                sub = fields.get(name)
                if sub is None:
                    suffixes.append(f".{name}")
                elif sub:
                    suffixes += (f".{name}{s}" for s in _unknown(item, sub, seen))
    found = seen[key] = tuple(suffixes)
    return found

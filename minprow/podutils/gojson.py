"""JSON text byte for byte as Go's `encoding/json` writes Prow's types.

A job reads `JOB_SPEC` as text, and some jobs compare or hash it, so minprow
writes it exactly as Prow does (pkg/pod-utils/downwardapi/jobspec.go marshals
with `json.Marshal`):

- compact, fields in the Go struct's order (minprow's models declare them in
  that order), non-ASCII characters as UTF-8;
- `<`, `>`, `&`, U+2028 and U+2029 escaped as `\\u003c` etc. (Go's HTML-safe
  default);
- `omitempty` fields dropped when they hold Go's zero value. For pointer fields
  (`*bool`, `*string`, `*int64` in Prow's types) only nil is dropped, so
  `blobless_fetch: false` stays; for value fields `""`, `false`, `0` and empty
  lists and maps are dropped too. `_OMIT_ZERO` lists the value fields per type.
- Go maps (`mediaTypes`, a ResourceList's `limits` and `requests`,
  `matchLabels`) with their keys sorted, as `json.Marshal` writes every map;
- the Kubernetes objects a DecorationConfig embeds (`resources`' requirements,
  `scheduling_options`' affinity and tolerations), which minprow keeps as the
  mappings the config gave, with their fields in the Go structs' order
  (`_K8S_FIELDS`), whatever order the YAML had.
"""

from __future__ import annotations

import json
from typing import Any

from minprow.model import DecorationConfig, Refs

_OMIT_ZERO: dict[str, frozenset[str]] = {
    "refs": frozenset(
        {
            "repo_link",
            "base_ref",
            "base_sha",
            "base_link",
            "pulls",
            "path_alias",
            "workdir",
            "auxiliary",
            "clone_uri",
            "skip_submodules",
            "clone_depth",
            "skip_fetch_head",
            "sparse_checkout_files",
        }
    ),
    "pull": frozenset({"title", "ref", "head_ref", "link", "commit_link", "author_link"}),
    "decoration_config": frozenset(
        {"ssh_key_secrets", "ssh_host_fingerprints", "github_api_endpoints", "github_app_id"}
    ),
    "utility_images": frozenset({"clonerefs", "initupload", "entrypoint", "sidecar"}),
    "gcs_configuration": frozenset(
        {
            "bucket",
            "path_prefix",
            "path_strategy",
            "default_org",
            "default_repo",
            "mediaTypes",
            "job_url_prefix",
            "local_output_dir",
            "compress_file_types",
        }
    ),
    "censoring_options": frozenset({"include_directories", "exclude_directories"}),
    "scheduling_options": frozenset({"tolerations"}),
    "secret_ref": frozenset({"name", "key"}),
}

_HTML_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def marshal(value: Any) -> str:
    """`value` (JSON-ready Python data) as Go's `json.Marshal` would write it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if any(ch in text for ch in _HTML_ESCAPES):
        text = "".join(_HTML_ESCAPES.get(ch, ch) for ch in text)
    return text


def refs_data(refs: Refs) -> dict[str, Any]:
    """A `Refs` as Go marshals `prowapi.Refs` (omitempty applied)."""
    data = _omit(refs.model_dump(mode="json", by_alias=True, exclude_none=True), "refs")
    if "pulls" in data:
        data["pulls"] = [_omit(pull, "pull") for pull in data["pulls"]]
    return data


def decoration_config_data(config: DecorationConfig) -> dict[str, Any]:
    """A `DecorationConfig` as Go marshals `prowapi.DecorationConfig`."""
    data = _omit(
        config.model_dump(mode="json", by_alias=True, exclude_none=True), "decoration_config"
    )
    for key in ("utility_images", "gcs_configuration", "censoring_options", "scheduling_options"):
        if isinstance(data.get(key), dict):
            data[key] = _omit(data[key], key)
    gcs = data.get("gcs_configuration")
    if isinstance(gcs, dict) and isinstance(gcs.get("mediaTypes"), dict):
        gcs["mediaTypes"] = dict(sorted(gcs["mediaTypes"].items()))
    for key in ("resources", "scheduling_options"):
        if isinstance(data.get(key), dict):
            data[key] = {k: _kube_object(v) for k, v in data[key].items()}
    for key in ("oauth_token_secret", "github_app_private_key_secret"):
        if isinstance(data.get(key), dict):
            data[key] = _omit(data[key], "secret_ref")
    if isinstance(data.get("default_memory_request"), int):
        # A resource.Quantity always marshals as a string.
        data["default_memory_request"] = str(data["default_memory_request"])
    return data


# The fields of the core/v1 types reachable from ResourceRequirements, Affinity
# and Toleration, in their Go structs' order. One ranking serves every type:
# no two of them order a shared pair of names differently.
_K8S_FIELDS = {
    name: rank
    for rank, name in enumerate(
        (
            # ResourceRequirements, ResourceClaim
            "limits",
            "requests",
            "claims",
            "name",
            "request",
            # Affinity
            "nodeAffinity",
            "podAffinity",
            "podAntiAffinity",
            # NodeAffinity, PodAffinity, PodAntiAffinity
            "requiredDuringSchedulingIgnoredDuringExecution",
            "preferredDuringSchedulingIgnoredDuringExecution",
            # NodeSelector
            "nodeSelectorTerms",
            # PreferredSchedulingTerm, WeightedPodAffinityTerm
            "weight",
            "preference",
            "podAffinityTerm",
            # PodAffinityTerm
            "labelSelector",
            "namespaces",
            "topologyKey",
            "namespaceSelector",
            "matchLabelKeys",
            "mismatchLabelKeys",
            # LabelSelector, NodeSelectorTerm
            "matchLabels",
            "matchExpressions",
            "matchFields",
            # NodeSelectorRequirement, LabelSelectorRequirement, Toleration
            "key",
            "operator",
            "value",
            "values",
            "effect",
            "tolerationSeconds",
        )
    )
}
_K8S_MAPS = frozenset({"limits", "requests", "matchLabels"})


def _kube_object(value: Any) -> Any:
    # A Kubernetes object kept as plain data, as Go marshals its struct.
    if isinstance(value, list):
        return [_kube_object(item) for item in value]
    if not isinstance(value, dict):
        return value
    keys = sorted(value, key=lambda k: _K8S_FIELDS.get(k, len(_K8S_FIELDS)))
    return {
        k: dict(sorted(value[k].items()))
        if k in _K8S_MAPS and isinstance(value[k], dict)
        else _kube_object(value[k])
        for k in keys
    }


def _omit(data: dict[str, Any], kind: str) -> dict[str, Any]:
    fields = _OMIT_ZERO[kind]
    return {k: v for k, v in data.items() if not (k in fields and _is_zero(v))}


def _is_zero(value: Any) -> bool:
    return value is None or value in ("", False, 0) or value == [] or value == {}

"""The resources the fake Kubernetes API server (tests/fakekube.py) serves.

One `Resource` per kind: where it lives on the wire (the same paths as
kube-apiserver: `/api/v1/...` for core, `/apis/{group}/{version}/...`), its
kind, its scope, whether its strategy allows an update without a
resourceVersion (built-in kinds do, custom resources do not), its selectable
fields (`fieldSelector`), and how custom resources are pruned (a structural
schema drops unknown fields: `apiextensions-apiserver/pkg/apiserver/schema/
pruning`).

ConfigMaps are validated as `ValidateConfigMap` / `ValidateConfigMapUpdate`
(pkg/apis/core/validation) do: the name a DNS-1123 subdomain, keys of `data`
and `binaryData` config keys and not shared between the two, `binaryData`
values base64 (a decode error is 400, as the JSON decoder answers), their total
size (decoded) at most 1 MiB, and nothing of `data`/`binaryData`/`immutable`
changed once `immutable` is set; empty maps are dropped, as Go's `omitempty`
drops them on output.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakekube_query import QueryError

Obj = dict[str, Any]


def status(code: int, reason: str, message: str, **details: Any) -> Obj:
    """A `metav1.Status` failure object as kube-apiserver returns it."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }


@dataclass(frozen=True)
class Resource:
    """One kind the fake serves."""

    group: str  # "" for core/v1
    version: str
    plural: str
    kind: str
    attr: str  # the FakeKube attribute holding its objects
    namespaced: bool = True
    custom: bool = False  # a custom resource: no unconditional update, no strategic patch

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """How error messages name it: `pods`, `prowjobs.prow.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def base(self) -> str:
        """The collection's route (aiohttp syntax, `{ns}` for the namespace)."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return (
            f"{root}/namespaces/{{ns}}/{self.plural}"
            if self.namespaced
            else f"{root}/{self.plural}"
        )

    def key(self, namespace: str, name: str) -> Any:
        """The key of an object in its store: (namespace, name), or the name alone."""
        return (namespace, name) if self.namespaced else name


PODS = Resource("", "v1", "pods", "Pod", "pods")
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap", "configmaps")
PROWJOBS_RESOURCE = Resource("prow.k8s.io", "v1", "prowjobs", "ProwJob", "objects", custom=True)
CRD_RESOURCE = Resource(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    "crds",
    namespaced=False,
)
SERVICEACCOUNTS = Resource("", "v1", "serviceaccounts", "ServiceAccount", "serviceaccounts")
RBAC = "rbac.authorization.k8s.io"
RESOURCES = {
    r.plural: r
    for r in (
        PODS,
        Resource("", "v1", "secrets", "Secret", "secrets"),
        CONFIGMAPS,
        Resource("coordination.k8s.io", "v1", "leases", "Lease", "leases"),
        PROWJOBS_RESOURCE,
        CRD_RESOURCE,
        Resource("", "v1", "namespaces", "Namespace", "namespaces", namespaced=False),
        SERVICEACCOUNTS,
        *(
            Resource(RBAC, "v1", plural, kind, plural, namespaced=namespaced)
            for plural, kind, namespaced in (
                ("roles", "Role", True),
                ("rolebindings", "RoleBinding", True),
                ("clusterroles", "ClusterRole", False),
                ("clusterrolebindings", "ClusterRoleBinding", False),
            )
        ),
    )
}
CRDS = CRD_RESOURCE.base


def fields_of(res: Resource) -> Callable[[Obj], dict[str, str]]:
    """The selectable fields of `res`'s objects (what `fieldSelector` may name)."""

    def fields(obj: Obj) -> dict[str, str]:
        meta = obj.get("metadata") or {}
        known = {"metadata.name": meta.get("name", "")}
        if res.namespaced:
            known["metadata.namespace"] = meta.get("namespace", "")
        if res is PODS:
            known["status.phase"] = (obj.get("status") or {}).get("phase", "")
            known["spec.nodeName"] = (obj.get("spec") or {}).get("nodeName", "")
        return known

    return fields


MAX_CONFIGMAP_BYTES = 1024 * 1024
"""`core.MaxSecretSize`: the most a ConfigMap's (or Secret's) values may hold in all."""
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SUBDOMAIN_HELP = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
    f"regex used for validation is '{_SUBDOMAIN.pattern}')"
)
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_CONFIG_KEY_HELP = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
    "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "
    f"'{_CONFIG_KEY.pattern}')"
)
_IMMUTABLE = "Forbidden: field is immutable when `immutable` is set"


def _invalid(kind: str, name: str, causes: list[tuple[str, str, str]]) -> QueryError:
    """422 Invalid, worded as `errors.NewInvalid` words a `field.ErrorList`."""
    texts = [f"{path}: {message}" for path, _, message in causes]
    summary = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return QueryError(
        422,
        "Invalid",
        f'{kind} "{name}" is invalid: {summary}',
        details={
            "name": name,
            "kind": kind,
            "causes": [
                {"reason": reason, "message": message, "field": path}
                for path, reason, message in causes
            ],
        },
    )


def _undecodable(kind: str, why: str) -> QueryError:
    return QueryError(
        400, "BadRequest", f'{kind} in version "v1" cannot be handled as a {kind}: {why}'
    )


def _config_values(obj: Obj) -> tuple[dict[str, str], dict[str, bytes]]:
    """`data` and the decoded `binaryData` of a ConfigMap, or the decoder's 400."""
    data, binary = obj.get("data") or {}, obj.get("binaryData") or {}
    if not isinstance(data, dict) or not isinstance(binary, dict):
        raise _undecodable("ConfigMap", "json: cannot unmarshal into a map of strings")
    decoded: dict[str, bytes] = {}
    for value in data.values():
        if not isinstance(value, str):
            raise _undecodable(
                "ConfigMap",
                f"json: cannot unmarshal {type(value).__name__} into Go struct field "
                "ConfigMap.data of type string",
            )
    for key, value in binary.items():
        try:
            decoded[key] = base64.b64decode(value, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise _undecodable("ConfigMap", "illegal base64 data in binaryData") from None
    return data, decoded


def _validate_configmap(obj: Obj, old: Obj | None) -> None:
    name = obj["metadata"].get("name", "")
    causes: list[tuple[str, str, str]] = []
    if len(name) > 253 or not _SUBDOMAIN.fullmatch(name):
        causes.append(
            ("metadata.name", "FieldValueInvalid", f'Invalid value: "{name}": {_SUBDOMAIN_HELP}')
        )
    data, binary = _config_values(obj)
    for bag, keys in (("data", data), ("binaryData", binary)):
        for key in keys:
            if len(key) > 253 or not _CONFIG_KEY.fullmatch(key) or key in (".", ".."):
                causes.append(
                    (
                        f"{bag}[{key}]",
                        "FieldValueInvalid",
                        f'Invalid value: "{key}": {_CONFIG_KEY_HELP}',
                    )
                )
    for key in data:
        if key in binary:
            causes.append(
                (
                    f"data[{key}]",
                    "FieldValueInvalid",
                    f'Invalid value: "{key}": duplicate of key present in binaryData',
                )
            )
    total = sum(len(v.encode()) for v in data.values()) + sum(len(v) for v in binary.values())
    if total > MAX_CONFIGMAP_BYTES:
        causes.append(
            ("[]", "FieldValueTooLong", f"Too long: must have at most {MAX_CONFIGMAP_BYTES} bytes")
        )
    if old is not None and old.get("immutable"):
        if not obj.get("immutable"):
            causes.append(("immutable", "FieldValueForbidden", _IMMUTABLE))
        for bag in ("data", "binaryData"):
            if (obj.get(bag) or {}) != (old.get(bag) or {}):
                causes.append((bag, "FieldValueForbidden", _IMMUTABLE))
    if causes:
        raise _invalid("ConfigMap", name, causes)
    for bag in ("data", "binaryData"):
        if bag in obj and not obj[bag]:
            del obj[bag]  # omitempty


def validate(res: Resource, obj: Obj, old: Obj | None = None) -> None:
    """Refuse `obj` (new, or replacing `old`) as the kind's validation does; QueryError if so."""
    if res is CONFIGMAPS:
        _validate_configmap(obj, old)


_TOP_LEVEL = ("apiVersion", "kind", "metadata")


def _prune(value: Any, schema: Obj) -> Any:
    """Drop what the structural `schema` does not name, keeping preserved subtrees."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if properties is not None:
            return {k: _prune(v, properties[k]) for k, v in value.items() if k in properties}
        if isinstance(extra, dict):
            return {k: _prune(v, extra) for k, v in value.items()}
        return value if extra is True else {}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(v, schema["items"]) for v in value]
    return value


def prune(obj: Obj, crd: Obj | None) -> Obj:
    """A custom resource as stored: unknown top-level fields dropped, then `crd`'s schema."""
    schema: Obj | None = None
    for version in ((crd or {}).get("spec") or {}).get("versions") or []:
        if version.get("storage"):
            schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or None
    if schema is None:  # no CRD installed: the fields every ProwJob schema names
        return {k: v for k, v in obj.items() if k in (*_TOP_LEVEL, "spec", "status")}
    properties = schema.get("properties") or {}
    kept = {k: v for k, v in obj.items() if k in _TOP_LEVEL}
    for key, value in obj.items():
        if key not in _TOP_LEVEL and key in properties:
            kept[key] = _prune(value, properties[key])
    return kept

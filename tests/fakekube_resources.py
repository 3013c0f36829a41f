"""The resources the fake Kubernetes API server (tests/fakekube.py) serves.

One `Resource` per kind: where it lives on the wire (the same paths as
kube-apiserver: `/api/v1/...` for core, `/apis/{group}/{version}/...`), its
kind, its scope, whether its strategy allows an update without a
resourceVersion (built-in kinds do, custom resources do not), its selectable
fields (`fieldSelector`), and how custom resources are pruned (a structural
schema drops unknown fields: `apiextensions-apiserver/pkg/apiserver/schema/
pruning`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
PROWJOBS_RESOURCE = Resource("prow.k8s.io", "v1", "prowjobs", "ProwJob", "objects", custom=True)
CRD_RESOURCE = Resource(
    "apiextensions.k8s.io",
    "v1",
    "customresourcedefinitions",
    "CustomResourceDefinition",
    "crds",
    namespaced=False,
)
RESOURCES = {
    r.plural: r
    for r in (
        PODS,
        Resource("", "v1", "secrets", "Secret", "secrets"),
        Resource("coordination.k8s.io", "v1", "leases", "Lease", "leases"),
        PROWJOBS_RESOURCE,
        CRD_RESOURCE,
        Resource("", "v1", "namespaces", "Namespace", "namespaces", namespaced=False),
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

"""minprow's CustomResourceDefinition for ProwJobs, compatible with Prow's.

Same group (`prow.k8s.io`), version (`v1`), kind, names and scope as Prow's
`prowjob_customresourcedefinition.yaml`, so `kubectl get prowjobs` and Prow's own
tools see minprow's ProwJobs and the other way round. Like Prow's, it has no
status subresource: status is written with the object. The schema is structural
and lenient: `spec` and `status` keep unknown fields, so a ProwJob written by a
newer Prow is stored as is. `crd()` builds it; `crd_yaml()` writes it out and
`install(api)` creates it in a cluster when it is not there yet.
"""

from __future__ import annotations

from typing import Any, Protocol

import yaml

GROUP = "prow.k8s.io"
VERSION = "v1"
KIND = "ProwJob"
PLURAL = "prowjobs"
SINGULAR = "prowjob"
LIST_KIND = "ProwJobList"
NAME = f"{PLURAL}.{GROUP}"

# (name, jsonPath, type, description), as Prow's additionalPrinterColumns.
_COLUMNS: tuple[tuple[str, str, str, str], ...] = (
    ("Job", ".spec.job", "string", "The name of the job being run"),
    ("BuildId", ".status.build_id", "string", "The ID of the job being run."),
    ("Type", ".spec.type", "string", "The type of job being run."),
    ("Org", ".spec.refs.org", "string", "The org for which the job is running."),
    ("Repo", ".spec.refs.repo", "string", "The repo for which the job is running."),
    ("Pulls", ".spec.refs.pulls[*].number", "string", "The pulls for which the job is running."),
    ("StartTime", ".status.startTime", "date", "When the job started running."),
    ("CompletionTime", ".status.completionTime", "date", "When the job finished running."),
    ("State", ".status.state", "string", "The state of the job."),
)

_OPEN_OBJECT: dict[str, Any] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def crd() -> dict[str, Any]:
    """The CRD manifest as a dict (apiextensions.k8s.io/v1)."""
    schema: dict[str, Any] = {
        "description": "ProwJob contains the spec as well as runtime metadata.",
        "type": "object",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"type": "object"},
            "spec": dict(_OPEN_OBJECT),
            "status": dict(_OPEN_OBJECT),
        },
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAME},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": KIND,
                "listKind": LIST_KIND,
                "plural": PLURAL,
                "singular": SINGULAR,
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "additionalPrinterColumns": [
                        {"name": n, "jsonPath": path, "type": t, "description": d}
                        for n, path, t, d in _COLUMNS
                    ],
                    "schema": {"openAPIV3Schema": schema},
                }
            ],
        },
    }


def crd_yaml() -> str:
    """The CRD manifest as YAML, for `kubectl apply -f`."""
    return yaml.safe_dump(crd(), sort_keys=False)


class CrdApi(Protocol):
    """The two calls of `kubernetes.client.ApiextensionsV1Api` that `install` makes."""

    def read_custom_resource_definition(self, name: str) -> Any: ...

    def create_custom_resource_definition(self, body: Any) -> Any: ...


def install(api: CrdApi) -> bool:
    """Create the CRD unless it exists; True when this call created it.

    Blocking (the kubernetes client is synchronous); an existing CRD, Prow's
    included, is left as it is.
    """
    from kubernetes.client.exceptions import ApiException

    try:
        api.read_custom_resource_definition(NAME)
        return False
    except ApiException as exc:
        if exc.status != 404:
            raise
    try:
        api.create_custom_resource_definition(crd())
    except ApiException as exc:
        if exc.status == 409:  # another replica won the race
            return False
        raise
    return True

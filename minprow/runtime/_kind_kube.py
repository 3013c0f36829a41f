"""The Kubernetes side of `minprow up` on kind: the ProwJob CRD and the namespaces.

What Prow's deployment manifests (`config/prow/cluster/prowjob-crd/` and the
`test-pods` Namespace of `config/prow/cluster/starter/starter-*.yaml`) put into a
fresh cluster, done with
the kubernetes client against the kubeconfig `kind.ensure_cluster` wrote. The
client is synchronous and heavy, so it is imported here, only when `up`
actually uses kind.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from minprow.kube import crd

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from minprow.runtime.kind import KindCluster

# Bounded wait for the CRD to be served: the API server answers 404 for the new
# resource until the CRD is Established (usually well under a second).
SERVED_TIMEOUT = 60.0
_POLL = 0.25


class KubeSetupError(RuntimeError):
    """The cluster refused the CRD or a namespace."""


def api_client(cluster: KindCluster) -> ApiClient:
    """A client for the cluster's context, read by minprow's own kubeconfig loader."""
    from kubernetes.client import ApiClient

    from minprow.kube.kubeconfig import KubeconfigError, ServiceAccount, load_kubeconfig

    try:
        contexts, _ = load_kubeconfig(cluster.kubeconfig, ServiceAccount())
        return ApiClient(contexts[cluster.context].configuration)
    except (KubeconfigError, KeyError) as err:
        raise KubeSetupError(
            f"{cluster.kubeconfig}: no usable context {cluster.context!r}: {err}"
        ) from err


def _reason(err: Any) -> str:
    return f"{err.status} {err.reason}: {(err.body or '').strip()[:500]}"


def install_crd(cluster: KindCluster, namespace: str, *, timeout: float = SERVED_TIMEOUT) -> bool:
    """Install the ProwJob CRD unless present, then wait until ProwJobs are served in
    `namespace`; True when this call created the CRD."""
    from kubernetes.client import ApiextensionsV1Api, CustomObjectsApi
    from kubernetes.client.exceptions import ApiException

    with api_client(cluster) as client:
        try:
            created = crd.install(ApiextensionsV1Api(client))
        except ApiException as err:
            raise KubeSetupError(
                f"installing the ProwJob CRD in {cluster.context}: {_reason(err)}"
            ) from err
        objects = CustomObjectsApi(client)
        deadline = time.monotonic() + timeout
        while True:
            try:
                objects.list_namespaced_custom_object(
                    crd.GROUP, crd.VERSION, namespace, crd.PLURAL, limit=1
                )
                return created
            except ApiException as err:
                if err.status != 404 or time.monotonic() >= deadline:
                    raise KubeSetupError(
                        f"ProwJobs are not served in {cluster.context} namespace {namespace!r}"
                        f" {timeout:g}s after installing the CRD: {_reason(err)}"
                    ) from err
            time.sleep(_POLL)  # bounded poll: the API server has no "wait for Established"


def ensure_namespaces(cluster: KindCluster, names: Iterable[str]) -> list[str]:
    """Create each namespace that does not exist yet; the names this call created."""
    from kubernetes.client import CoreV1Api, V1Namespace, V1ObjectMeta
    from kubernetes.client.exceptions import ApiException

    made: list[str] = []
    with api_client(cluster) as client:
        core = CoreV1Api(client)
        for name in dict.fromkeys(names):  # ordered, once each
            try:
                core.read_namespace(name)
                continue
            except ApiException as err:
                if err.status != 404:
                    raise KubeSetupError(
                        f"reading namespace {name!r} in {cluster.context}: {_reason(err)}"
                    ) from err
            try:
                core.create_namespace(V1Namespace(metadata=V1ObjectMeta(name=name)))
            except ApiException as err:
                if err.status == 409:  # created meanwhile, by another `up` or kubectl
                    continue
                raise KubeSetupError(
                    f"creating namespace {name!r} in {cluster.context}: {_reason(err)}"
                ) from err
            made.append(name)
    return made

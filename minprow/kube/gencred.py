"""`minprow gencred`: a build cluster's credentials, made with the caller's rights.

Prow's gencred (kubernetes/test-infra gencred/pkg/serviceaccount): in the
cluster of a kubeconfig context, a ServiceAccount (`serviceaccount-cluster-admin`
in `default` unless told otherwise) bound to cluster-admin by the
ClusterRoleBinding `serviceaccount-cluster-admin-crb`, and a kubeconfig context
(`build` by default) authenticating as it. Where Prow's reads the token of the
account's token Secret (which Kubernetes no longer makes), minprow asks the
TokenRequest API for one that lives `duration`.

`role="minimal"` binds instead what minprow's components call in a build
cluster (the kubernetes executor, sinker and crier): pods (create, get, list,
watch, delete, patch), pods/log (get), events (get, list, watch) and secrets
(get) in the pod namespace, and lets the account renew its own token
(`create` on `serviceaccounts/token`, its own name only), so rotation inside
`serve` needs nothing more.

Everything is created if missing and left as it is when there (409 is fine), so
running it again only issues a new token.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from minprow.kube.tokens import IssuedToken, Marker, SecretRef, TokenError, request_token

SERVICE_ACCOUNT = "serviceaccount-cluster-admin"
"""Prow's gencred's ServiceAccount name."""
NAMESPACE = "default"
"""Prow's gencred's ServiceAccount namespace."""
CLUSTER_ROLE_BINDING = "serviceaccount-cluster-admin-crb"
"""Prow's gencred's ClusterRoleBinding name (to cluster-admin)."""
DURATION = timedelta(days=2)
"""A token's default lifetime: what GKE allows at most, the case the issue was filed for."""
POD_NAMESPACE = "test-pods"
ROLES = ("cluster-admin", "minimal")
RBAC_GROUP = "rbac.authorization.k8s.io"

MINIMAL_RULES = [
    {
        "apiGroups": [""],
        "resources": ["pods"],
        "verbs": ["create", "get", "list", "watch", "delete", "patch"],
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
    {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]},
]
"""What minprow's components call in a build cluster's pod namespace."""


@dataclass(frozen=True)
class Request:
    """What to make: the account, its rights and its token's lifetime."""

    service_account: str = SERVICE_ACCOUNT
    namespace: str = NAMESPACE
    role: str = "cluster-admin"
    pod_namespace: str = POD_NAMESPACE
    duration: timedelta = DURATION
    audiences: tuple[str, ...] = ()


def make_credentials(api: Any, request: Request) -> tuple[IssuedToken, list[str]]:
    """Create what is missing in the cluster of `api` (a kubernetes ApiClient with
    the caller's rights) and issue a token; the token and what was done, in words."""
    from kubernetes.client import (
        CoreV1Api,
        RbacAuthorizationV1Api,
        RbacV1Subject,
        V1ClusterRoleBinding,
        V1ObjectMeta,
        V1ServiceAccount,
    )

    core, rbac = CoreV1Api(api), RbacAuthorizationV1Api(api)
    sa, ns = request.service_account, request.namespace
    subjects = [RbacV1Subject(kind="ServiceAccount", name=sa, namespace=ns)]
    done = [
        _ensure(
            f"ServiceAccount {ns}/{sa}",
            lambda: core.create_namespaced_service_account(
                ns, V1ServiceAccount(metadata=V1ObjectMeta(name=sa))
            ),
        )
    ]
    if request.role == "cluster-admin":
        binding = V1ClusterRoleBinding(
            metadata=V1ObjectMeta(name=CLUSTER_ROLE_BINDING),
            subjects=subjects,
            role_ref=_ref("ClusterRole", "cluster-admin"),
        )
        done.append(
            _ensure(
                f"ClusterRoleBinding {CLUSTER_ROLE_BINDING} (cluster-admin)",
                lambda: rbac.create_cluster_role_binding(binding),
            )
        )
    else:
        renew = [
            {
                "apiGroups": [""],
                "resources": ["serviceaccounts/token"],
                "verbs": ["create"],
                "resourceNames": [sa],
            }
        ]
        for where, name, rules in (
            (request.pod_namespace, f"{sa}-minprow", MINIMAL_RULES),
            (ns, f"{sa}-renew-token", renew),
        ):
            done += _role(rbac, where, name, rules, subjects)
    token = request_token(api, ns, sa, request.duration, request.audiences)
    return token, done


def marker(request: Request, secret: SecretRef | None = None) -> Marker:
    """The marker a context written for `request` carries."""
    return Marker(
        namespace=request.namespace,
        service_account=request.service_account,
        duration=request.duration,
        audiences=request.audiences,
        secret=secret,
    )


def _role(
    rbac: Any, namespace: str, name: str, rules: list[dict[str, Any]], subjects: list[Any]
) -> list[str]:
    from kubernetes.client import V1ObjectMeta, V1PolicyRule, V1Role, V1RoleBinding

    role = V1Role(
        metadata=V1ObjectMeta(name=name),
        rules=[
            V1PolicyRule(
                api_groups=r["apiGroups"],
                resources=r["resources"],
                verbs=r["verbs"],
                resource_names=r.get("resourceNames"),
            )
            for r in rules
        ],
    )
    binding = V1RoleBinding(
        metadata=V1ObjectMeta(name=name), subjects=subjects, role_ref=_ref("Role", name)
    )
    return [
        _ensure(f"Role {namespace}/{name}", lambda: rbac.create_namespaced_role(namespace, role)),
        _ensure(
            f"RoleBinding {namespace}/{name}",
            lambda: rbac.create_namespaced_role_binding(namespace, binding),
        ),
    ]


def _ref(kind: str, name: str) -> Any:
    from kubernetes.client import V1RoleRef

    return V1RoleRef(api_group=RBAC_GROUP, kind=kind, name=name)


def _ensure(what: str, create: Any) -> str:
    """Create it; already there is fine. What happened, in words."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        create()
    except ApiException as err:
        if err.status == 409:
            return f"{what}: already there"
        raise TokenError(f"cannot create {what}: {err.status} {err.reason}", err.status) from None
    except (HTTPError, OSError) as err:
        raise TokenError(f"cannot create {what}: {err}") from None
    return f"{what}: created"

"""The fake API server's authentication, RBAC authorization and TokenRequest.

Off unless a test turns it on (`FakeKube.auth.enabled = True`); every other test
talks to the fake unauthenticated, as before. When on, as kube-apiserver with
token authentication and the RBAC authorizer:

- each request carries `Authorization: Bearer TOKEN`: `ADMIN_TOKEN` (a
  system:masters user, allowed everything) or a token the fake issued through
  TokenRequest. None, an unknown one, or one whose `exp` is not after the fake's
  clock (`FakeKube.now`) is 401 with the real `Unauthorized` Status.
- a service account's request is allowed when a RoleBinding in the request's
  namespace or a ClusterRoleBinding names it as a subject and the role it refers
  to has a rule matching the API group, the resource (with its subresource:
  `pods/log`, `serviceaccounts/token`), the verb and, when the rule lists
  `resourceNames`, the object's name. Otherwise 403 with kube-apiserver's
  message (`... is forbidden: User "system:serviceaccount:NS:NAME" cannot VERB
  resource "R" in API group "G" in the namespace "NS"`).
- TokenRequest (`POST .../serviceaccounts/NAME/token`) issues a JWT with
  kube-apiserver's claims (`iss`, `sub`, `aud`, `iat`, `nbf`, `exp`,
  `kubernetes.io`); 404 for a missing ServiceAccount; `expirationSeconds` under
  10 minutes is 422 unless `min_token_seconds` is lowered (tests compress time).

`log` records each authenticated request as (time, user, status code) and
`rejected` counts 401s, so a test can say no expired token was ever sent.
Simplified: no aggregated ClusterRoles, no groups other than system:masters for
the admin, no non-resource URLs (`/version` is open), no token review API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

from aiohttp import web
from fakekube_resources import status

Obj = dict[str, Any]

ADMIN_TOKEN = "fake-admin-token"
"""A token of a system:masters user, as a cluster's admin kubeconfig carries."""
ISSUER = "https://kubernetes.default.svc.cluster.local"
_KEY = b"fake-kube-signing-key"
_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Attributes:
    """What a request asks, in the authorizer's terms."""

    verb: str
    group: str
    resource: str  # with its subresource: pods/log
    namespace: str
    name: str


def attributes(request: web.Request) -> Attributes | None:
    """The request's attributes, None for a non-resource path (/version)."""
    parts = [p for p in request.path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return None
    namespace = ""
    if rest[:1] == ["namespaces"] and len(rest) >= 3:
        namespace, rest = rest[1], rest[2:]
    if not rest:
        return None
    resource, name, sub = rest[0], rest[1] if len(rest) > 1 else "", rest[2:3]
    verb = _VERBS.get(request.method, request.method.lower())
    if request.method == "GET" and not name:
        verb = "watch" if parse_qs(request.query_string).get("watch") == ["true"] else "list"
    if request.method == "DELETE" and not name:
        verb = "deletecollection"
    return Attributes(verb, group, "/".join([resource, *sub]), namespace, name)


@dataclass
class Auth:
    """Token authentication and RBAC for one fake API server."""

    now: Callable[[], datetime]
    enabled: bool = False
    min_token_seconds: int = 600
    """kube-apiserver refuses shorter TokenRequests; tests compressing time lower it."""
    log: list[tuple[datetime, str | None, int]] = field(default_factory=list)
    rejected: int = 0
    """Requests answered 401: none, an unknown or an expired token."""
    fail_token_requests: int = 0
    """A test switch: the next this many TokenRequests fail with a 500."""

    # TokenRequest

    def issue(self, sa: Obj, body: Obj) -> web.Response:
        if self.fail_token_requests > 0:
            self.fail_token_requests -= 1
            failed = status(500, "InternalError", "the fake API server failed this TokenRequest")
            return web.json_response(failed, status=500)
        spec = body.get("spec") or {}
        seconds = int(spec.get("expirationSeconds") or 3600)
        if seconds < self.min_token_seconds:
            message = (
                'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: '
                "Invalid value: "
                f"{seconds}: may not specify a duration less than 10 minutes"
            )
            return web.json_response(status(422, "Invalid", message), status=422)
        meta = sa["metadata"]
        audiences = list(spec.get("audiences") or [ISSUER])
        issued = self.now()
        expires = issued + timedelta(seconds=seconds)
        claims = {
            "aud": audiences,
            "exp": int(expires.timestamp()),
            "iat": int(issued.timestamp()),
            "iss": ISSUER,
            "nbf": int(issued.timestamp()),
            "sub": f"system:serviceaccount:{meta['namespace']}:{meta['name']}",
            "kubernetes.io": {
                "namespace": meta["namespace"],
                "serviceaccount": {"name": meta["name"], "uid": meta.get("uid", "")},
            },
            "jti": str(uuid.uuid4()),
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = _b64(hmac.new(_KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        answer = {
            "kind": "TokenRequest",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "spec": {"audiences": audiences, "expirationSeconds": seconds},
            "status": {
                "token": f"{header}.{payload}.{signature}",
                "expirationTimestamp": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        }
        return web.json_response(answer, status=201)

    # authentication

    def user(self, request: web.Request) -> tuple[str | None, web.Response | None]:
        """The request's user, or the 401 to answer."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if token == ADMIN_TOKEN:
            return "admin", None
        claims = _verified(token)
        if claims is None or int(claims.get("exp", 0)) <= int(self.now().timestamp()):
            self.rejected += 1
            self.log.append((self.now(), None, 401))
            body = status(401, "Unauthorized", "Unauthorized")
            body.pop("details", None)
            return None, web.json_response(body, status=401)
        return str(claims["sub"]), None

    # authorization

    def forbidden(self, user: str, asked: Attributes, rbac: Rbac) -> web.Response | None:
        """The 403 for a request RBAC does not allow; None when it does."""
        if user == "admin" or rbac.allows(user, asked):
            return None
        resource = asked.resource.partition("/")[0]
        what = f'{resource} "{asked.name}"' if asked.name else resource
        scope = (
            f' in the namespace "{asked.namespace}"' if asked.namespace else " at the cluster scope"
        )
        message = (
            f'{what} is forbidden: User "{user}" cannot {asked.verb} resource '
            f'"{asked.resource}" in API group "{asked.group}"{scope}'
        )
        details: dict[str, Any] = {"kind": resource}
        if asked.name:
            details["name"] = asked.name
        if asked.group:
            details["group"] = asked.group
        return web.json_response(status(403, "Forbidden", message, **details), status=403)


@dataclass
class Rbac:
    """The fake's RBAC objects, read where the authorizer needs them."""

    roles: dict[Any, Obj]
    rolebindings: dict[Any, Obj]
    clusterroles: dict[Any, Obj]
    clusterrolebindings: dict[Any, Obj]

    def allows(self, user: str, asked: Attributes) -> bool:
        bindings = list(self.clusterrolebindings.values())
        bindings += [
            b
            for (ns, _), b in self.rolebindings.items()
            if asked.namespace and ns == asked.namespace
        ]
        for binding in bindings:
            if not any(_names(subject, user) for subject in binding.get("subjects") or []):
                continue
            for rule in self._rules(binding):
                if _matches(rule, asked):
                    return True
        return False

    def _rules(self, binding: Obj) -> list[Obj]:
        ref = binding.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole":
            role = self.clusterroles.get(ref.get("name"))
        else:
            ns = binding["metadata"].get("namespace", "")
            role = self.roles.get((ns, ref.get("name")))
        return list((role or {}).get("rules") or [])


def _names(subject: Obj, user: str) -> bool:
    if subject.get("kind") != "ServiceAccount":
        return False
    return user == f"system:serviceaccount:{subject.get('namespace')}:{subject.get('name')}"


def _matches(rule: Obj, asked: Attributes) -> bool:
    def has(values: list[str] | None, value: str) -> bool:
        return bool(values) and ("*" in values or value in values)  # type: ignore[operator]

    if not has(rule.get("verbs"), asked.verb) or not has(rule.get("apiGroups"), asked.group):
        return False
    if not has(rule.get("resources"), asked.resource):
        return False
    names = rule.get("resourceNames")
    return not names or asked.name in names


def _verified(token: str) -> Obj | None:
    """The claims of a token this fake signed; None for anything else."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    expected = _b64(hmac.new(_KEY, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        claims: Obj = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims


CLUSTER_ADMIN: Obj = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "cluster-admin", "uid": "cluster-admin-uid", "resourceVersion": "1"},
    "rules": [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ],
}
"""The ClusterRole every cluster has, seeded into the fake."""

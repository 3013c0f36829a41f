"""The fake API server's TokenRequest, RBAC objects, authentication and
authorization, driven by the real `kubernetes` client through kubeconfig files."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakekube import FakeKubeThread, api_client, write_kubeconfig
from fakekube_auth import ADMIN_TOKEN
from kubernetes import client
from kubernetes.client.exceptions import ApiException

NS = "prow"
SA = "minprow-build"
T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def now() -> list[datetime]:
    """The fake's clock: a test moves it by setting `now[0]`."""
    return [T0]


@pytest.fixture
def server(now: list[datetime]) -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as fake:
        fake.fake.now = lambda: now[0]
        fake.fake.auth.enabled = True
        yield fake


def _api(server: FakeKubeThread, tmp_path: Path, token: str) -> client.ApiClient:
    path = write_kubeconfig(
        tmp_path / f"kc-{len(token)}-{token[-6:]}", {"c": server.url}, token=token
    )
    return api_client(path, "c")


@pytest.fixture
def admin(server: FakeKubeThread, tmp_path: Path) -> client.ApiClient:
    api = _api(server, tmp_path, ADMIN_TOKEN)
    client.CoreV1Api(api).create_namespaced_service_account(NS, {"metadata": {"name": SA}})
    return api


def _token(admin: client.ApiClient, seconds: int = 3600, name: str = SA) -> Any:
    request = {
        "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": seconds}
    }
    return client.CoreV1Api(admin).create_namespaced_service_account_token(name, NS, request)


def _claims(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _failure(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as raised:
        call()
    return raised.value.status, json.loads(raised.value.body)


def test_a_token_request_issues_a_jwt_with_kube_apiservers_claims(admin: client.ApiClient) -> None:
    answer = _token(admin, seconds=7200)
    token = answer.status.token
    assert answer.status.expiration_timestamp == T0 + timedelta(hours=2)
    claims = _claims(token)
    assert claims["sub"] == f"system:serviceaccount:{NS}:{SA}"
    assert claims["aud"] == ["https://kubernetes.default.svc"]
    assert (claims["iat"], claims["exp"]) == (int(T0.timestamp()), int(T0.timestamp()) + 7200)
    assert claims["kubernetes.io"]["serviceaccount"]["name"] == SA


@pytest.mark.parametrize(
    ("name", "seconds", "code", "message"),
    [
        ("nobody", 3600, 404, 'serviceaccounts "nobody" not found'),
        (SA, 599, 422, "may not specify a duration less than 10 minutes"),
    ],
    ids=["missing-service-account", "under-ten-minutes"],
)
def test_a_token_request_that_cannot_be_answered(
    admin: client.ApiClient, name: str, seconds: int, code: int, message: str
) -> None:
    status, body = _failure(lambda: _token(admin, seconds, name))
    assert status == code
    assert message in body["message"]


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"], ids=["none", "garbage", "unsigned"])
def test_no_valid_token_is_401(server: FakeKubeThread, tmp_path: Path, token: str) -> None:
    api = _api(server, tmp_path, token or "x")
    if not token:
        api.configuration.api_key = {}
        api.configuration.api_key_prefix = {}
    status, body = _failure(lambda: client.CoreV1Api(api).list_namespaced_pod(NS))
    assert status == 401
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


def test_an_expired_token_is_401(
    server: FakeKubeThread, admin: client.ApiClient, tmp_path: Path, now: list[datetime]
) -> None:
    _bind(admin, "cluster-admin", cluster=True)
    api = _api(server, tmp_path, _token(admin, seconds=600).status.token)
    client.CoreV1Api(api).list_namespaced_pod(NS)
    now[0] = T0 + timedelta(seconds=600)
    status, _ = _failure(lambda: client.CoreV1Api(api).list_namespaced_pod(NS))
    assert status == 401
    assert server.fake.auth.rejected == 1


def _bind(
    admin: client.ApiClient, role: str, *, cluster: bool, names: list[str] | None = None
) -> None:
    rbac = client.RbacAuthorizationV1Api(admin)
    subject = [{"kind": "ServiceAccount", "name": SA, "namespace": NS}]
    if cluster:
        rbac.create_cluster_role_binding(
            {
                "metadata": {"name": f"{SA}-{role}"},
                "subjects": subject,
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": role,
                },
            }
        )
        return
    rule: dict[str, Any] = {
        "apiGroups": [""],
        "resources": ["pods", "serviceaccounts/token"],
        "verbs": ["list", "create"],
    }
    if names:
        rule["resourceNames"] = names
    rbac.create_namespaced_role(NS, {"metadata": {"name": role}, "rules": [rule]})
    rbac.create_namespaced_role_binding(
        NS,
        {
            "metadata": {"name": role},
            "subjects": subject,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
        },
    )


def test_without_a_binding_a_service_account_is_403(
    server: FakeKubeThread, admin: client.ApiClient, tmp_path: Path
) -> None:
    api = _api(server, tmp_path, _token(admin).status.token)
    status, body = _failure(lambda: client.CoreV1Api(api).read_namespaced_pod("p1", NS))
    assert status == 403
    assert body["reason"] == "Forbidden"
    assert body["message"] == (
        f'pods "p1" is forbidden: User "system:serviceaccount:{NS}:{SA}" cannot get resource '
        f'"pods" in API group "" in the namespace "{NS}"'
    )


def test_a_role_allows_what_its_rules_say(
    server: FakeKubeThread, admin: client.ApiClient, tmp_path: Path
) -> None:
    _bind(admin, "lister", cluster=False, names=None)
    api = _api(server, tmp_path, _token(admin).status.token)
    assert client.CoreV1Api(api).list_namespaced_pod(NS).items == []
    status, _ = _failure(lambda: client.CoreV1Api(api).list_namespaced_secret(NS))
    assert status == 403
    status, _ = _failure(lambda: client.CoreV1Api(api).list_namespaced_pod("elsewhere"))
    assert status == 403


def test_resource_names_limit_a_token_request_to_its_own_account(
    server: FakeKubeThread, admin: client.ApiClient, tmp_path: Path
) -> None:
    client.CoreV1Api(admin).create_namespaced_service_account(NS, {"metadata": {"name": "other"}})
    _bind(admin, "renew-self", cluster=False, names=[SA])
    api = _api(server, tmp_path, _token(admin).status.token)
    assert _token(api).status.token
    status, body = _failure(lambda: _token(api, name="other"))
    assert status == 403
    assert 'cannot create resource "serviceaccounts/token"' in body["message"]


def test_cluster_admin_allows_everything(
    server: FakeKubeThread, admin: client.ApiClient, tmp_path: Path
) -> None:
    _bind(admin, "cluster-admin", cluster=True)
    api = _api(server, tmp_path, _token(admin).status.token)
    client.CoreV1Api(api).list_namespaced_secret("anywhere")
    client.RbacAuthorizationV1Api(api).list_cluster_role_binding()
    assert [code for _, user, code in server.fake.auth.log if user != "admin"] == [200, 200]

"""Credential expiry, as the cluster health the API serves reports it (from the kubeconfigs)."""

from __future__ import annotations

import base64
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from minprow.kube.kubeconfig import ClusterConfigs, load_cluster_configs

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.0",
    "gitCommit": "abc",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}
NOW = datetime(2026, 11, 24, 6, 40, tzinfo=UTC)


def kubeconfig(path: Path, clusters: dict[str, str], users: dict[str, dict[str, Any]]) -> Path:
    """A kubeconfig with one context per cluster, each using the same-named user."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": s}} for n, s in clusters.items()],
        "users": [{"name": n, "user": users.get(n, {"token": "t"})} for n in clusters],
        "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in clusters],
    }
    path.write_text(yaml.safe_dump(doc))
    return path


def load(path: Path) -> ClusterConfigs:
    return load_cluster_configs([path], in_cluster=False)


def self_signed(not_after: datetime) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ci")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=30))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def jwt(exp: datetime) -> str:
    def part(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none'})}.{part({'exp': int(exp.timestamp())})}.sig"


CERT_EXP = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
TOKEN_EXP = datetime(2026, 12, 1, tzinfo=UTC)
EXEC_EXP = datetime(2026, 11, 24, 7, 40, tzinfo=UTC)


def user(kind: str, tmp_path: Path) -> dict[str, Any]:
    if kind == "cert-data":
        cert, key = self_signed(CERT_EXP)
        return {
            "client-certificate-data": base64.b64encode(cert).decode(),
            "client-key-data": base64.b64encode(key).decode(),
        }
    if kind == "cert-file":
        cert, key = self_signed(CERT_EXP)
        (tmp_path / "ci.crt").write_bytes(cert)
        (tmp_path / "ci.key").write_bytes(key)
        return {"client-certificate": "ci.crt", "client-key": "ci.key"}
    if kind == "jwt":
        return {"token": jwt(TOKEN_EXP)}
    if kind == "exec":
        status = {"token": "from-exec", "expirationTimestamp": EXEC_EXP.isoformat()}
        credential = {
            "apiVersion": "client.authentication.k8s.io/v1",
            "kind": "ExecCredential",
            "status": status,
        }
        return {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
                "interactiveMode": "Never",
            }
        }
    return {"token": "opaque"}


@pytest.mark.parametrize(
    ("kind", "expires"),
    [
        ("cert-data", CERT_EXP),
        ("cert-file", CERT_EXP),
        ("jwt", TOKEN_EXP),
        ("exec", EXEC_EXP),
        ("opaque", None),
    ],
    ids=["client-cert-data", "client-cert-file", "jwt-exp", "exec-expiration", "unknowable"],
)
def test_credential_expiry(tmp_path: Path, kind: str, expires: datetime | None) -> None:
    path = kubeconfig(tmp_path / "k", {"c": "https://c.example"}, {"c": user(kind, tmp_path)})
    configs = load(path)
    assert configs["c"].expires_at == expires

"""Build-cluster credentials: kubeconfig files merged into one context map.

Prow's pkg/kube/config.go (`LoadClusterConfigs`, `mergeConfigs`) and
pkg/flagutil/kubernetes_cluster_clients.go (`--kubeconfig`,
`--kubeconfig-dir`, `--kubeconfig-suffix`). The rules kept from Prow:

* every context of every file is loaded; a context name defined by two files
  is an error (here naming both files);
* `--kubeconfig-dir` reads each plain file of the directory whose name ends
  with the suffix, skipping directories and names starting with `..`
  (the ConfigMap/Secret mount's own entries);
* `in-cluster` is the pod's service account when running in a pod, else the
  current-context of the files; `default` (Prow's `DefaultClusterAlias`) is
  the `default` context when one is defined, else `in-cluster`;
* with in-cluster config turned off (Prow's `NoInClusterConfig`) the contexts
  are returned as they are, without either alias.

Deliberate differences: the current-context is the last *non-empty* one of
the files (Prow takes the last file's even when empty, so the result would
depend on file order); Prow's disabled clusters and projected token file are
not supported. minprow's addition: a context whose cluster server is the
literal `in-cluster` and that has no user is the pod's own service account.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from kubernetes.client import Configuration
from kubernetes.config.config_exception import ConfigException
from kubernetes.config.incluster_config import (
    InClusterConfigLoader,
)
from kubernetes.config.kube_config import KubeConfigLoader

from minprow.kube.tokens import Marker

IN_CLUSTER_CONTEXT = "in-cluster"
DEFAULT_CLUSTER_ALIAS = "default"
IN_CLUSTER_SERVER = "in-cluster"

_SA_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


class KubeconfigError(Exception):
    """A kubeconfig file (or the service account) that cannot be used."""


@dataclass(frozen=True)
class ServiceAccount:
    """Where the pod's service account lives; injectable for tests."""

    token_file: Path = _SA_DIR / "token"
    ca_file: Path = _SA_DIR / "ca.crt"
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def present(self) -> bool:
        """Whether this process runs in a pod (the token file exists)."""
        return self.token_file.is_file()


@dataclass(frozen=True)
class ClusterConfig:
    """One context: its client configuration and where it came from."""

    context: str
    server: str
    source: str
    fingerprint: str
    expires_at: datetime | None
    configuration: Configuration = field(compare=False, repr=False)
    marker: Marker | None = None
    """What `minprow gencred` recorded on the context, for rotation; None otherwise."""
    issued_at: datetime | None = None
    """When its token was issued (the JWT's `iat`), when it says."""
    alias_of: str | None = None
    """The context this one stands for (`default`, `in-cluster`), None for a real one."""
    renewed_by: str | None = None
    """What renews these credentials outside minprow (the kubelet, an exec plugin), so
    their expiry is nobody's alarm; None when nothing is known to."""


@dataclass(frozen=True)
class ClusterConfigs(Mapping[str, ClusterConfig]):
    """Context name → ClusterConfig, with Prow's `default` rule."""

    contexts: Mapping[str, ClusterConfig]

    def __getitem__(self, name: str) -> ClusterConfig:
        return self.contexts[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.contexts))

    def __len__(self) -> int:
        return len(self.contexts)

    def for_job(self, cluster: str | None) -> ClusterConfig:
        """The config of a job's `cluster` field; no name means `default`."""
        name = cluster or DEFAULT_CLUSTER_ALIAS
        try:
            return self.contexts[name]
        except KeyError:
            raise KubeconfigError(f"no kubeconfig context named {name!r}") from None


def _fingerprint(*parts: object) -> str:
    blob = json.dumps(parts, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def jwt_expiry(token: str) -> datetime | None:
    """The `exp` claim of a JWT bearer token, when it is one."""
    return jwt_claim_time(token, "exp")


def jwt_claim_time(token: str, claim: str) -> datetime | None:
    """A time claim (`exp`, `iat`) of a JWT bearer token, when it is one."""
    pieces = token.strip().split(".")
    if len(pieces) != 3:
        return None
    try:
        payload = pieces[1] + "=" * (-len(pieces[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except ValueError:
        return None
    when = claims.get(claim) if isinstance(claims, dict) else None
    if not isinstance(when, int | float):
        return None
    return datetime.fromtimestamp(when, UTC)


def cert_expiry(pem: bytes) -> datetime:
    """A PEM client certificate's notAfter."""
    return x509.load_pem_x509_certificate(pem).not_valid_after_utc


def _earliest(*times: datetime | None) -> datetime | None:
    known = [t for t in times if t is not None]
    return min(known) if known else None


def _user_expiry(user: Mapping[str, Any], base: Path) -> datetime | None:
    cert: bytes | None = None
    if data := user.get("client-certificate-data"):
        cert = base64.b64decode(data)
    elif path := user.get("client-certificate"):
        cert = (base / path).read_bytes()
    token = user.get("token")
    if token is None and (token_file := user.get("tokenFile")):
        token = (base / token_file).read_text()
    return _earliest(
        cert_expiry(cert) if cert else None,
        jwt_expiry(token) if isinstance(token, str) else None,
    )


def service_account_config(sa: ServiceAccount, context: str) -> ClusterConfig:
    """The pod's own service account (`rest.InClusterConfig`)."""
    cfg = Configuration()
    try:
        sa_loader = InClusterConfigLoader(  # type: ignore[no-untyped-call]
            token_filename=str(sa.token_file),
            cert_filename=str(sa.ca_file),
            try_refresh_token=True,
            environ=sa.environ,
        )
        sa_loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
        token = sa.token_file.read_text()
        ca = sa.ca_file.read_bytes()
    except (ConfigException, OSError) as exc:
        raise KubeconfigError(f"service account ({sa.token_file}): {exc}") from exc
    return ClusterConfig(
        context=context,
        server=cfg.host,
        source=str(sa.token_file),
        fingerprint=_fingerprint(cfg.host, token, ca.decode(errors="replace")),
        expires_at=jwt_expiry(token),
        configuration=cfg,
        renewed_by="the kubelet (the pod's projected service-account token)",
    )


def _named(doc: Mapping[str, Any], kind: str, path: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for item in doc.get(kind) or []:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise KubeconfigError(f"{path}: an entry of {kind} has no name")
        body = item.get(kind[:-1])
        out[item["name"]] = body if isinstance(body, dict) else {}
    return out


def _document(path: Path) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise KubeconfigError(f"{path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise KubeconfigError(f"{path}: not a kubeconfig mapping")
    return doc


def _cluster_of(
    name: str, ctx: Mapping[str, Any], clusters: Mapping[str, dict[str, Any]], path: Path
) -> dict[str, Any]:
    cluster = clusters.get(str(ctx.get("cluster")))
    if cluster is None:
        raise KubeconfigError(f"{path}: context {name!r} names no known cluster")
    return cluster


def _current(doc: Mapping[str, Any]) -> str:
    current = doc.get("current-context")
    return current if isinstance(current, str) else ""


def load_kubeconfig(path: Path, sa: ServiceAccount) -> tuple[dict[str, ClusterConfig], str]:
    """Every context of one kubeconfig file, and its current-context."""
    doc = _document(path)
    clusters = _named(doc, "clusters", path)
    users = _named(doc, "users", path)
    contexts = _named(doc, "contexts", path)
    out: dict[str, ClusterConfig] = {}
    for name, ctx in contexts.items():
        cluster = _cluster_of(name, ctx, clusters, path)
        user_name = ctx.get("user")
        if cluster.get("server") == IN_CLUSTER_SERVER and not user_name:
            try:
                out[name] = service_account_config(sa, name)
            except KubeconfigError as exc:
                raise KubeconfigError(f"{path}: context {name!r}: {exc}") from exc
            continue
        user = users.get(str(user_name), {}) if user_name else {}
        cfg = Configuration()
        try:
            loader = KubeConfigLoader(  # type: ignore[no-untyped-call]
                config_dict=doc, active_context=name, config_base_path=str(path.parent)
            )
            loader.load_and_set(cfg)  # type: ignore[no-untyped-call]
            expires = _earliest(_user_expiry(user, path.parent), getattr(loader, "expiry", None))
        except (ConfigException, OSError, ValueError) as exc:
            raise KubeconfigError(f"{path}: context {name!r}: {exc}") from exc
        try:
            marker = Marker.of_context(ctx)
        except ValueError as exc:
            raise KubeconfigError(f"{path}: context {name!r}: {exc}") from exc
        token = user.get("token")
        out[name] = ClusterConfig(
            context=name,
            server=cfg.host,
            source=str(path),
            fingerprint=_fingerprint(ctx, cluster, user),
            expires_at=expires,
            configuration=cfg,
            marker=marker,
            issued_at=jwt_claim_time(token, "iat") if isinstance(token, str) else None,
            renewed_by=_renewed_by(user),
        )
    return out, _current(doc)


def _renewed_by(user: Mapping[str, Any]) -> str | None:
    """Who keeps a kubeconfig user's credentials fresh, when it is not minprow."""
    if user.get("exec"):
        return "its exec plugin"
    if user.get("auth-provider"):
        return "its auth provider"
    # A tokenFile another process renews is not counted: it is read with the
    # kubeconfig, and the agent watches the kubeconfig files, not it.
    return None


def kubeconfig_candidates(
    kubeconfigs: Sequence[Path], kubeconfig_dir: Path | None, suffix: str = ""
) -> list[Path]:
    """The files to read: the `--kubeconfig` ones, then the dir's, sorted."""
    files = list(kubeconfigs)
    if kubeconfig_dir is not None:
        try:
            entries = sorted(kubeconfig_dir.iterdir())
        except OSError as exc:
            raise KubeconfigError(f"kubeconfig dir {kubeconfig_dir}: {exc}") from exc
        files.extend(
            p
            for p in entries
            if not p.is_dir() and not p.name.startswith("..") and p.name.endswith(suffix)
        )
    return files


def _alias(cfg: ClusterConfig, name: str) -> ClusterConfig:
    return replace(cfg, context=name, alias_of=cfg.alias_of or cfg.context)


def load_cluster_configs(
    kubeconfigs: Sequence[Path],
    kubeconfig_dir: Path | None = None,
    kubeconfig_suffix: str = "",
    *,
    in_cluster: bool | None = None,
    service_account: ServiceAccount | None = None,
) -> ClusterConfigs:
    """Prow's `LoadClusterConfigs`.

    `in_cluster`: True requires the pod's service account, None uses it when
    the token file exists, False is Prow's `NoInClusterConfig` (no aliases).
    """
    sa = service_account or ServiceAccount()
    merged: dict[str, ClusterConfig] = {}
    current = ""
    for path in kubeconfig_candidates(kubeconfigs, kubeconfig_dir, kubeconfig_suffix):
        contexts, file_current = load_kubeconfig(path, sa)
        current = file_current or current
        for name, cfg in contexts.items():
            if name in merged:
                raise _defined_twice(name, merged[name].source, path)
            merged[name] = cfg
    if in_cluster is False:
        return ClusterConfigs(merged)
    if in_cluster or sa.present():
        merged[IN_CLUSTER_CONTEXT] = service_account_config(sa, IN_CLUSTER_CONTEXT)
    elif current in merged:
        merged[IN_CLUSTER_CONTEXT] = _alias(merged[current], IN_CLUSTER_CONTEXT)
    else:
        raise KubeconfigError(_NO_ACCESS)
    if DEFAULT_CLUSTER_ALIAS not in merged:
        merged[DEFAULT_CLUSTER_ALIAS] = _alias(merged[IN_CLUSTER_CONTEXT], DEFAULT_CLUSTER_ALIAS)
    return ClusterConfigs(merged)


def context_names(
    kubeconfigs: Sequence[Path],
    kubeconfig_dir: Path | None = None,
    kubeconfig_suffix: str = "",
    *,
    service_account: ServiceAccount | None = None,
) -> frozenset[str]:
    """The names `load_cluster_configs` gives (every context, `in-cluster` and
    `default`), found without loading any credentials: no certificate or token
    is read and no exec plugin runs, so `check-config` can compare jobs'
    `cluster` fields with kubeconfigs whose secrets are not there. Raises
    KubeconfigError where `load_cluster_configs` would for the same files."""
    sa = service_account or ServiceAccount()
    sources: dict[str, Path] = {}
    current = ""
    for path in kubeconfig_candidates(kubeconfigs, kubeconfig_dir, kubeconfig_suffix):
        doc = _document(path)
        clusters = _named(doc, "clusters", path)
        for name, ctx in _named(doc, "contexts", path).items():
            _cluster_of(name, ctx, clusters, path)
            if name in sources:
                raise _defined_twice(name, sources[name], path)
            sources[name] = path
        current = _current(doc) or current
    if not (sa.present() or current in sources):
        raise KubeconfigError(_NO_ACCESS)
    return frozenset([*sources, IN_CLUSTER_CONTEXT, DEFAULT_CLUSTER_ALIAS])


_NO_ACCESS = (
    "no cluster access: not in a pod and no current-context in the kubeconfigs "
    "(set `current-context: NAME` in one of them)"
)


def _defined_twice(name: str, first: object, second: Path) -> KubeconfigError:
    return KubeconfigError(f"context {name!r} is defined in both {first} and {second}")

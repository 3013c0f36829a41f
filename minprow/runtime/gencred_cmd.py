"""`minprow gencred`: the command around kube/gencred.py — which kubeconfig and
context, where the new context goes, and what is said (never the token)."""

from __future__ import annotations

import base64
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minprow.kube.gencred import Request, make_credentials, marker
from minprow.kube.tokens import (
    SecretRef,
    TokenError,
    load_kubeconfig_doc,
    save_kubeconfig_file,
    save_kubeconfig_secret,
    write_kubeconfig_context,
)
from minprow.runtime.commands import fail_with


@dataclass(frozen=True)
class Target:
    """Where the context is written: a kubeconfig file, or a Secret's key in the
    cluster of `secret_context`."""

    name: str
    output: Path | None = None
    secret: str | None = None
    secret_context: str | None = None


def default_kubeconfig() -> Path:
    """kubectl's: the first file of $KUBECONFIG, else ~/.kube/config."""
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return Path(listed[0]) if listed else Path.home() / ".kube" / "config"


def main(kubeconfig: Path | None, context: str | None, target: Target, request: Request) -> int:
    path = kubeconfig or default_kubeconfig()
    try:
        source = load_kubeconfig_doc(path)
        context = context or str(source.get("current-context") or "")
        if not context:
            return fail_with(f"{path} has no current-context: pass --context")
        server, ca_data = _cluster(source, context, path)
        ref = SecretRef.parse(target.secret) if target.secret else None
        api = _client(path, context)
        token, done = make_credentials(api, request)
    except (TokenError, ValueError) as err:
        return fail_with(str(err))
    for line in done:
        print(f"gencred: {line}", file=sys.stderr)

    def update(doc: dict[str, Any]) -> dict[str, Any]:
        return write_kubeconfig_context(
            doc,
            context=target.name,
            server=server,
            ca_data=ca_data,
            token=token.token,
            marker=marker(request, ref),
        )

    try:
        if ref is not None:
            save_kubeconfig_secret(_client(path, target.secret_context or context), ref, update)
            where = f"Secret {ref}"
        else:
            assert target.output is not None
            save_kubeconfig_file(target.output, update(load_kubeconfig_doc(target.output)))
            where = str(target.output)
    except (TokenError, OSError) as err:
        return fail_with(f"the token was issued but could not be written: {err}")
    print(
        f"gencred: context {target.name!r} ({server}, as "
        f"{request.namespace}/{request.service_account}) written to {where}; its token "
        f"expires at {token.expires_at.isoformat()}"
    )
    return 0


def _cluster(doc: dict[str, Any], context: str, path: Path) -> tuple[str, str | None]:
    """The server and CA (base64 PEM) of `context`'s cluster."""
    ctx = next((c for c in doc.get("contexts") or [] if c.get("name") == context), None)
    if ctx is None:
        raise TokenError(f"{path} has no context {context!r}")
    cluster_name = (ctx.get("context") or {}).get("cluster")
    entry = next((c for c in doc.get("clusters") or [] if c.get("name") == cluster_name), None)
    cluster = (entry or {}).get("cluster") or {}
    server = cluster.get("server")
    if not server:
        raise TokenError(
            f"{path}: context {context!r} names cluster {cluster_name!r}, with no server"
        )
    ca_data = cluster.get("certificate-authority-data")
    ca_file = cluster.get("certificate-authority")
    if not ca_data and ca_file:
        ca_path = Path(ca_file) if os.path.isabs(ca_file) else path.parent / ca_file
        try:
            ca_data = base64.b64encode(ca_path.read_bytes()).decode()
        except OSError as err:
            raise TokenError(f"{path}: cannot read {ca_path}: {err.strerror}") from None
    return str(server), ca_data


def _client(path: Path, context: str) -> Any:
    from kubernetes.config import new_client_from_config
    from kubernetes.config.config_exception import ConfigException

    try:
        return new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(path), context=context
        )
    except (ConfigException, OSError) as err:
        raise TokenError(f"{path}: context {context!r}: {err}") from None

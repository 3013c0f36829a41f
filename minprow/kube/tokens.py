"""Build-cluster credentials as gencred makes them: a service account's token from
the TokenRequest API, written as a kubeconfig context, marked for rotation.

Prow's gencred (kubernetes/test-infra gencred/) writes a context whose user is
a ServiceAccount's token; a periodic job runs it again before the token
expires. minprow records on the context what it needs to ask for the next
token itself (`Marker`, a kubeconfig context extension named `MARKER`), so
`serve --rotate-build-credentials` can renew it where it was written: the
kubeconfig file, or the key of a Secret mounted as `--kubeconfig-dir`.

Tokens never appear in a repr, a log line or an error message.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from minprow.model.duration import format_duration, parse_duration

MARKER = "minprow.dev/gencred"
"""The name of the context extension gencred writes (contexts[].context.extensions[])."""
DEFAULT_SECRET_KEY = "kubeconfig"
"""The key of a `--secret NAMESPACE/NAME` given without one."""
SECRET_RETRIES = 5
"""Attempts at a Secret's read-modify-replace when another writer keeps changing it."""


class TokenError(Exception):
    """A token could not be had or kept; `status` is the API server's HTTP status
    (401 expired credentials, 403 no rights), None when it was not reached."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SecretRef:
    """`NAMESPACE/NAME[:KEY]`: a kubeconfig kept under KEY of a Secret."""

    namespace: str
    name: str
    key: str = DEFAULT_SECRET_KEY

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        ref, _, key = text.partition(":")
        namespace, slash, name = ref.partition("/")
        if not slash or not namespace or not name or "/" in name or (_ and not key):
            raise ValueError(f"{text!r} is not NAMESPACE/NAME[:KEY]")
        return cls(namespace, name, key or DEFAULT_SECRET_KEY)

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}:{self.key}"


@dataclass(frozen=True)
class Marker:
    """What gencred recorded on a context: enough to request the next token."""

    namespace: str
    service_account: str
    duration: timedelta
    audiences: tuple[str, ...] = ()
    secret: SecretRef | None = None

    def to_extension(self) -> dict[str, Any]:
        extension: dict[str, Any] = {
            "namespace": self.namespace,
            "serviceAccount": self.service_account,
            "duration": format_duration(self.duration),
        }
        if self.audiences:
            extension["audiences"] = list(self.audiences)
        if self.secret is not None:
            extension["secret"] = str(self.secret)
        return {"name": MARKER, "extension": extension}

    @classmethod
    def from_extension(cls, extension: Mapping[str, Any]) -> Marker:
        """From the `extension` of a MARKER entry; ValueError when it is not gencred's."""
        try:
            secret = extension.get("secret")
            return cls(
                namespace=str(extension["namespace"]),
                service_account=str(extension["serviceAccount"]),
                duration=parse_duration(str(extension["duration"])),
                audiences=tuple(str(a) for a in extension.get("audiences") or ()),
                secret=SecretRef.parse(str(secret)) if secret else None,
            )
        except (KeyError, TypeError) as err:
            raise ValueError(f"the {MARKER} extension lacks {err}") from err

    @classmethod
    def of_context(cls, context: Mapping[str, Any]) -> Marker | None:
        """The marker of a kubeconfig context body (`contexts[].context`), if any."""
        for entry in context.get("extensions") or ():
            if isinstance(entry, Mapping) and entry.get("name") == MARKER:
                extension = entry.get("extension")
                if isinstance(extension, Mapping):
                    return cls.from_extension(extension)
        return None


@dataclass(frozen=True)
class IssuedToken:
    """A token from TokenRequest and when it expires."""

    token: str = field(repr=False)
    expires_at: datetime


def request_token(
    api: Any, namespace: str, name: str, duration: timedelta, audiences: Sequence[str] = ()
) -> IssuedToken:
    """POST serviceaccounts/NAME/token (TokenRequest) through `api`, a kubernetes
    ApiClient; TokenError with the API server's status when it is refused."""
    from kubernetes.client import (
        AuthenticationV1TokenRequest,
        CoreV1Api,
        V1TokenRequestSpec,
    )
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    spec = V1TokenRequestSpec(
        audiences=list(audiences), expiration_seconds=int(duration.total_seconds())
    )
    try:
        answer = CoreV1Api(api).create_namespaced_service_account_token(
            name, namespace, AuthenticationV1TokenRequest(spec=spec)
        )
    except ApiException as err:
        raise TokenError(
            f"TokenRequest for {namespace}/{name} refused: {err.status} {err.reason}"
            f"{_message(err)}",
            err.status,
        ) from None
    except (HTTPError, OSError) as err:
        raise TokenError(f"TokenRequest for {namespace}/{name}: {err}") from None
    issued = answer.status
    if issued is None or not issued.token or issued.expiration_timestamp is None:
        raise TokenError(f"TokenRequest for {namespace}/{name} answered no token")
    return IssuedToken(issued.token, issued.expiration_timestamp)


def _message(err: Any) -> str:
    """The Status message of an API error (which never holds a token)."""
    import json

    with contextlib.suppress(ValueError, TypeError, AttributeError):
        message = json.loads(err.body).get("message")
        if message:
            return f": {message}"
    return ""


def write_kubeconfig_context(
    doc: Mapping[str, Any],
    *,
    context: str,
    server: str,
    ca_data: str | None,
    token: str,
    marker: Marker,
) -> dict[str, Any]:
    """`doc` (a kubeconfig, possibly empty) with cluster, user and context named
    `context` added or replaced, the context carrying the marker; others untouched."""
    out: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        **{k: v for k, v in doc.items()},
    }
    cluster: dict[str, Any] = {"server": server}
    if ca_data:
        cluster["certificate-authority-data"] = ca_data
    entries = {
        "clusters": {"name": context, "cluster": cluster},
        "users": {"name": context, "user": {"token": token}},
        "contexts": {
            "name": context,
            "context": {"cluster": context, "user": context, "extensions": [marker.to_extension()]},
        },
    }
    for section, entry in entries.items():
        kept = [e for e in out.get(section) or [] if e.get("name") != context]
        out[section] = [*kept, entry]
    if not out.get("current-context"):
        out["current-context"] = context
    return out


def replace_token(doc: Mapping[str, Any], context: str, token: str) -> dict[str, Any]:
    """`doc` with the token of `context`'s user replaced (rotation: nothing else moves)."""
    out = dict(doc)
    ctx = next((c for c in out.get("contexts") or [] if c.get("name") == context), None)
    if ctx is None:
        raise TokenError(f"the kubeconfig no longer has a context {context!r}")
    user_name = (ctx.get("context") or {}).get("user")
    users = []
    found = False
    for user in out.get("users") or []:
        if user.get("name") == user_name:
            user = {**user, "user": {**(user.get("user") or {}), "token": token}}
            found = True
        users.append(user)
    if not found:
        raise TokenError(f"context {context!r} names a user {user_name!r} the kubeconfig lacks")
    out["users"] = users
    return out


def load_kubeconfig_doc(path: Path) -> dict[str, Any]:
    """A kubeconfig file as a mapping; an empty one when the file is not there."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise TokenError(f"cannot read {path}: {err.strerror}") from None
    return _parse(text, str(path))


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise TokenError(f"{where} is not YAML: {err}") from None
    if not isinstance(doc, dict):
        raise TokenError(f"{where} is not a kubeconfig (not a mapping)")
    return doc


def save_kubeconfig_file(path: Path, doc: Mapping[str, Any]) -> None:
    """Write `doc` to `path` atomically (a temporary file in the same directory,
    fsynced, renamed over it), mode 0600: a reader sees the old or the new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(dict(doc), sort_keys=False)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def save_kubeconfig_secret(
    api: Any, ref: SecretRef, update: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Read the Secret, `update` the kubeconfig under its key, replace it with the
    resourceVersion read (the Secret is created when missing); a 409 is retried."""
    import base64

    from kubernetes.client import CoreV1Api, V1ObjectMeta, V1Secret
    from kubernetes.client.exceptions import ApiException

    core = CoreV1Api(api)
    for _ in range(SECRET_RETRIES):
        try:
            secret = core.read_namespaced_secret(ref.name, ref.namespace)
        except ApiException as err:
            if err.status != 404:
                raise TokenError(
                    f"cannot read Secret {ref}: {err.status} {err.reason}", err.status
                ) from None
            secret = None
        data = dict((secret.data or {}) if secret is not None else {})
        current = base64.b64decode(data[ref.key]).decode() if ref.key in data else ""
        doc = update(_parse(current, f"Secret {ref}") if current else {})
        data[ref.key] = base64.b64encode(yaml.safe_dump(doc, sort_keys=False).encode()).decode()
        try:
            if secret is None:
                made = V1Secret(metadata=V1ObjectMeta(name=ref.name), type="Opaque", data=data)
                core.create_namespaced_secret(ref.namespace, made)
            else:
                version = secret.metadata.resource_version if secret.metadata else None
                body = V1Secret(
                    metadata=V1ObjectMeta(
                        name=ref.name, namespace=ref.namespace, resource_version=version
                    ),
                    type=secret.type or "Opaque",
                    data=data,
                )
                core.replace_namespaced_secret(ref.name, ref.namespace, body)
            return
        except ApiException as err:
            if err.status == 409:
                continue  # another writer got there first: read it again
            raise TokenError(
                f"cannot write Secret {ref}: {err.status} {err.reason}", err.status
            ) from None
    raise TokenError(f"Secret {ref} kept changing while it was written ({SECRET_RETRIES} tries)")

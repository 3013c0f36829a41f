"""Webhook HMAC secrets: the secret file, the tokens for a repo, signing and checking.

Corresponds to Prow's pkg/github/hmac.go (`ValidatePayload`, `PayloadSignature`,
`extractHMACs`). The secret file is either one bare token (the legacy form) or a
YAML mapping from "org/repo", "org" or "*" to a list of `{value, created_at,
expiry}`; an event's tokens are those of the most specific key present
(org/repo, then org, then "*"), and any of them may sign it, so a rotation keeps
two tokens valid at once. As in Prow, `expiry` is read but not enforced here
(Prow's hmac tool prunes expired tokens from the secret). Unlike Prow, a YAML
mapping that is not of that shape is an error saying where, not silently one
bare token. Only `X-Hub-Signature-256` ("sha256=<hex>") is accepted: SHA-1
`X-Hub-Signature` is not. Token values never reach a log, an error or a repr.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


class HmacSecretError(Exception):
    """The HMAC secret file cannot be read or holds no usable token."""


@dataclass(frozen=True)
class HmacToken:
    """One token of the secret file; `value` is kept out of the repr."""

    value: str = field(repr=False)
    created_at: datetime | None = None
    expiry: datetime | None = None


@dataclass(frozen=True)
class HmacSecret:
    """The parsed secret file: a legacy global token, or tokens by "org/repo" / "org" / "*"."""

    by_scope: Mapping[str, tuple[HmacToken, ...]] = field(default_factory=dict, repr=False)
    legacy: HmacToken | None = field(default=None, repr=False)

    def tokens_for(self, org_repo: str) -> tuple[str, ...]:
        """Prow's `extractHMACs`: the tokens of the most specific scope configured
        for `org_repo` ("org/repo", or "org" for an org-level event); empty when
        none applies."""
        if self.legacy is not None:
            return (self.legacy.value,)
        org = org_repo.split("/", 1)[0]
        for scope in (org_repo, org, "*"):
            if scope and scope in self.by_scope:
                return tuple(token.value for token in self.by_scope[scope])
        return ()

    def first_token(self, org_repo: str) -> str | None:
        """The token a sender signs with: the first one that applies."""
        tokens = self.tokens_for(org_repo)
        return tokens[0] if tokens else None


def _timestamp(value: Any, where: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as err:
        raise HmacSecretError(f"{where}: {value!r} is not a timestamp") from err


def _tokens(scope: str, entries: Any) -> tuple[HmacToken, ...]:
    if not isinstance(entries, list):
        raise HmacSecretError(f"scope {scope!r}: expected a list of {{value, created_at}}")
    tokens: list[HmacToken] = []
    for index, entry in enumerate(entries):
        where = f"scope {scope!r}, token {index}"
        if not isinstance(entry, Mapping) or not isinstance(entry.get("value"), str):
            raise HmacSecretError(f"{where}: expected a mapping with a string `value`")
        tokens.append(
            HmacToken(
                value=entry["value"],
                created_at=_timestamp(entry.get("created_at"), f"{where} created_at"),
                expiry=_timestamp(entry.get("expiry"), f"{where} expiry"),
            )
        )
    return tuple(tokens)


def parse_secret(text: str) -> HmacSecret:
    """Parse the secret file: a YAML mapping of scopes, else (as Prow) the whole
    file, trimmed, is one global token."""
    stripped = text.strip()
    if not stripped:
        raise HmacSecretError("the HMAC secret is empty")
    try:
        data = yaml.safe_load(stripped)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, Mapping):
        return HmacSecret(legacy=HmacToken(value=stripped))
    return HmacSecret(by_scope={str(scope): _tokens(str(scope), v) for scope, v in data.items()})


def org_repo_of(payload: Mapping[str, Any]) -> str:
    """The scope of an event: `repository.full_name`, else `organization.login`
    for org-level events, else "" (only "*" or a legacy token applies)."""
    repo = payload.get("repository")
    if isinstance(repo, Mapping) and isinstance(repo.get("full_name"), str) and repo["full_name"]:
        return str(repo["full_name"])
    org = payload.get("organization")
    if isinstance(org, Mapping) and isinstance(org.get("login"), str):
        return str(org["login"])
    return ""


def sign(body: bytes, token: str) -> str:
    """Prow's `PayloadSignature`: the `X-Hub-Signature-256` value for `body`."""
    return _PREFIX + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, signature_header: str, tokens: tuple[str, ...] | list[str]) -> bool:
    """Whether `signature_header` ("sha256=<hex>") signs `body` with any of `tokens`."""
    if not signature_header.startswith(_PREFIX):
        return False
    try:
        given = bytes.fromhex(signature_header[len(_PREFIX) :])
    except ValueError:
        return False
    return any(
        hmac.compare_digest(given, hmac.new(token.encode(), body, hashlib.sha256).digest())
        for token in tokens
    )


class HmacSecretFile:
    """The secret file, re-read when its modification time or size changes.

    A file that fails to parse after a change keeps the last good secret in
    force (as Prow's secret agent does) and `last_error` says why."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.last_error: str | None = None
        self._stamp = self._stat()
        self._secret = self._read()

    def _stat(self) -> tuple[int, int]:
        try:
            st = os.stat(self.path)
        except OSError as err:
            raise HmacSecretError(f"{self.path}: cannot read the HMAC secret: {err}") from err
        return st.st_mtime_ns, st.st_size

    def _read(self) -> HmacSecret:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise HmacSecretError(f"{self.path}: cannot read the HMAC secret: {err}") from err
        try:
            return parse_secret(text)
        except HmacSecretError as err:
            raise HmacSecretError(f"{self.path}: {err}") from err

    def secret(self) -> HmacSecret:
        """The secret in force, re-read first when the file changed."""
        try:
            stamp = self._stat()
            if stamp != self._stamp:
                self._stamp = stamp
                self._secret = self._read()
                self.last_error = None
        except HmacSecretError as err:
            self.last_error = str(err)
        return self._secret

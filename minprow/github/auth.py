"""Credentials for the GitHub client: a token file or a GitHub App (Prow's
pkg/github/app_auth_roundtripper.go and the token half of
pkg/flagutil/github.go, `--github-token-path`).

`TokenFile` holds Prow's token file: the token with surrounding whitespace
stripped, read again whenever the file changes (a rotated secret is picked up
without a restart). `GitHubApp` signs a JWT with the app's private key, looks
up the installation for an org (`GET /orgs/{org}/installation`, then
`/users/{org}/installation` for a personal account), and exchanges the JWT for
an installation token, cached until a few minutes before its `expires_at`.

No token is ever logged, and `repr()` of a credential shows where it comes
from, never what it is.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

import gidgethub
from gidgethub import apps
from gidgethub.abc import GitHubAPI

from minprow.aio import Clock, SystemClock

log = logging.getLogger("minprow.github")

REFRESH_BEFORE = timedelta(minutes=5)
"""An installation token is renewed this long before GitHub expires it."""


class CredentialsError(Exception):
    """The credentials cannot be read or exchanged for a token: says which and why."""


class Credentials(Protocol):
    async def token(self, api: GitHubAPI, org: str) -> str:
        """The token to call GitHub with on behalf of `org`."""
        ...


class TokenFile:
    """A personal access or bot token in a file, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int] | None = None
        self._token = ""

    def __repr__(self) -> str:
        return f"TokenFile(path={str(self.path)!r}, token=<hidden>)"

    def current(self) -> str:
        try:
            stat = self.path.stat()
        except OSError as err:
            raise CredentialsError(
                f"GitHub token file {self.path}: {err.strerror}; check --github-token-path"
            ) from err
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            token = self.path.read_text().strip()
            if not token:
                raise CredentialsError(
                    f"GitHub token file {self.path} is empty; it must hold the token"
                )
            if self._seen is not None:
                log.info("GitHub token file %s changed; using the new token", self.path)
            self._token, self._seen = token, seen
        return self._token

    async def token(self, api: GitHubAPI, org: str) -> str:
        return self.current()


@dataclass(frozen=True, repr=False)
class _Installation:
    token: str
    expires_at: datetime


class GitHubApp:
    """A GitHub App: installation tokens per org, fetched once and cached."""

    def __init__(
        self,
        app_id: str,
        private_key: str,
        *,
        clock: Clock | None = None,
        refresh_before: timedelta = REFRESH_BEFORE,
    ) -> None:
        self.app_id = app_id
        self._private_key = private_key
        self._clock: Clock = clock or SystemClock()
        self._refresh_before = refresh_before
        self._installation_ids: dict[str, int] = {}
        self._tokens: dict[int, _Installation] = {}
        self._lock = asyncio.Lock()

    @classmethod
    def from_files(
        cls, app_id: str, private_key_path: Path, *, clock: Clock | None = None
    ) -> GitHubApp:
        """The app with its private key read from `private_key_path` (a PEM file)."""
        try:
            key = private_key_path.read_text()
        except OSError as err:
            raise CredentialsError(
                f"GitHub App private key {private_key_path}: {err.strerror}"
            ) from err
        return cls(app_id, key, clock=clock)

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self.app_id!r}, private_key=<hidden>)"

    def jwt(self) -> str:
        """A fresh JWT for the app's own endpoints (`/app`, installations)."""
        return apps.get_jwt(app_id=self.app_id, private_key=self._private_key)

    async def token(self, api: GitHubAPI, org: str) -> str:
        async with self._lock:
            installation = await self._installation_id(api, org)
            cached = self._tokens.get(installation)
            if cached and self._clock.now() < cached.expires_at - self._refresh_before:
                return cached.token
            try:
                answer = await apps.get_installation_access_token(
                    api,
                    installation_id=str(installation),
                    app_id=self.app_id,
                    private_key=self._private_key,
                )
            except gidgethub.GitHubException as err:
                raise CredentialsError(
                    f"GitHub App {self.app_id}: no token for installation {installation} "
                    f"({org}): {err}"
                ) from err
            fresh = _Installation(
                token=str(answer["token"]),
                expires_at=datetime.fromisoformat(str(answer["expires_at"])),
            )
            self._tokens[installation] = fresh
            log.info(
                "GitHub App %s: installation token for %s until %s",
                self.app_id,
                org,
                fresh.expires_at.isoformat(),
            )
            return fresh.token

    async def _installation_id(self, api: GitHubAPI, org: str) -> int:
        if org in self._installation_ids:
            return self._installation_ids[org]
        jwt = self.jwt()
        for kind in ("orgs", "users"):
            try:
                found = await api.getitem(f"/{kind}/{{org}}/installation", {"org": org}, jwt=jwt)
            except gidgethub.BadRequest as err:
                if err.status_code == 404:
                    continue
                raise CredentialsError(
                    f"GitHub App {self.app_id}: looking up its installation on {org}: {err}"
                ) from err
            self._installation_ids[org] = int(found["id"])
            return self._installation_ids[org]
        raise CredentialsError(
            f"GitHub App {self.app_id} is not installed on {org}; install it there first"
        )

"""The remote JobSource: `minprow tui --url http://host:port [--token-file F]`,
through a running minprow server's HTTP API (minprow/runtime/api.py).

The list comes from Deck's `/prowjobs.js` (pkg/deck/main.go `handleProwJobs`),
turned into ProwJob models at once, with the store revision it was taken at
(minprow's `X-Minprow-Revision` header); changes from the NDJSON watch
`/api/v1/watch?since=REV`, as a client-go reflector lists and watches. A watch
that ends or breaks (the server restarts, the network drops, nothing — not even a
heartbeat — arrives for `idle_timeout`, an `ERROR` line with any other status) is
resumed from the last revision seen, after a backoff. Only when the server cannot
resume it — an `ERROR` line whose Status has code 410 (reason Expired: the revision
was compacted, or is ahead of a store that started over), or the older
`{"type": "ERROR", "reason"}` line minprow servers sent before that — does the
source list again, reporting the jobs that went as DELETED and the rest as ADDED,
as a reflector's re-list replaces its store (client-go's `isExpiredError`). Logs
come from `/api/v1/prowjobs/NAME/log`; rerun and abort are POSTs with
`Authorization: Bearer <token>`; clusters from `/api/v1/clusters`. What the
server shows has its secrets redacted already.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
from pydantic import ValidationError

from minprow.model import ProwJob
from minprow.tui.source import JobEvent, SourceError, event_kind

log = logging.getLogger("minprow.tui")

REVISION_HEADER = "X-Minprow-Revision"
IDLE_TIMEOUT = 45.0
"""Seconds without a byte on the watch (the server sends a heartbeat every 15) after
which the connection is taken for lost."""
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
_REFUSED = "the server refused: pass --token-file with the server's API token"


class _Gap(Exception):
    """The server cannot resume the watch from our revision: list again."""


class RemoteSource:
    """The jobs of the minprow server at `url`; `token` (its --api-token-file's
    content) for rerun and abort, read from `token_from` (named, never the token
    itself, when the server refuses it)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        *,
        token_from: str | None = None,
        timeout: float = 10.0,
        idle_timeout: float = IDLE_TIMEOUT,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self._url = url.rstrip("/")
        self._token = (token or "").strip() or None
        self._token_from = token_from
        self._timeout = timeout
        self._idle = idle_timeout
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._session: aiohttp.ClientSession | None = None
        self._listed: tuple[int, dict[str, ProwJob]] | None = None

    @property
    def description(self) -> str:
        return self._url

    async def snapshot(self) -> tuple[list[ProwJob], int]:
        jobs, revision = await self._list()
        self._listed = (revision, {job.metadata.name: job for job in jobs})
        return jobs, revision

    async def changes(self, since: int) -> AsyncGenerator[JobEvent, None]:
        # The jobs the app has, so a re-list can tell it which ones went meanwhile.
        listed, self._listed = self._listed, None
        if listed is not None and listed[0] == since:
            known = listed[1]
        else:  # not from our snapshot: the app has what the server has now
            known = {job.metadata.name: job for job in (await self._list())[0]}
        backoff = self._first_backoff
        while True:
            try:
                async with contextlib.aclosing(self._watch(since)) as watch:
                    async for event in watch:
                        backoff = self._first_backoff
                        since = event.revision
                        if event.type == "DELETED":
                            known.pop(event.job.metadata.name, None)
                        else:
                            known[event.job.metadata.name] = event.job
                        yield event
                # The server ended the stream (it is shutting down): resume from
                # `since` after a pause; only a 410 is a reason to list again.
            except _Gap as gap:
                log.info("%s: %s; listing again", self._url, gap)
                try:
                    jobs, since = await self._list()
                except SourceError as err:
                    log.info("%s: cannot list again yet: %s", self._url, err)
                    since = -1  # forces another gap, hence another list, once it answers
                else:
                    fresh = {job.metadata.name: job for job in jobs}
                    for name in known.keys() - fresh.keys():
                        yield JobEvent("DELETED", known[name], since)
                    known = fresh
                    for job in jobs:
                        yield JobEvent("ADDED", job, since)
                    backoff = self._first_backoff
                    continue
            except (aiohttp.ClientError, TimeoutError, SourceError) as err:
                log.info("%s: the watch broke (%s); reconnecting in %.1fs", self._url, err, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    async def logs(self, name: str, *, follow: bool) -> AsyncGenerator[bytes, None]:
        params = {"follow": "true"} if follow else {}
        # No read timeout: a running job may be quiet for as long as it likes.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._timeout)
        try:
            async with self._http().get(
                self._path(f"/api/v1/prowjobs/{name}/log"), params=params, timeout=timeout
            ) as resp:
                if resp.status != 200:
                    raise SourceError(await _refusal(resp, f"no log for {name}"))
                async for chunk in resp.content.iter_any():
                    yield chunk
        except aiohttp.ClientError as err:
            raise SourceError(f"the log of {name} from {self._url} broke off: {err}") from err

    async def rerun(self, name: str) -> str:
        created = await self._post(f"/api/v1/prowjobs/{name}/rerun", f"cannot rerun {name}")
        try:
            return str(created["metadata"]["name"])
        except (KeyError, TypeError) as err:
            raise SourceError(f"{self._url} answered the rerun of {name} without a job") from err

    async def abort(self, name: str) -> None:
        await self._post(f"/api/v1/prowjobs/{name}/abort", f"cannot abort {name}")

    def idle(self) -> str | None:
        return None  # the server answering runs the jobs

    async def clusters(self) -> dict[str, dict[str, Any]]:
        body = await self._get_json("/api/v1/clusters", "cannot read the build clusters")
        if not isinstance(body, dict):
            raise SourceError(f"{self._url}/api/v1/clusters did not answer an object")
        return {str(k): v for k, v in body.items() if isinstance(v, dict)}

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # Internals.

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._timeout)
            )
        return self._session

    def _path(self, path: str) -> str:
        return self._url + path

    async def _list(self) -> tuple[list[ProwJob], int]:
        try:
            async with self._http().get(
                self._path("/prowjobs.js"), timeout=self._request_timeout()
            ) as resp:
                if resp.status != 200:
                    raise SourceError(await _refusal(resp, "cannot list the jobs"))
                raw = resp.headers.get(REVISION_HEADER)
                body = await resp.read()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SourceError(f"cannot reach {self._url}: {err}") from err
        if raw is None or not raw.isdigit():
            raise SourceError(
                f"{self._url}/prowjobs.js has no {REVISION_HEADER} header: "
                "it is not a minprow server (Deck alone cannot be followed)"
            )
        # Parsing and validating thousands of jobs takes a while: not on the UI's loop.
        return await asyncio.to_thread(_parse_items, body, self._url), int(raw)

    async def _watch(self, since: int) -> AsyncGenerator[JobEvent, None]:
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=self._timeout, sock_read=self._idle
        )
        if since < 0:
            raise _Gap("no revision to resume from")
        async with self._http().get(
            self._path("/api/v1/watch"), params={"since": str(since)}, timeout=timeout
        ) as resp:
            if resp.status == 410:
                raise _Gap(await _refusal(resp, "the watch expired"))
            if resp.status != 200:
                raise SourceError(await _refusal(resp, "cannot watch the jobs"))
            buffer = b""
            async for chunk in resp.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield _event(line, self._url)

    async def _post(self, path: str, what: str) -> Any:
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with self._http().post(
                self._path(path), headers=headers, timeout=self._request_timeout()
            ) as resp:
                if resp.status in (401, 403):
                    used = f"the token in {self._token_from}: " if self._token_from else ""
                    raise SourceError(f"{what}: {_REFUSED} ({used}{await _message(resp)})")
                if resp.status not in (200, 201):
                    raise SourceError(await _refusal(resp, what))
                return await resp.json()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SourceError(f"{what}: cannot reach {self._url}: {err}") from err

    async def _get_json(self, path: str, what: str) -> Any:
        try:
            async with self._http().get(self._path(path), timeout=self._request_timeout()) as resp:
                if resp.status != 200:
                    raise SourceError(await _refusal(resp, what))
                return await resp.json()
        except (aiohttp.ClientError, TimeoutError) as err:
            raise SourceError(f"{what}: cannot reach {self._url}: {err}") from err

    def _request_timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self._timeout * 6, sock_connect=self._timeout)


def _parse_items(body: bytes, url: str) -> list[ProwJob]:
    try:
        items = json.loads(body)["items"]
        return [ProwJob.from_wire(item) for item in items]
    except (ValueError, KeyError, TypeError, ValidationError) as err:
        raise SourceError(f"{url}/prowjobs.js did not answer Deck's job list: {err}") from err


def _event(line: bytes, url: str) -> JobEvent:
    """One watch line as a JobEvent; the server's ERROR line raised (`_ended`)."""
    try:
        data = json.loads(line)
        kind = data["type"]
        if kind == "ERROR":
            raise _ended(data, url)
        return JobEvent(event_kind(kind), ProwJob.from_wire(data["object"]), int(data["revision"]))
    except (ValueError, KeyError, TypeError, ValidationError) as err:
        raise SourceError(f"{url}/api/v1/watch sent a line that is not an event: {err}") from err


def _ended(data: dict[str, Any], url: str) -> Exception:
    """What an ERROR line means: `_Gap` (list again) for a 410 Status or the old
    reason-only line; otherwise a SourceError, after which the watch is resumed."""
    status = data.get("object")
    if not isinstance(status, dict):  # a minprow server older than the Status line
        return _Gap(str(data.get("reason") or "the watch expired"))
    message = str(status.get("message") or status.get("reason") or "the watch ended")
    if status.get("code") == 410:
        return _Gap(message)
    return SourceError(f"{url}/api/v1/watch ended with HTTP {status.get('code')}: {message}")


async def _message(resp: aiohttp.ClientResponse) -> str:
    """The server's `{"error": ...}` message, or its status."""
    try:
        body = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        return f"HTTP {resp.status}"
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"HTTP {resp.status}"


async def _refusal(resp: aiohttp.ClientResponse, what: str) -> str:
    return f"{what}: {await _message(resp)}"

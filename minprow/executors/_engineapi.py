"""The Docker Engine API, spoken with the standard library: the calls the docker executor makes.

The `docker` SDK, with requests and urllib3 under it, takes about 200 ms to
import: most of what `minprow run` may add to a bare `docker run` (0.5 s). The
executor needs a dozen endpoints, so they are spoken here over `http.client`.
Paths carry no API version: the engine then answers with its own.

Where the engine is comes from `DOCKER_HOST`, as the Docker CLI and SDK read it:
`unix:///path` (default `/var/run/docker.sock`) or `tcp://host:port`, with TLS
when `DOCKER_TLS_VERIFY` is set (certificates from `DOCKER_CERT_PATH`, default
`~/.docker`). Each call opens its own connection, so one client serves many
threads.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import socket
import ssl
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

DEFAULT_SOCKET = "/var/run/docker.sock"
_STREAMS = {1, 2}  # stdout, stderr frames of a multiplexed log stream


class EngineError(Exception):
    """The engine refused a call: its HTTP status and its message."""

    def __init__(self, status: int | None, explanation: str) -> None:
        self.status = status
        self.explanation = explanation
        super().__init__(f"{status}: {explanation}" if status is not None else explanation)


class NotFound(EngineError):
    """404: no such container or image."""


class Unreachable(EngineError):
    """No engine answered (no socket, refused, timed out)."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class LogStream:
    """A container's output as it comes: stdout and stderr frames, demultiplexed.

    `close` may be called from another thread to end a read that waits."""

    def __init__(self, connection: http.client.HTTPConnection, response: Any, tty: bool) -> None:
        self._connection = connection
        self._response = response
        self._tty = tty

    def __iter__(self) -> Iterator[bytes]:
        read = self._response.read
        try:
            if self._tty:
                while chunk := self._response.read1(65536):
                    yield chunk
                return
            while True:
                header = read(8)
                if len(header) < 8:
                    return
                stream, size = struct.unpack(">BxxxL", header)
                payload = read(size)
                if stream in _STREAMS and payload:
                    yield payload
        except (OSError, http.client.HTTPException, ValueError):
            return  # closed while reading, or the engine went away: the stream ends

    def close(self) -> None:
        sock = self._connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._connection.close()


class EngineClient:
    """The Engine API calls of the docker executor, answered as dicts."""

    def __init__(self, base_url: str | None = None, *, timeout: float = 60.0) -> None:
        self._url = base_url or os.environ.get("DOCKER_HOST") or f"unix://{DEFAULT_SOCKET}"
        self._timeout = timeout
        parts = urlsplit(self._url)
        self._scheme = parts.scheme
        if self._scheme not in ("unix", "tcp", "http", "https"):
            raise Unreachable(None, f"DOCKER_HOST {self._url!r}: only unix:// and tcp:// are known")
        self._path = parts.path
        self._host = parts.hostname or "localhost"
        self._port = parts.port or (2376 if _tls_wanted() else 2375)

    def describe(self) -> str:
        return self._url

    # containers

    def inspect_container(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/containers/{quote(name)}/json")
        return found

    def create_container(self, name: str, config: dict[str, Any]) -> str:
        """The new container's id."""
        made = self._json("POST", "/containers/create", {"name": name}, config)
        return str(made["Id"])

    def start_container(self, container: str) -> None:
        self._json("POST", f"/containers/{quote(container)}/start")

    def stop_container(self, container: str, timeout: int) -> None:
        self._json("POST", f"/containers/{quote(container)}/stop", {"t": timeout}, read=timeout)

    def remove_container(self, container: str) -> None:
        """Force-remove it with its anonymous volumes."""
        self._json("DELETE", f"/containers/{quote(container)}", {"v": 1, "force": 1})

    def list_containers(self, labels: list[str]) -> list[dict[str, Any]]:
        """Every container (running or not) carrying each `key=value` of `labels`."""
        query = {"all": 1, "filters": json.dumps({"label": labels})}
        rows: list[dict[str, Any]] = self._json("GET", "/containers/json", query)
        return rows

    def logs(self, container: str, *, follow: bool, tty: bool = False) -> LogStream:
        query = {"stdout": 1, "stderr": 1, "follow": int(follow)}
        path = f"/containers/{quote(container)}/logs?{urlencode(query)}"
        connection, response = self._send("GET", path, None, read=None)
        if response.status >= 300:
            _raise(response.status, response.read())
        return LogStream(connection, response, tty)

    # images

    def inspect_image(self, image: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/images/{quote(image, safe='/:@')}/json")
        return found

    def pull_image(self, image: str) -> None:
        """Pull `image`; EngineError with the engine's message when it cannot."""
        name, tag = _split_image(image)
        query = {"fromImage": name, **({"tag": tag} if tag else {})}
        connection, response = self._send("POST", f"/images/create?{urlencode(query)}", None)
        try:
            if response.status >= 300:
                _raise(response.status, response.read())
            _raise_streamed_error(response)
        finally:
            connection.close()

    def build_image(self, tag: str, context: bytes) -> None:
        """Build `context` (a tar holding a Dockerfile) as `tag`; EngineError with the
        engine's message when a step fails."""
        query = {"t": tag, "rm": 1, "forcerm": 1}
        connection, response = self._send(
            "POST", f"/build?{urlencode(query)}", context, content_type="application/x-tar"
        )
        try:
            if response.status >= 300:
                _raise(response.status, response.read())
            _raise_streamed_error(response)
        finally:
            connection.close()

    # the engine

    def ping(self, timeout: float = 5.0) -> None:
        """The engine answers (within `timeout` seconds, not the client's own)."""
        connection, response = self._send("GET", "/_ping", None, read=timeout - self._timeout)
        try:
            body = response.read()
            if response.status != 200:
                _raise(response.status, body)
        finally:
            connection.close()

    def info(self) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", "/info")
        return found

    # the wire

    def _json(
        self,
        method: str,
        path: str,
        query: dict[str, Any] | None = None,
        body: Any = None,
        *,
        read: float | None = 0,
    ) -> Any:
        if query:
            path = f"{path}?{urlencode(query)}"
        payload = None if body is None else json.dumps(body).encode()
        connection, response = self._send(method, path, payload, read=read)
        try:
            data = response.read()
        finally:
            connection.close()
        if response.status >= 300 and response.status != 304:
            _raise(response.status, data)
        return json.loads(data) if data and data.strip() else None

    def _send(
        self,
        method: str,
        path: str,
        payload: bytes | None,
        *,
        read: float | None = 0,
        content_type: str = "application/json",
    ) -> tuple[http.client.HTTPConnection, Any]:
        """Send one request; `read` is extra seconds to wait for the answer (a stop
        waits out its grace period; None waits as long as it takes: a followed log)."""
        timeout = None if read is None else self._timeout + read
        connection = self._connection(timeout)
        headers = {"Host": "docker"}
        if payload is not None:
            headers["Content-Type"] = content_type
        try:
            connection.request(method, path, payload, headers)
            return connection, connection.getresponse()
        except (OSError, http.client.HTTPException) as err:
            connection.close()
            raise Unreachable(None, f"{self._url}: {err}") from err

    def _connection(self, timeout: float | None) -> http.client.HTTPConnection:
        if self._scheme == "unix":
            return _UnixConnection(self._path, timeout)
        if self._scheme == "https" or _tls_wanted():
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=timeout, context=_tls_context()
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=timeout)


def _raise_streamed_error(response: Any) -> None:
    """A pull or build answers 200 at once and reports a failure inside its progress
    stream (one JSON object a line)."""
    for line in response:
        if not line.strip():
            continue
        event = json.loads(line)
        if event.get("error"):
            raise EngineError(None, str(event["error"]))


def _raise(status: int, body: bytes) -> None:
    try:
        message = str(json.loads(body).get("message") or "")
    except (ValueError, AttributeError):
        message = body.decode("utf-8", "replace").strip()
    if status == 404:
        raise NotFound(status, message or "not found")
    raise EngineError(status, message or http.client.responses.get(status, "error"))


def _split_image(image: str) -> tuple[str, str]:
    """(name, tag) as `POST /images/create` wants them; a digest stays in the name."""
    if "@" in image:
        return image, ""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        return image[:colon], image[colon + 1 :]
    return image, "latest"


def _tls_wanted() -> bool:
    return os.environ.get("DOCKER_TLS_VERIFY", "") not in ("", "0")


def _tls_context() -> ssl.SSLContext:
    certs = Path(os.environ.get("DOCKER_CERT_PATH") or Path.home() / ".docker")
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.load_cert_chain(str(certs / "cert.pem"), str(certs / "key.pem"))
    return context

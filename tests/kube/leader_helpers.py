"""Helpers for the leader election tests: a kubeconfig, a cuttable network, a referee.

- `api_factory` writes a real kubeconfig for a server URL and loads it with
  minprow's own loader, as `minprow serve --kubeconfig` would;
- `Partition` is a TCP proxy in front of the fake API server: `cut()` drops the
  open connections and leaves new ones unanswered (a network partition, so
  requests time out rather than fail fast), `heal()` lets traffic through again;
- `Referee` is the `lead()` of every candidate: it records who led when and
  fails the test the moment two lead at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from kubernetes.client import ApiClient

from minprow.kube.kubeconfig import ServiceAccount, load_kubeconfig


def api_factory(tmp: Path, url: str, name: str = "fake") -> Callable[[], ApiClient]:
    """API clients for `url`, configured through a kubeconfig file in `tmp`."""
    path = tmp / f"kubeconfig-{name}.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": name, "cluster": {"server": url}}],
                "users": [{"name": name, "user": {"token": "leader-test"}}],
                "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                "current-context": name,
            }
        )
    )
    contexts, _ = load_kubeconfig(path, ServiceAccount(token_file=tmp / "no-token"))
    configuration = contexts[name].configuration
    return lambda: ApiClient(configuration)


class Partition:
    """A TCP proxy to `upstream` (host, port) that a test can cut and heal."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.open = True
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    def cut(self) -> None:
        self.open = False
        for writer in list(self._writers):
            writer.transport.abort()

    def heal(self) -> None:
        self.open = True

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            if not self.open:
                await reader.read()  # never answered; ends when the client gives up
                return
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(up_writer)
            try:
                await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            finally:
                self._writers.discard(up_writer)
                up_writer.transport.abort()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(writer)
            writer.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


@dataclass
class Referee:
    """Every candidate's `lead()`: records terms and catches two leaders at once."""

    leading: set[str] = field(default_factory=set)
    terms: list[str] = field(default_factory=list)
    """Who started leading, in order."""
    ended: list[str] = field(default_factory=list)
    """Who stopped leading, in order."""
    overlaps: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def lead(self, who: str) -> Callable[[], Awaitable[None]]:
        async def lead() -> None:
            if self.leading:
                self.overlaps.append((who, frozenset(self.leading)))
            self.leading.add(who)
            self.terms.append(who)
            self.changed.set()
            try:
                await asyncio.Event().wait()
            finally:
                self.leading.discard(who)
                self.ended.append(who)
                self.changed.set()

        return lead

    async def until(self, condition: Callable[[], bool], within: float = 20.0) -> None:
        """Wait (bounded) until `condition()` holds after some term starts or ends."""
        async with asyncio.timeout(within):
            while not condition():
                self.changed.clear()
                await self.changed.wait()

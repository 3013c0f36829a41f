"""The config getter with hot reload: Prow's config agent (pkg/config/agent.go).

Components never hold a config snapshot: they receive `agent.get` and call it
each time round their loop, so a reload reaches them. `run()` watches the files a
config is read from (the loader's own file walk and a stat of each, no inotify
dependency) and reloads when any changes, appears or goes; a config that fails to load is
reported and the last good one stays in force, as Prow's agent keeps serving
the old config.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from minprow.config.yamlio import job_config_files

log = logging.getLogger("minprow.config")

T = TypeVar("T")

Fingerprint = frozenset[tuple[str, int, int]]


def fingerprint(paths: Iterable[Path]) -> Fingerprint:
    """(path, mtime_ns, size) of every config file under `paths`: a file itself, or
    the job config files of a directory, found by the loader's own walk."""
    seen: set[tuple[str, int, int]] = set()
    for root in paths:
        for path in job_config_files(root)[0]:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue  # removed between listing and stat: the next poll sees it
            seen.add((str(path), st.st_mtime_ns, st.st_size))
    return frozenset(seen)


class ConfigAgent(Generic[T]):
    """Holds the current config, reloads it when its files change, notifies subscribers."""

    def __init__(self, load: Callable[[], T], paths: Iterable[Path]) -> None:
        self._load = load
        # A path that does not exist yet is watched too: its appearance is a change
        # (a plugins.yaml created while minprow runs).
        self._paths = list(paths)
        self._fingerprint = fingerprint(self._paths)
        self._current: T = load()
        self._subscribers: list[asyncio.Queue[T]] = []
        self.last_error: str | None = None

    def get(self) -> T:
        """The config in force: pass this method, not its result, to components."""
        return self._current

    def subscribe(self) -> asyncio.Queue[T]:
        """A queue that receives every config successfully loaded after this call."""
        queue: asyncio.Queue[T] = asyncio.Queue(maxsize=1)
        self._subscribers.append(queue)
        return queue

    def reload_if_changed(self) -> bool:
        """Reload when the files changed; True when a new config is now in force."""
        return self._apply(self._check())

    def _check(self) -> tuple[bool, T | None, str | None]:
        # Blocking file work only: safe to run in a worker thread.
        current = fingerprint(self._paths)
        if current == self._fingerprint:
            return False, None, None
        self._fingerprint = current
        try:
            return True, self._load(), None
        except Exception as err:  # any load failure keeps the last good config
            return True, None, str(err)

    def _apply(self, result: tuple[bool, T | None, str | None]) -> bool:
        changed, config, error = result
        if not changed:
            return False
        if config is None:
            self.last_error = error
            log.error("config reload failed, keeping the last good config:\n%s", error)
            return False
        self.last_error = None
        self._current = config
        for queue in self._subscribers:
            if queue.full():
                queue.get_nowait()  # subscribers only need the newest config
            queue.put_nowait(config)
        log.info("config reloaded")
        return True

    async def run(self, interval: float = 2.0) -> None:
        """Poll for changes every `interval` seconds until cancelled."""
        while True:
            await asyncio.sleep(interval)
            # The stat walk and the load are blocking: off the loop, then applied on it.
            self._apply(await asyncio.to_thread(self._check))

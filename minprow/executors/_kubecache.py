"""One build cluster's pod cache: a list and a watch of Prow's pods, kept in memory.

Prow's plank reads pods from an informer's cache, never from the API server
per job; this is that informer for one context: a list of the pods labelled
`created-by-prow=true` in the pod namespace, then a watch from the list's
resourceVersion that applies ADDED / MODIFIED / DELETED, moves its position
on BOOKMARK events, resumes from the last resourceVersion when the stream
ends, and lists again when the server says 410 Gone (the position was
compacted away). `observe` and `list_managed` are then dictionary reads.

It runs in a daemon thread of its own, so a watch that hangs on a dead
cluster holds neither the event loop nor the executor's call threads. Its
connection failures and successes feed the cluster's breaker: a cluster that
comes back is noticed by the watch as well as by a probe.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from minprow.executors._kubeclient import Pod, PodClient, describe_error, unreachable
from minprow.model.labels import CREATED_BY_PROW

log = logging.getLogger("minprow.executors.kubernetes")

SELECTOR = f"{CREATED_BY_PROW}=true"
WATCH_SECONDS = 60
"""Each watch request's server-side timeout: a rotated credential is used from the next one."""
RETRY_SECONDS = (0.2, 10.0)
"""First and largest pause between failed lists or watches (real time: the thread's own)."""


class Gone(Exception):
    """The watch's resourceVersion is too old (410): list again."""


class PodCache:
    """Pods by name, fed by a list+watch thread; `stop` ends the thread."""

    def __init__(
        self,
        client: PodClient,
        namespace: str,
        *,
        on_success: Callable[[], None],
        on_failure: Callable[[str], object],
        name: str,
    ) -> None:
        self.namespace = namespace
        self._client = client
        self._on_success = on_success
        self._on_failure = on_failure
        self._pods: dict[str, Pod] = {}
        self._lock = threading.Lock()
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._response: Any = None
        self.resource_version = ""
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        response = self._response
        if response is not None:
            shutdown = getattr(response, "shutdown", None) or response.close
            try:
                shutdown()
            except Exception:  # already closed by the reader
                log.debug("closing the pod watch of %s", self.namespace, exc_info=True)

    # reads

    def get(self, name: str) -> Pod | None:
        with self._lock:
            return self._pods.get(name)

    def pods(self) -> list[Pod]:
        with self._lock:
            return list(self._pods.values())

    # writes of the executor's own calls, before the watch reports them

    def created(self, pod: Pod) -> None:
        """A pod this process just created: seen at once, the watch's version wins later."""
        name = pod["metadata"]["name"]
        with self._lock:
            self._pods.setdefault(name, pod)

    def deleted(self, name: str) -> None:
        with self._lock:
            self._pods.pop(name, None)

    # the thread

    def _run(self) -> None:
        pause = RETRY_SECONDS[0]
        listed = False
        while not self._stop.is_set():
            try:
                if not listed:
                    self._list()
                    listed = True
                self._watch()
                pause = RETRY_SECONDS[0]
            except Gone:
                listed = False
            except Exception as err:  # any failure: note it, pause, resume
                if self._stop.is_set():
                    return
                if unreachable(err):
                    self._on_failure(f"watching pods: {describe_error(err)}")
                else:  # the server answered (403, a bad event): it is there
                    log.warning("pod watch of %s: %s", self.namespace, describe_error(err))
                self._stop.wait(pause)
                pause = min(pause * 2, RETRY_SECONDS[1])

    def _list(self) -> None:
        items, version = self._client.list_pods(self.namespace, SELECTOR)
        with self._lock:
            self._pods = {pod["metadata"]["name"]: pod for pod in items}
            self.resource_version = version
        self._on_success()
        self.synced.set()

    def _watch(self) -> None:
        response = self._client.watch_pods(
            self.namespace, SELECTOR, self.resource_version, WATCH_SECONDS
        )
        self._response = response
        self._on_success()
        try:
            pending = b""
            for chunk in response.stream(64 * 1024, decode_content=True):
                if self._stop.is_set():
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        self._apply(json.loads(line))
        finally:
            self._response = None
            response.release_conn()

    def _apply(self, event: dict[str, Any]) -> None:
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise Gone(obj.get("message", "resource version too old"))
            raise RuntimeError(f"watch error: {obj.get('message', obj)}")
        meta = obj.get("metadata") or {}
        version = str(meta.get("resourceVersion", ""))
        with self._lock:
            if kind == "DELETED":
                self._pods.pop(meta.get("name", ""), None)
            elif kind in ("ADDED", "MODIFIED"):
                self._pods[meta["name"]] = obj
            if version:
                self.resource_version = version

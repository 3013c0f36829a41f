"""The `kube` backend: ProwJobs as `prow.k8s.io/v1` custom resources in a cluster.

The API server (etcd behind it) is the source of truth, as in Prow. Writes are
create / replace / delete calls with resourceVersion preconditions, mapped to the
store's errors (409 AlreadyExists or Conflict, 404 NotFound, 422 Invalid). The
store's revision is the objects' integer resourceVersion (etcd's revision).

A background thread lists, then watches the namespace from the list's
resourceVersion and feeds a bounded in-memory change log; `changes_since` serves
it, so ProwJobs created with `kubectl` or by another replica reach the JobStore.
When the API server answers a watch with 410 Gone, the thread lists again and
restarts the log there: callers behind it get `WatchExpired` and re-list.

Before answering `changes_since`, the backend asks the server for the
collection's current resourceVersion and waits (at most `sync_timeout`) for the
watch to deliver up to it, so a follower sees every write acknowledged before
its call. On a real cluster that resourceVersion is etcd's global revision,
which a ProwJob watch reaches through its own events or through bookmarks: the
watch asks for them (`allowWatchBookmarks`), and a bookmark moves the watch's
revision without a change, so a quiet namespace waits only as long as the
server takes to send one (at most `sync_timeout`).

A delete's answer is the tombstone: kube-apiserver returns the deleted object
stamped with the deletion's revision, as the watch's DELETED event carries it.

The official `kubernetes` client is synchronous: calls run in worker threads.
The watch request reads with a `watch_read_timeout` and is renewed (from the last
revision) when it expires. `close` shuts the open watch response down (under a
lock shared with the thread, which releases it) and does not wait for the
daemon thread beyond a moment; each thread has its own stop event, so a later
`open` never revives it. Unlike the embedded backends, the API server always
sets `uid` and `creationTimestamp` on create, whatever the caller sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any, cast

import urllib3
from kubernetes import client
from kubernetes.client.exceptions import ApiException
from kubernetes.watch.watch import iter_resp_lines

from minprow.kube.crd import GROUP, PLURAL, VERSION
from minprow.model import ProwJob
from minprow.store._codec import JobDecoder, identity_for_create
from minprow.store.errors import (
    AlreadyExists,
    Conflict,
    Invalid,
    NotFound,
    StoreError,
    WatchExpired,
)
from minprow.store.events import EventType, WatchEvent

_log = logging.getLogger(__name__)
_WATCH_TIMEOUT = 300  # seconds a watch request lasts before the thread renews it
_RETRY_DELAY = 1.0
_CLOSE_WAIT = 0.2  # seconds close waits for the watch thread before leaving it

ApiClientFactory = Callable[[], client.ApiClient]


def api_client_for(
    url: str, *, token: str | None = None, ca_file: str | None = None
) -> ApiClientFactory:
    """A factory of API clients for `url` with a bearer token and CA bundle (both optional)."""

    def factory() -> client.ApiClient:
        conf = client.Configuration()
        conf.host = url
        if token:
            conf.api_key = {"authorization": f"Bearer {token}"}
        if ca_file:
            conf.ssl_ca_cert = ca_file
        return client.ApiClient(conf)

    return factory


class KubeBackend:
    """Backend storing ProwJobs as custom resources in `namespace`."""

    def __init__(
        self,
        api_client_factory: ApiClientFactory,
        namespace: str = "default",
        *,
        change_log_size: int = 10_000,
        sync_timeout: float = 1.0,
        watch_read_timeout: float = 5.0,
    ) -> None:
        self.namespace = namespace
        self._factory = api_client_factory
        self._log_size = change_log_size
        self._sync_timeout = sync_timeout
        self._read_timeout = watch_read_timeout
        self._decoder = JobDecoder()
        self._api: client.CustomObjectsApi | None = None
        self._cond = threading.Condition()
        self._log: deque[WatchEvent] = deque()
        self._compacted = 0  # the change log holds every change after this revision
        self._seen = 0  # the last revision the watch delivered
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # The open watch response, registered and released under `_response_lock`
        # so `close` never shuts down a socket the watch thread already released
        # (that raced: EBADF from `shutdown` about once in fifty closes).
        self._response: urllib3.HTTPResponse | None = None
        self._response_lock = threading.Lock()

    # The Backend protocol.

    async def open(self) -> tuple[list[ProwJob], int]:
        jobs, revision = await asyncio.to_thread(self._list)
        if self._thread is None:
            with self._cond:
                self._log.clear()
                self._compacted = self._seen = revision
            # A fresh event per thread: a previous thread close left running
            # must stay stopped.
            self._stop = threading.Event()
            self._thread = threading.Thread(
                target=self._watch_loop,
                args=(revision, self._stop),
                name="kube-prowjob-watch",
                daemon=True,
            )
            self._thread.start()
        return jobs, revision

    async def create(self, job: ProwJob) -> ProwJob:
        identity_for_create(job)  # the same refusals as the other backends, before any call
        body = job.to_wire()
        name = job.metadata.name
        with self._errors(name, job.metadata.resource_version):
            created: object = await asyncio.to_thread(
                self._custom().create_namespaced_custom_object,
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                body,
            )
        return self._decode(_obj(created))

    async def update(self, job: ProwJob) -> ProwJob:
        name = job.metadata.name
        given = job.metadata.resource_version
        if not given:
            raise Conflict(name, expected=None, actual="(unknown: no resourceVersion given)")
        body = job.to_wire()
        # uid and creationTimestamp are the server's: it keeps the stored ones.
        body["metadata"].pop("uid", None)
        body["metadata"].pop("creationTimestamp", None)
        try:
            with self._errors(name, given):
                replaced: object = await asyncio.to_thread(
                    self._custom().replace_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    name,
                    body,
                )
        except Conflict as conflict:
            raise await self._conflict(name, given) from conflict
        return self._decode(_obj(replaced))

    async def delete(self, name: str, resource_version: str | None = None) -> ProwJob:
        options = client.V1DeleteOptions(
            preconditions=client.V1Preconditions(resource_version=resource_version)
            if resource_version is not None
            else None
        )
        try:
            with self._errors(name, resource_version):
                answer: object = await asyncio.to_thread(
                    self._custom().delete_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    name,
                    body=options,
                )
        except Conflict as conflict:
            raise await self._conflict(name, resource_version) from conflict
        # kube-apiserver answers a delete with the object as it was, stamped with
        # the deletion's revision (etcd3 store's conditionalDelete): the tombstone
        # the watch will also deliver.
        return self._decode(_obj(answer))

    async def changes_since(self, revision: int) -> list[WatchEvent]:
        with self._errors("", None):
            current = await asyncio.to_thread(self._current_revision)
        await asyncio.to_thread(self._await_seen, current, self._sync_timeout)
        with self._cond:
            if revision < self._compacted:
                raise WatchExpired(
                    f"namespace {self.namespace}: revision {revision} is compacted; "
                    f"changes are kept from {self._compacted} on"
                )
            return [e for e in self._log if e.revision > revision]

    async def close(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        with self._response_lock:
            if self._response is not None:
                # Ends the blocked read at once; the thread then sees `_stop`.
                with suppress(OSError):
                    self._response.shutdown()
        # The thread is a daemon that exits by itself once its call returns (at
        # most the watch's read timeout): close does not wait that long for it.
        await asyncio.to_thread(thread.join, _CLOSE_WAIT)
        self._thread = None
        self._api = None

    async def _conflict(self, name: str, expected: str | None) -> StoreError:
        """The `Conflict` to raise, naming the stored resourceVersion (read again)."""
        try:
            with self._errors(name, expected):
                current: object = await asyncio.to_thread(
                    self._custom().get_namespaced_custom_object,
                    GROUP,
                    VERSION,
                    self.namespace,
                    PLURAL,
                    name,
                )
        except NotFound as gone:
            return gone
        actual = str(_obj(current).get("metadata", {}).get("resourceVersion", "?"))
        return Conflict(name, expected=expected, actual=actual)

    # Calls, in worker threads.

    def _custom(self) -> client.CustomObjectsApi:
        if self._api is None:
            self._api = client.CustomObjectsApi(self._factory())
        return self._api

    def _list(self) -> tuple[list[ProwJob], int]:
        with self._errors("", None):
            listed = _obj(
                self._custom().list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL)
            )
        revision = int(listed["metadata"]["resourceVersion"])
        return [self._decode(item) for item in listed.get("items", [])], revision

    def _current_revision(self) -> int:
        listed = _obj(
            self._custom().list_namespaced_custom_object(
                GROUP, VERSION, self.namespace, PLURAL, limit=1
            )
        )
        return int(listed["metadata"]["resourceVersion"])

    def _await_seen(self, revision: int, timeout: float) -> None:
        with self._cond:
            self._cond.wait_for(lambda: self._seen >= revision, timeout)

    def _decode(self, obj: dict[str, Any]) -> ProwJob:
        return self._decoder.decode(json.dumps(obj))

    # The watch thread.

    def _watch_loop(self, revision: int, stop: threading.Event) -> None:
        api = client.CustomObjectsApi(self._factory())
        while not stop.is_set():
            try:
                revision = self._watch_once(api, revision, stop)
            except urllib3.exceptions.ReadTimeoutError:
                continue  # a quiet stream: renew the watch (and notice `close`)
            except urllib3.exceptions.ProtocolError as exc:
                if not isinstance(exc.__context__, TimeoutError) and not stop.is_set():
                    _log.info("watch of prowjobs in %s ended, renewing: %s", self.namespace, exc)
                continue
            except Exception as exc:  # a broken stream is retried
                if stop.is_set():
                    return
                _log.warning("watch of prowjobs in %s broke, retrying: %s", self.namespace, exc)
                stop.wait(_RETRY_DELAY)

    def _watch_once(
        self, api: client.CustomObjectsApi, revision: int, stop: threading.Event
    ) -> int:
        response = cast(
            urllib3.HTTPResponse,
            api.list_namespaced_custom_object(
                GROUP,
                VERSION,
                self.namespace,
                PLURAL,
                watch=True,
                resource_version=str(revision),
                allow_watch_bookmarks=True,
                timeout_seconds=_WATCH_TIMEOUT,
                _preload_content=False,
                _request_timeout=(10, self._read_timeout),
            ),
        )
        with self._response_lock:
            if stop.is_set():  # closed while this request was on its way
                response.release_conn()
                return revision
            self._response = response
        try:
            for line in iter_resp_lines(response):  # type: ignore[no-untyped-call]
                if stop.is_set():
                    break
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        return self._relist(api, obj.get("message", "410 Gone"))
                    raise StoreError(f"watch error: {obj.get('message', obj)}")
                revision = max(revision, int(obj["metadata"]["resourceVersion"]))
                self._record(kind, obj, revision)
        finally:
            with self._response_lock:
                if self._response is response:
                    self._response = None
                response.release_conn()
        return revision

    def _record(self, kind: str, obj: dict[str, Any], revision: int) -> None:
        with self._cond:
            if revision <= self._seen:
                return
            if kind in (EventType.ADDED, EventType.MODIFIED, EventType.DELETED):
                self._log.append(WatchEvent(EventType(kind), self._decode(obj), revision))
                while len(self._log) > self._log_size:
                    self._compacted = self._log.popleft().revision
            self._seen = revision  # a BOOKMARK only moves this
            self._cond.notify_all()

    def _relist(self, api: client.CustomObjectsApi, why: str) -> int:
        listed = _obj(api.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL))
        revision = int(listed["metadata"]["resourceVersion"])
        _log.info(
            "watch of prowjobs in %s expired (%s); re-listed at %d", self.namespace, why, revision
        )
        with self._cond:
            self._log.clear()
            self._compacted = self._seen = max(self._seen, revision)
            self._cond.notify_all()
        return revision

    @contextmanager
    def _errors(self, name: str, expected: str | None) -> Iterator[None]:
        try:
            yield
        except ApiException as exc:
            raise _store_error(exc, name, expected) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreError(f"kube API, namespace {self.namespace}: {exc}") from exc


def _obj(value: object) -> dict[str, Any]:
    """A JSON object from the API (the client deserialises custom objects to dicts)."""
    if not isinstance(value, dict):
        raise StoreError(f"kube API: expected a JSON object, got {type(value).__name__}")
    return value


def _store_error(exc: ApiException, name: str, expected: str | None) -> StoreError:
    try:
        body = json.loads(exc.body or "{}")
    except ValueError:
        body = {}
    reason = body.get("reason", "") if isinstance(body, dict) else ""
    message = body.get("message", str(exc)) if isinstance(body, dict) else str(exc)
    if exc.status == 404:
        return NotFound(name)
    if exc.status == 409 and reason == "AlreadyExists":
        return AlreadyExists(name)
    if exc.status == 409:
        return Conflict(name, expected=expected, actual="(newer, per the API server)")
    if exc.status == 422:
        return Invalid(name, message)
    return StoreError(f'prowjob "{name}": kube API {exc.status} {reason}: {message}')

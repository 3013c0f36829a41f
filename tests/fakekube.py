"""A fake kube-apiserver speaking the real wire protocol, for every Kubernetes test.

Driven by the real `kubernetes` client through real kubeconfig files
(`write_kubeconfig`, `api_client`), it serves what minprow uses:

- namespaced CRUD, list, watch and PATCH of core/v1 `pods`, `secrets` and
  `configmaps`, `coordination.k8s.io/v1` `leases` and `prow.k8s.io/v1`
  `prowjobs`; cluster-scoped `namespaces` and `customresourcedefinitions`
  (get, create, list);
  `GET /version`; `GET .../pods/{name}/log` (`container`, `follow`).
- One resourceVersion counter across every resource (etcd's revision);
  create sets `uid`, `creationTimestamp`, `generation` (bumped when `spec`
  changes), the resource's `apiVersion`/`kind`, and names from
  `metadata.generateName` (prefix + 5 random `[a-z0-9]`; 422 without a name
  or generateName). 409 AlreadyExists; PUT with a stale resourceVersion is
  409 Conflict; PUT without one is 422 for custom resources and an
  unconditional update for built-in kinds (their strategies'
  `AllowUnconditionalUpdate`). Pods are created `Pending`, their status reset.
- DELETE honours `preconditions` (uid, resourceVersion). Pods are deleted
  gracefully as the pod strategy says: a pod bound to a node and not finished
  gets `deletionTimestamp` + `deletionGracePeriodSeconds` (MODIFIED) and is
  removed (DELETED) once the fake kubelet confirms - at once when
  `kubelet_confirms_deletion` (the default), else on `confirm_deletion` - and
  unbound or finished pods, or grace 0, go at once. DELETE on a pod collection
  (`labelSelector`) deletes each match the same way.
- PATCH: merge, strategic merge (merge + named lists merged by `name`; 415 for
  custom resources, as the API server has no strategic patch for them) and
  JSON patch; see tests/fakekube_query.py.
- `labelSelector` and `fieldSelector` (`metadata.name`, `metadata.namespace`,
  and `status.phase` for pods) on list and watch; a watched object that stops
  or starts matching is sent as DELETED or ADDED, as the watch cache does.
- `watch=true` with `resourceVersion` ("" = current state as ADDED events, then
  changes; "0" and "N" = changes after N - the real "0" may replay less),
  `timeoutSeconds`, `allowWatchBookmarks` (a BOOKMARK, an object of the kind
  holding only `metadata.resourceVersion`, every `bookmark_interval` seconds -
  compressed from the API server's minute), and a 410 Expired ERROR event
  when N is older than the retained window (`window` events) or `compact()`.
- ProwJobs are pruned as a structural CRD schema prunes them: unknown top-level
  fields always, and below when a CRD with a schema is installed in `crds`.
- ConfigMaps are validated as kube-apiserver validates them (name, keys,
  base64 `binaryData`, at most 1 MiB of values: 422 `[]: Too long`, and
  `immutable`); any request body over 3 MiB is 413 RequestEntityTooLarge.

- core/v1 `serviceaccounts` and TokenRequest on `serviceaccounts/{name}/token`;
  rbac.authorization.k8s.io/v1 `roles`, `rolebindings`, `clusterroles` (with
  `cluster-admin` seeded) and `clusterrolebindings`; token authentication and
  RBAC authorization when `auth.enabled` (401, 403 as kube-apiserver answers):
  tests/fakekube_auth.py.

Test switches: `set_pod_phase`, `set_log`/`append_log` (the kubelet),
`unreachable` (requests are accepted and never answered until reset, a black-
holed API server), `fail_next(count, code)` (Status failures), `held` (watches
send nothing), `drop_watches()` (an API server restart), `compact()`.
Simplified: no namespace existence checks, no admission, no field validation
beyond names (and ConfigMaps'), no etcd object size limit (1.5 MiB), no
`limit`/`continue` paging (the client does not ask for it), no status
subresources (the ProwJob CRD declares none); authentication only when on.
`FakeKube` runs on the caller's event loop; `FakeKubeThread` in a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from aiohttp import web
from fakekube_auth import CLUSTER_ADMIN, Auth, Rbac, attributes
from fakekube_kubelet import api_client, pod_status, write_kubeconfig
from fakekube_query import QueryError
from fakekube_resources import (
    CRDS,
    PODS,
    PROWJOBS_RESOURCE,
    RESOURCES,
    SERVICEACCOUNTS,
    Resource,
    fields_of,
    status,
)
from fakekube_writes import MAX_BODY_BYTES, WriteHandlers

__all__ = [
    "CRDS",
    "PROWJOBS",
    "FakeKube",
    "FakeKubeThread",
    "api_client",
    "status",
    "write_kubeconfig",
]

PROWJOBS = PROWJOBS_RESOURCE.base
Obj = dict[str, Any]
T = TypeVar("T")


def _failure(code: int, reason: str, message: str, **details: Any) -> web.Response:
    return web.json_response(status(code, reason, message, **details), status=code)


class FakeKube(WriteHandlers):
    """The fake API server's state and routes (writes: tests/fakekube_writes.py); `start()` binds a free local port."""

    def __init__(self, *, window: int = 1000, bookmark_interval: float = 1.0) -> None:
        self.objects: dict[Any, Obj] = {}  # prowjobs, by (namespace, name)
        self.pods: dict[Any, Obj] = {}
        self.secrets: dict[Any, Obj] = {}
        self.configmaps: dict[Any, Obj] = {}
        self.leases: dict[Any, Obj] = {}
        self.crds: dict[Any, Obj] = {}  # by name
        self.namespaces: dict[Any, Obj] = {}
        self.serviceaccounts: dict[Any, Obj] = {}
        self.roles: dict[Any, Obj] = {}
        self.rolebindings: dict[Any, Obj] = {}
        self.clusterroles: dict[Any, Obj] = {"cluster-admin": copy.deepcopy(CLUSTER_ADMIN)}
        self.clusterrolebindings: dict[Any, Obj] = {}
        self.logs: dict[tuple[str, str, str], str] = {}
        self.revision = 0
        self.window = window
        self.bookmark_interval = bookmark_interval
        self.compacted = 0  # events at or below this revision are gone
        # (rv, plural, namespace, type, object, previous object or None)
        self.events: deque[tuple[int, str, str, str, Obj, Obj | None]] = deque()
        self.requests: list[tuple[str, str]] = []
        self.held = False  # watches send nothing while held (a partitioned client)
        self.unreachable = False  # requests hang unanswered while set
        self.kubelet_confirms_deletion = True
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.auth = Auth(lambda: self.now())
        """Token authentication and RBAC, off until a test sets `auth.enabled`."""
        self._failures: list[int] = []
        self._changed = asyncio.Event()
        self._closing = False
        self._generation = 0  # bumped to end every open watch stream
        self._runner: web.AppRunner | None = None
        self._routes: dict[str, Resource] = {}
        self.url = ""

    def app(self) -> web.Application:
        # Bodies up to the API server's own limit reach the handlers (aiohttp's
        # default stops at 1 MiB); `_body` answers 413 past it, as kube-apiserver.
        app = web.Application(
            middlewares=[self._authenticated, self._switches], client_max_size=MAX_BODY_BYTES
        )
        for res in RESOURCES.values():
            self._routes[res.base] = self._routes[res.base + "/{name}"] = res
            app.router.add_get(res.base, self._list_or_watch)
            app.router.add_post(res.base, self._create)
            app.router.add_get(res.base + "/{name}", self._get)
            app.router.add_put(res.base + "/{name}", self._update)
            app.router.add_patch(res.base + "/{name}", self._patch)
            app.router.add_delete(res.base + "/{name}", self._delete)
            if res is PODS:
                app.router.add_delete(res.base, self._delete_collection)
                app.router.add_get(res.base + "/{name}/log", self._log)
        app.router.add_post(SERVICEACCOUNTS.base + "/{name}/token", self._token_request)
        app.router.add_get("/version", self._version)
        app.router.add_get("/version/", self._version)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        self._wake()
        if self._runner is not None:
            await self._runner.cleanup()

    # Test switches and state changes (tests acting as `kubectl` or the kubelet).

    def compact(self) -> None:
        """Drop every retained event, as etcd compaction does: older watches get 410."""
        self.compacted = self.revision
        self.events.clear()

    async def drop_watches(self, *, release: bool = True) -> None:
        """End every open watch stream (an API server restart); `release` un-holds."""
        self._generation += 1
        if release:
            self.held = False
        self._wake()

    def fail_next(self, count: int, code: int = 503) -> None:
        """Answer the next `count` requests with a `code` Status (5xx or 429)."""
        self._failures.extend([code] * count)

    def set_pod_phase(self, namespace: str, name: str, phase: str, **kwargs: Any) -> Obj:
        """Write the status the kubelet would once the pod reached `phase` (a MODIFIED)."""
        pod = copy.deepcopy(self.pods[(namespace, name)])
        pod.setdefault("spec", {}).setdefault("nodeName", "fake-node")
        pod["status"] = pod_status(pod, phase, now=self.now(), **kwargs)
        return self._put(PODS, namespace, pod, "MODIFIED")

    def set_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """Make `text` the whole log of `container` (what `kubectl logs` shows)."""
        self.logs[(namespace, pod, container)] = text
        self._wake()

    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """Append `text` to the log of `container`; followers receive it."""
        key = (namespace, pod, container)
        self.logs[key] = self.logs.get(key, "") + text
        self._wake()

    def confirm_deletion(self, namespace: str, name: str) -> None:
        """The kubelet saw a terminating pod's containers stop: the pod is removed."""
        if (namespace, name) in self.pods:
            self._remove(PODS, namespace, self.pods[(namespace, name)])

    # State.

    def _wake(self) -> None:
        """Wake every waiting watch and log follower (they re-check their state)."""
        self._changed.set()
        self._changed = asyncio.Event()

    def _put(self, res: Resource, ns: str, obj: Obj, kind: str) -> Obj:
        """Store `obj` at the next revision and record the watch event."""
        store = getattr(self, res.attr)
        key = res.key(ns, obj["metadata"]["name"])
        previous = store.get(key)
        self.revision += 1
        obj["metadata"]["resourceVersion"] = str(self.revision)
        store[key] = obj
        self._record(res, ns, kind, obj, previous)
        return obj

    def _remove(self, res: Resource, ns: str, obj: Obj) -> Obj:
        store = getattr(self, res.attr)
        del store[res.key(ns, obj["metadata"]["name"])]
        self.revision += 1
        gone = copy.deepcopy(obj)
        gone["metadata"]["resourceVersion"] = str(self.revision)
        self._record(res, ns, "DELETED", gone, None)
        return gone

    def _record(self, res: Resource, ns: str, kind: str, obj: Obj, previous: Obj | None) -> None:
        self.events.append((self.revision, res.plural, ns, kind, copy.deepcopy(obj), previous))
        while len(self.events) > self.window:
            self.compacted = self.events.popleft()[0]
        self._wake()

    def _items(self, res: Resource, ns: str) -> list[Obj]:
        store: dict[Any, Obj] = getattr(self, res.attr)
        return [
            o
            for _, o in sorted(store.items(), key=lambda kv: str(kv[0]))
            if not res.namespaced or o["metadata"].get("namespace") == ns
        ]

    # Middleware and helpers.

    @web.middleware
    async def _authenticated(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not self.auth.enabled:
            return await handler(request)  # type: ignore[no-any-return]
        user, refused = self.auth.user(request)
        if refused is not None:
            return refused
        assert user is not None
        asked = attributes(request)
        if asked is not None:
            rbac = Rbac(self.roles, self.rolebindings, self.clusterroles, self.clusterrolebindings)
            forbidden = self.auth.forbidden(user, asked, rbac)
            if forbidden is not None:
                self.auth.log.append((self.now(), user, 403))
                return forbidden
        response: web.StreamResponse = await handler(request)
        self.auth.log.append((self.now(), user, response.status))
        return response

    async def _token_request(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        self.requests.append(("POST", request.path))
        sa = self.serviceaccounts.get((ns, name))
        if sa is None:
            return self._not_found(SERVICEACCOUNTS, name)
        return self.auth.issue(sa, await request.json())

    @web.middleware
    async def _switches(self, request: web.Request, handler: Any) -> web.StreamResponse:
        while self.unreachable and not self._closing:  # a black hole: never answer
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), 0.05)
        if self._failures:
            code = self._failures.pop(0)
            reason = "TooManyRequests" if code == 429 else "InternalError"
            return _failure(code, reason, f"the fake API server failed this request ({code})")
        try:
            response: web.StreamResponse = await handler(request)
        except QueryError as e:
            return _failure(e.code, e.reason, e.message, **e.details)
        return response

    def _resource(self, request: web.Request) -> Resource:
        info = request.match_info
        canonical = info.route.resource.canonical if info.route.resource else ""
        return self._routes.get(canonical, PROWJOBS_RESOURCE)

    def _not_found(self, res: Resource, name: str) -> web.Response:
        return _failure(
            404,
            "NotFound",
            f'{res.group_resource} "{name}" not found',
            name=name,
            group=res.group,
            kind=res.plural,
        )

    def _conflict(self, res: Resource, name: str, why: str) -> web.Response:
        return _failure(
            409,
            "Conflict",
            f'Operation cannot be fulfilled on {res.group_resource} "{name}": {why}',
            name=name,
            group=res.group,
            kind=res.plural,
        )

    def _matcher(self, res: Resource, request: web.Request) -> Callable[[Obj | None], bool]:
        from fakekube_query import field_matcher, label_matcher

        labels = label_matcher(request.query.get("labelSelector", ""))
        fields = field_matcher(request.query.get("fieldSelector", ""), fields_of(res))

        def match(obj: Obj | None) -> bool:
            if obj is None:
                return False
            return labels(obj["metadata"].get("labels") or {}) and fields(obj)

        return match

    # Read handlers.

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "major": "1",
                "minor": "31",
                "gitVersion": "v1.31.0-fakekube",
                "gitCommit": "0" * 40,
                "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z",
                "goVersion": "go1.22.5",
                "compiler": "gc",
                "platform": "linux/amd64",
            }
        )

    async def _list_or_watch(self, request: web.Request) -> web.StreamResponse:
        res = self._resource(request)
        ns = request.match_info.get("ns", "")
        self.requests.append(("GET", request.path_qs))
        match = self._matcher(res, request)
        if request.query.get("watch") in ("true", "1"):
            return await self._watch(request, res, ns, match)
        return web.json_response(
            {
                "apiVersion": res.api_version,
                "kind": res.kind + "List",
                "metadata": {"resourceVersion": str(self.revision)},
                "items": [o for o in self._items(res, ns) if match(o)],
            }
        )

    async def _watch(
        self, request: web.Request, res: Resource, ns: str, match: Callable[[Obj | None], bool]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        writer = await response.prepare(request)
        flush = getattr(writer, "send_headers", None)
        if flush is not None:  # the API server answers a watch's headers at once
            flush()
        since_text = request.query.get("resourceVersion", "")
        bookmarks = request.query.get("allowWatchBookmarks") in ("true", "1")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + float(request.query.get("timeoutSeconds", "1800"))
        last_sent = loop.time()
        marked = 0  # the revision the client last heard of (an event or bookmark)

        async def send(kind: str, obj: Obj) -> None:
            nonlocal last_sent, marked
            last_sent = loop.time()
            marked = int((obj.get("metadata") or {}).get("resourceVersion") or marked)
            await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

        if since_text == "":  # the current state as ADDED events, then changes
            since = marked = self.revision
            for obj in self._items(res, ns):
                if match(obj):
                    await send("ADDED", obj)
        else:
            since = marked = int(since_text)
            if since < self.compacted:
                gone = f"too old resource version: {since} ({self.compacted + 1})"
                await send("ERROR", status(410, "Expired", gone))
                return response
        generation = self._generation
        try:
            while not self._closing and generation == self._generation:
                for rv, plural, n, kind, obj, previous in [] if self.held else list(self.events):
                    if rv <= since:
                        continue
                    since = rv
                    if plural != res.plural or (res.namespaced and n != ns):
                        continue
                    now, before = match(obj), kind == "MODIFIED" and match(previous)
                    if kind == "MODIFIED" and now != before:  # crossed the selector
                        await send("ADDED" if now else "DELETED", obj)
                    elif now:
                        await send(kind, obj)
                # Progress: at once when events this watch filtered out moved the
                # revision on, and at least every `bookmark_interval` seconds.
                due = since > marked or loop.time() - last_sent >= self.bookmark_interval
                if bookmarks and not self.held and due:
                    mark = {"metadata": {"resourceVersion": str(since)}}
                    await send("BOOKMARK", {"apiVersion": res.api_version, "kind": res.kind} | mark)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                changed = self._changed
                if self.held or self.revision <= since:
                    with contextlib.suppress(TimeoutError):
                        wait = min(remaining, 0.5, self.bookmark_interval if bookmarks else 0.5)
                        await asyncio.wait_for(changed.wait(), wait)
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        return response

    async def _get(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns, name = request.match_info.get("ns", ""), request.match_info["name"]
        obj = getattr(self, res.attr).get(res.key(ns, name))
        if obj is None:
            return self._not_found(res, name)
        return web.json_response(obj)


class FakeKubeThread:
    """A `FakeKube` served from an event loop in its own thread; `url` once started."""

    def __init__(self, *, window: int = 1000, bookmark_interval: float = 1.0) -> None:
        self.fake = FakeKube(window=window, bookmark_interval=bookmark_interval)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(10)
        return self.url

    def stop(self) -> None:
        self.fake.unreachable = False
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` on the server's loop and return its result."""

        async def run() -> T:
            return fn(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(10)

    def compact(self) -> None:
        """`FakeKube.compact`, run on the server's loop."""
        self.call(self.fake.compact)

    def drop_watches(self) -> None:
        """`FakeKube.drop_watches`, run on the server's loop."""
        asyncio.run_coroutine_threadsafe(self.fake.drop_watches(), self._loop).result(10)

    def set_pod_phase(self, namespace: str, name: str, phase: str, **kwargs: Any) -> Obj:
        """`FakeKube.set_pod_phase`, run on the server's loop."""
        return self.call(self.fake.set_pod_phase, namespace, name, phase, **kwargs)

    def set_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """`FakeKube.set_log`, run on the server's loop."""
        self.call(self.fake.set_log, namespace, pod, container, text)

    def append_log(self, namespace: str, pod: str, container: str, text: str) -> None:
        """`FakeKube.append_log`, run on the server's loop."""
        self.call(self.fake.append_log, namespace, pod, container, text)

    def __enter__(self) -> FakeKubeThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

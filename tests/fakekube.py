"""A fake Kubernetes API server for ProwJobs, speaking the real wire protocol.

It serves what minprow's `kube` JobStore backend and CRD installer use, the way
kube-apiserver does:

- `/apis/prow.k8s.io/v1/namespaces/{ns}/prowjobs`: list (a `ProwJobList` with
  the collection's `metadata.resourceVersion`), create (POST; 409 AlreadyExists),
  and watch (`?watch=true&resourceVersion=N`: newline-delimited JSON events
  `{"type": ADDED|MODIFIED|DELETED|ERROR, "object": ...}`; an ERROR event with a
  410 Expired Status when N is older than the retained window);
- `.../prowjobs/{name}`: get, update (PUT; 409 Conflict on a stale
  `metadata.resourceVersion`), delete (with `preconditions.resourceVersion`);
- `/apis/apiextensions.k8s.io/v1/customresourcedefinitions`: create and get.

resourceVersions are one increasing integer across the collection, as etcd's
revision; create sets `uid` and `creationTimestamp`. Errors are `kind: Status`
objects with `reason` and `code`. `FakeKube` runs on the caller's event loop;
`FakeKubeThread` runs one in a thread of its own, for synchronous callers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections import deque
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

PROWJOBS = "/apis/prow.k8s.io/v1/namespaces/{ns}/prowjobs"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

Obj = dict[str, Any]


def status(code: int, reason: str, message: str, **details: Any) -> Obj:
    """A `metav1.Status` failure object as kube-apiserver returns it."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }


def _failure(code: int, reason: str, message: str, **details: Any) -> web.Response:
    return web.json_response(status(code, reason, message, **details), status=code)


class FakeKube:
    """The fake API server's state and routes; `start()` binds a free local port."""

    def __init__(self, *, window: int = 1000) -> None:
        self.objects: dict[tuple[str, str], Obj] = {}
        self.crds: dict[str, Obj] = {}
        self.revision = 0
        self.window = window
        self.compacted = 0  # events at or below this revision are gone
        self.events: deque[tuple[int, str, str, Obj]] = deque()  # (rv, ns, type, object)
        self.requests: list[tuple[str, str]] = []
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self.held = False  # watches send nothing while held (a partitioned client)
        self._generation = 0  # bumped to end every open watch stream
        self._runner: web.AppRunner | None = None
        self.url = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(PROWJOBS, self._list_or_watch)
        app.router.add_post(PROWJOBS, self._create)
        app.router.add_get(PROWJOBS + "/{name}", self._get)
        app.router.add_put(PROWJOBS + "/{name}", self._update)
        app.router.add_delete(PROWJOBS + "/{name}", self._delete)
        app.router.add_get(CRDS + "/{name}", self._get_crd)
        app.router.add_post(CRDS, self._create_crd)
        return app

    async def start(self) -> str:
        self._changed = asyncio.Condition()
        self._runner = web.AppRunner(self.app(), shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        await self._notify()
        if self._runner is not None:
            await self._runner.cleanup()

    # State changes, also for tests acting as `kubectl`.

    def compact(self) -> None:
        """Drop every retained event, as etcd compaction does: older watches get 410."""
        self.compacted = self.revision
        self.events.clear()

    async def drop_watches(self, *, release: bool = True) -> None:
        """End every open watch stream (an API server restart); `release` un-holds."""
        self._generation += 1
        if release:
            self.held = False
        await self._notify()

    def _record(self, ns: str, kind: str, obj: Obj) -> None:
        self.events.append((self.revision, ns, kind, json.loads(json.dumps(obj))))
        while len(self.events) > self.window:
            self.compacted = self.events.popleft()[0]

    async def _notify(self) -> None:
        if self._changed is not None:
            async with self._changed:
                self._changed.notify_all()

    # Handlers.

    async def _list_or_watch(self, request: web.Request) -> web.StreamResponse:
        ns = request.match_info["ns"]
        self.requests.append(("GET", request.path_qs))
        if request.query.get("watch") in ("true", "1"):
            return await self._watch(request, ns)
        items = [o for (n, _), o in sorted(self.objects.items()) if n == ns]
        return web.json_response(
            {
                "apiVersion": "prow.k8s.io/v1",
                "kind": "ProwJobList",
                "metadata": {"resourceVersion": str(self.revision)},
                "items": items,
            }
        )

    async def _watch(self, request: web.Request, ns: str) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        writer = await response.prepare(request)
        flush = getattr(writer, "send_headers", None)
        if flush is not None:  # the API server answers a watch's headers at once
            flush()
        since_text = request.query.get("resourceVersion", "")
        timeout = float(request.query.get("timeoutSeconds", "1800"))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout

        async def send(kind: str, obj: Obj) -> None:
            await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")

        if since_text == "":  # the current state as ADDED events, then changes
            since = self.revision
            for (n, _), obj in sorted(self.objects.items()):
                if n == ns:
                    await send("ADDED", obj)
        else:  # "0" too: the fake treats it as exact (the API server's "any" may replay less)
            since = int(since_text)
            if since < self.compacted:
                await send(
                    "ERROR",
                    status(
                        410,
                        "Expired",
                        f"too old resource version: {since} ({self.compacted + 1})",
                    ),
                )
                return response
        assert self._changed is not None
        generation = self._generation
        try:
            while not self._closing and generation == self._generation:
                for rv, n, kind, obj in [] if self.held else list(self.events):
                    if rv > since and n == ns:
                        await send(kind, obj)
                    since = max(since, rv)
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                async with self._changed:
                    if (self.held or self.revision <= since) and not self._closing:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._changed.wait(), min(remaining, 0.5))
        except (ConnectionResetError, asyncio.CancelledError):
            return response
        return response

    async def _get(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        obj = self.objects.get((ns, name))
        if obj is None:
            return _not_found(name)
        return web.json_response(obj)

    async def _create(self, request: web.Request) -> web.Response:
        ns = request.match_info["ns"]
        obj: Obj = await request.json()
        meta = obj.setdefault("metadata", {})
        name = meta.get("name", "")
        self.requests.append(("POST", name))
        if not name:
            return _failure(422, "Invalid", "metadata.name: Required value", kind="prowjobs")
        if meta.get("resourceVersion"):
            return _failure(
                500,
                "InternalError",
                "resourceVersion should not be set on objects to be created",
            )
        if (ns, name) in self.objects:
            return _failure(
                409,
                "AlreadyExists",
                f'prowjobs.prow.k8s.io "{name}" already exists',
                name=name,
                group="prow.k8s.io",
                kind="prowjobs",
            )
        self.revision += 1
        meta["namespace"] = ns
        meta["resourceVersion"] = str(self.revision)
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta.setdefault("generation", 1)
        self.objects[(ns, name)] = obj
        self._record(ns, "ADDED", obj)
        await self._notify()
        return web.json_response(obj, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        obj: Obj = await request.json()
        self.requests.append(("PUT", name))
        stored = self.objects.get((ns, name))
        if stored is None:
            return _not_found(name)
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            return _failure(400, "BadRequest", "the name of the object does not match the URL")
        given = meta.get("resourceVersion")
        current = stored["metadata"]["resourceVersion"]
        if not given:
            return _failure(
                422,
                "Invalid",
                f'prowjobs.prow.k8s.io "{name}" is invalid: metadata.resourceVersion: '
                "Invalid value: 0x0: must be specified for an update",
                name=name,
                group="prow.k8s.io",
                kind="prowjobs",
            )
        if given != current:
            return _conflict(name)
        self.revision += 1
        meta["name"] = name
        meta["namespace"] = ns
        meta["resourceVersion"] = str(self.revision)
        meta["uid"] = stored["metadata"]["uid"]
        meta["creationTimestamp"] = stored["metadata"]["creationTimestamp"]
        self.objects[(ns, name)] = obj
        self._record(ns, "MODIFIED", obj)
        await self._notify()
        return web.json_response(obj)

    async def _delete(self, request: web.Request) -> web.Response:
        ns, name = request.match_info["ns"], request.match_info["name"]
        self.requests.append(("DELETE", name))
        body: Obj = {}
        if request.can_read_body:
            text = await request.text()
            body = json.loads(text) if text.strip() else {}
        stored = self.objects.get((ns, name))
        if stored is None:
            return _not_found(name)
        wanted = (body.get("preconditions") or {}).get("resourceVersion")
        if wanted is not None and wanted != stored["metadata"]["resourceVersion"]:
            return _failure(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on prowjobs.prow.k8s.io "{name}": '
                f"Precondition failed: ResourceVersion in precondition: {wanted}, "
                f"ResourceVersion in object meta: {stored['metadata']['resourceVersion']}",
                name=name,
                group="prow.k8s.io",
                kind="prowjobs",
            )
        del self.objects[(ns, name)]
        self.revision += 1
        gone = json.loads(json.dumps(stored))
        gone["metadata"]["resourceVersion"] = str(self.revision)
        self._record(ns, "DELETED", gone)
        await self._notify()
        return web.json_response(stored)

    async def _get_crd(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        crd = self.crds.get(name)
        if crd is None:
            return _failure(
                404,
                "NotFound",
                f'customresourcedefinitions.apiextensions.k8s.io "{name}" not found',
                name=name,
                group="apiextensions.k8s.io",
                kind="customresourcedefinitions",
            )
        return web.json_response(crd)

    async def _create_crd(self, request: web.Request) -> web.Response:
        crd: Obj = await request.json()
        name = crd.get("metadata", {}).get("name", "")
        if name in self.crds:
            return _failure(
                409,
                "AlreadyExists",
                f'customresourcedefinitions.apiextensions.k8s.io "{name}" already exists',
                name=name,
                group="apiextensions.k8s.io",
                kind="customresourcedefinitions",
            )
        crd["metadata"]["uid"] = str(uuid.uuid4())
        crd["metadata"]["resourceVersion"] = "1"
        self.crds[name] = crd
        return web.json_response(crd, status=201)


def _not_found(name: str) -> web.Response:
    return _failure(
        404,
        "NotFound",
        f'prowjobs.prow.k8s.io "{name}" not found',
        name=name,
        group="prow.k8s.io",
        kind="prowjobs",
    )


def _conflict(name: str) -> web.Response:
    return _failure(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on prowjobs.prow.k8s.io "{name}": the object has '
        "been modified; please apply your changes to the latest version and try again",
        name=name,
        group="prow.k8s.io",
        kind="prowjobs",
    )


class FakeKubeThread:
    """A `FakeKube` served from an event loop in its own thread; `url` once started."""

    def __init__(self, *, window: int = 1000) -> None:
        self.fake = FakeKube(window=window)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.url = ""

    def start(self) -> str:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self.fake.start(), self._loop).result(10)
        return self.url

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def compact(self) -> None:
        """`FakeKube.compact`, run on the server's loop."""
        self._loop.call_soon_threadsafe(self.fake.compact)

    def drop_watches(self) -> None:
        """`FakeKube.drop_watches`, run on the server's loop."""
        asyncio.run_coroutine_threadsafe(self.fake.drop_watches(), self._loop).result(10)

    def __enter__(self) -> FakeKubeThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

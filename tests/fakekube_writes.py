"""The write handlers and pod log of the fake Kubernetes API server (tests/fakekube.py).

Create, update (PUT), PATCH, DELETE (with preconditions and pods' graceful
deletion) and pod `deletecollection`, plus `GET .../pods/{name}/log`, as
kube-apiserver's generic registry and the pod strategy answer them; the module
docstring of tests/fakekube.py says what is faithful and what is simplified.
`WriteHandlers` is a mixin of `FakeKube`, whose state it uses. Objects are
validated (tests/fakekube_resources.py `validate`) where the registry does it:
a create before its name is looked up (an invalid object is 422 even where the
name is taken), an update or patch after its resourceVersion is checked (a
stale one is 409 whatever it holds). A body over 3 MiB is 413, unread.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import random
import string
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from fakekube_kubelet import terminated
from fakekube_query import QueryError, json_patch, merge_patch, strategic_merge_patch
from fakekube_resources import PODS, Resource, prune, status, validate

Obj = dict[str, Any]
MAX_BODY_BYTES = 3 * 1024 * 1024
"""The largest request body kube-apiserver reads (`MaxRequestBodyBytes`); past it, 413."""


def _failure(code: int, reason: str, message: str, **details: Any) -> web.Response:
    return web.json_response(status(code, reason, message, **details), status=code)


def generated_name(prefix: str) -> str:
    """A name from `metadata.generateName`: the prefix and 5 random [a-z0-9]."""
    return prefix + "".join(random.choices(string.ascii_lowercase + string.digits, k=5))


def _stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


async def _body(request: web.Request) -> Any:
    try:
        text = await request.text() if request.can_read_body else ""
    except web.HTTPRequestEntityTooLarge:
        raise QueryError(
            413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY_BYTES}"
        ) from None
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        raise QueryError(400, "BadRequest", "the body of the request is not JSON") from None


class WriteHandlers:
    """Create/update/patch/delete handlers; mixed into `FakeKube`."""

    # State owned by FakeKube.
    revision: int
    requests: list[tuple[str, str]]
    crds: dict[Any, Obj]
    logs: dict[tuple[str, str, str], str]
    kubelet_confirms_deletion: bool
    now: Callable[[], datetime]
    _changed: asyncio.Event
    _closing: bool
    _put: Callable[[Resource, str, Obj, str], Obj]
    _remove: Callable[[Resource, str, Obj], Obj]
    _resource: Callable[[web.Request], Resource]
    _not_found: Callable[[Resource, str], web.Response]
    _conflict: Callable[[Resource, str, str], web.Response]
    _matcher: Callable[[Resource, web.Request], Callable[[Obj | None], bool]]
    _items: Callable[[Resource, str], list[Obj]]

    def _store(self, res: Resource) -> dict[Any, Obj]:
        store: dict[Any, Obj] = getattr(self, res.attr)
        return store

    def _fill_new(self, res: Resource, ns: str, obj: Obj) -> Obj:
        """What the registry sets on create: identity, times, kind, defaults."""
        meta = obj.setdefault("metadata", {})
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        if res.namespaced:
            meta["namespace"] = ns
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = _stamp(self.now())
        meta["generation"] = 1
        if res is PODS:  # the pod strategy's PrepareForCreate
            obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
            obj.setdefault("spec", {}).setdefault("terminationGracePeriodSeconds", 30)
        if res.plural == "namespaces":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        if res.custom:
            obj = prune(obj, self.crds.get(f"{res.plural}.{res.group}"))
        return obj

    async def _create(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns = request.match_info.get("ns", "")
        obj = await _body(request)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = generated_name(meta["generateName"])
        name = meta.get("name", "")
        self.requests.append(("POST", f"{request.path}/{name}"))
        if not name:
            return _failure(
                422,
                "Invalid",
                f"{res.kind} is invalid: metadata.name: Required value: name or "
                "generateName is required",
                kind=res.kind,
            )
        if res.namespaced and meta.get("namespace") not in (None, "", ns):
            return _failure(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace "
                "sent on the request",
            )
        if meta.get("resourceVersion"):
            return _failure(
                500, "InternalError", "resourceVersion should not be set on objects to be created"
            )
        validate(res, obj)
        if res.key(ns, name) in self._store(res):
            return _failure(
                409,
                "AlreadyExists",
                f'{res.group_resource} "{name}" already exists',
                name=name,
                group=res.group,
                kind=res.plural,
            )
        return web.json_response(
            self._put(res, ns, self._fill_new(res, ns, obj), "ADDED"), status=201
        )

    def _replace(self, res: Resource, ns: str, stored: Obj, obj: Obj) -> Obj:
        """Store `obj` over `stored`, keeping what an update cannot change."""
        meta = obj.setdefault("metadata", {})
        kept = stored["metadata"]
        for field in ("name", "uid", "creationTimestamp", "deletionTimestamp"):
            if field in kept:
                meta[field] = kept[field]
        if res.namespaced:
            meta["namespace"] = ns
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        generation = int(kept.get("generation", 1))
        changed = obj.get("spec") != stored.get("spec")
        meta["generation"] = generation + 1 if changed else generation
        if res.custom:
            obj = prune(obj, self.crds.get(f"{res.plural}.{res.group}"))
        validate(res, obj, stored)
        return self._put(res, ns, obj, "MODIFIED")

    async def _update(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns, name = request.match_info.get("ns", ""), request.match_info["name"]
        obj = await _body(request)
        self.requests.append(("PUT", request.path))
        stored = self._store(res).get(res.key(ns, name))
        if stored is None:
            return self._not_found(res, name)
        meta = obj.setdefault("metadata", {})
        if meta.get("name", name) != name:
            return _failure(400, "BadRequest", "the name of the object does not match the URL")
        given = meta.get("resourceVersion")
        if not given and res.custom:
            return _failure(
                422,
                "Invalid",
                f'{res.group_resource} "{name}" is invalid: metadata.resourceVersion: '
                "Invalid value: 0x0: must be specified for an update",
                name=name,
                group=res.group,
                kind=res.plural,
            )
        if given and given != stored["metadata"]["resourceVersion"]:
            return self._conflict(
                res,
                name,
                "the object has been modified; please apply your changes to the latest "
                "version and try again",
            )
        return web.json_response(self._replace(res, ns, stored, obj))

    async def _patch(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns, name = request.match_info.get("ns", ""), request.match_info["name"]
        patch = await _body(request)
        self.requests.append(("PATCH", request.path))
        stored = self._store(res).get(res.key(ns, name))
        if stored is None:
            return self._not_found(res, name)
        kind = request.content_type
        if kind == "application/json-patch+json":
            if not isinstance(patch, list):
                raise QueryError(400, "BadRequest", "a JSON patch must be a list of operations")
            patched = json_patch(stored, patch)
        elif kind == "application/merge-patch+json":
            patched = merge_patch(stored, patch)
        elif kind == "application/strategic-merge-patch+json" and not res.custom:
            patched = strategic_merge_patch(stored, patch)
        else:
            return _failure(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: application/json-patch+json, application/merge-patch+json"
                f"{'' if res.custom else ', application/strategic-merge-patch+json'}",
            )
        given = (patched.get("metadata") or {}).get("resourceVersion")
        if given and given != stored["metadata"]["resourceVersion"]:
            return self._conflict(res, name, "the object has been modified")
        return web.json_response(self._replace(res, ns, stored, copy.deepcopy(patched)))

    def _delete_one(self, res: Resource, ns: str, stored: Obj, options: Obj) -> Obj:
        """Delete `stored`, gracefully for a running pod (the pod strategy's rules)."""
        spec, phase = stored.get("spec") or {}, (stored.get("status") or {}).get("phase")
        grace = options.get("gracePeriodSeconds")
        if grace is None:
            grace = spec.get("terminationGracePeriodSeconds", 30)
        graceful = (
            res is PODS
            and int(grace) > 0
            and bool(spec.get("nodeName"))  # unscheduled pods go at once
            and phase not in ("Succeeded", "Failed")  # so do finished ones
        )
        if not graceful:
            return self._remove(res, ns, stored)
        if "deletionTimestamp" not in stored["metadata"]:
            terminating = copy.deepcopy(stored)
            when = self.now() + timedelta(seconds=int(grace))
            terminating["metadata"]["deletionTimestamp"] = _stamp(when)
            terminating["metadata"]["deletionGracePeriodSeconds"] = int(grace)
            stored = self._put(res, ns, terminating, "MODIFIED")
        if self.kubelet_confirms_deletion:
            return self._remove(res, ns, stored)
        return stored

    async def _delete(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns, name = request.match_info.get("ns", ""), request.match_info["name"]
        self.requests.append(("DELETE", request.path))
        options = await _body(request)
        if "gracePeriodSeconds" in request.query:
            options["gracePeriodSeconds"] = int(request.query["gracePeriodSeconds"])
        stored = self._store(res).get(res.key(ns, name))
        if stored is None:
            return self._not_found(res, name)
        pre = options.get("preconditions") or {}
        meta = stored["metadata"]
        for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
            wanted = pre.get(field)
            if wanted is not None and wanted != meta.get(field):
                return self._conflict(
                    res,
                    name,
                    f"Precondition failed: {label} in precondition: {wanted}, "
                    f"{label} in object meta: {meta.get(field)}",
                )
        return web.json_response(self._delete_one(res, ns, stored, options))

    async def _delete_collection(self, request: web.Request) -> web.Response:
        res = self._resource(request)
        ns = request.match_info.get("ns", "")
        self.requests.append(("DELETE", request.path_qs))
        options = await _body(request)
        match = self._matcher(res, request)
        gone = [self._delete_one(res, ns, o, options) for o in self._items(res, ns) if match(o)]
        return web.json_response(
            {
                "apiVersion": res.api_version,
                "kind": res.kind + "List",
                "metadata": {"resourceVersion": str(self.revision)},
                "items": gone,
            }
        )

    def _container(self, pod: Obj, name: str, request: web.Request) -> str:
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        inits = [c["name"] for c in (pod.get("spec") or {}).get("initContainers") or []]
        container = request.query.get("container", "")
        if not container:
            if len(containers) != 1:
                raise QueryError(
                    400,
                    "BadRequest",
                    f"a container name must be specified for pod {name}, choose one of: "
                    f"[{' '.join(containers)}]",
                )
            container = containers[0]
        if container not in containers + inits:
            raise QueryError(
                400, "BadRequest", f"container {container} is not valid for pod {name}"
            )
        for entry in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (entry.get("state") or {}).get("waiting")
            if entry.get("name") == container and waiting is not None:
                raise QueryError(
                    400,
                    "BadRequest",
                    f'container "{container}" in pod "{name}" is waiting to start: '
                    f"{waiting.get('reason', 'ContainerCreating')}",
                )
        if not (pod.get("status") or {}).get("containerStatuses") and container in containers:
            raise QueryError(
                400,
                "BadRequest",
                f'container "{container}" in pod "{name}" is waiting to start: ContainerCreating',
            )
        return container

    async def _log(self, request: web.Request) -> web.StreamResponse:
        ns, name = request.match_info["ns"], request.match_info["name"]
        self.requests.append(("GET", request.path_qs))
        pods: dict[Any, Obj] = getattr(self, PODS.attr)
        pod = pods.get((ns, name))
        if pod is None:
            return self._not_found(PODS, name)
        container = self._container(pod, name, request)
        key = (ns, name, container)
        if request.query.get("follow") not in ("true", "1"):
            return web.Response(text=self.logs.get(key, ""), content_type="text/plain")
        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        await response.prepare(request)
        sent = 0
        with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
            while not self._closing:
                changed = self._changed
                text = self.logs.get(key, "")
                if len(text) > sent:
                    await response.write(text[sent:].encode())
                    sent = len(text)
                current = pods.get((ns, name))
                # The kubelet ends a follow once the container stopped or the pod is gone.
                if current is None or terminated(current, container):
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), 0.5)
        return response

"""The `kube` inbox: one ConfigMap per webhook delivery in the service cluster.

The deliveries live where the ProwJobs live, so they outlive the pod, and every
hook replica sees them. A delivery's ConfigMap:

- name `minprow-webhook-<delivery id>` when the id is a DNS label already (GitHub's
  are lowercase UUIDs); any other id is named by a sha256 prefix behind
  `minprow-webhook-sha256.` (a dot no id-derived name has, so the two forms never
  meet). Ids are not lowercased: "ABC" and "abc" are two deliveries to every
  other backend, and must stay two here;
- labels `app.kubernetes.io/name: minprow` and `minprow.dev/webhook: pending`,
  `done` once every plugin handled it;
- annotations `minprow.dev/owner` (the replica handling it, its pod name),
  `minprow.dev/claimed` (when the owner took it) and `minprow.dev/done-plugins`;
- data `delivery`, `event`, `received` (RFC 3339, microseconds, UTC), and
  binaryData `payload.json.gz`, removed when the delivery is done.

Creating the ConfigMap is the de-duplication: a delivery id already known is a
409 AlreadyExists, however long ago and by whichever replica it was accepted,
until `prune` deletes the done ConfigMap. The API server keeps at most 1 MiB of
values in one ConfigMap; a payload that does not fit compressed is refused
with an `InboxError` saying so (GitHub caps payloads at 25 MB; JSON compresses
about tenfold).

Ownership moves by compare-and-swap on the resourceVersion. A replica that
stops leaves its pending deliveries behind; a container restarted in the same
pod has the same identity and takes its own back at `open`. Others adopt them
once `claimed` is `claim_after` old, with a patch conditioned on the
resourceVersion they read, so of two replicas adopting at once one wins. The
owner re-claims (the same CAS) a delivery that waited `CLAIM_AFTER` before
handling it, so it never handles one another replica has taken; `claim_after`
must therefore be at least `CLAIM_AFTER`, and its margin over it is how long a
plugin may run on a delivery taken just before that.

The official `kubernetes` client is synchronous: calls (and the gzip work) run in
worker threads, each with a timeout, so an unreachable API server is an
`InboxError` in seconds rather than a hung webhook answer.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import hashlib
import logging
import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from kubernetes.client import CoreV1Api

from minprow.aio.clock import Clock, SystemClock
from minprow.hook.inbox.entry import InboxEntry, InboxError
from minprow.hook.inbox.queue import CLAIM_AFTER
from minprow.kube.corecalls import Refused, Unreachable, core_json

if TYPE_CHECKING:
    from minprow.store.kube import ApiClientFactory

log = logging.getLogger("minprow.hook")

NAME_PREFIX = "minprow-webhook-"
APP_LABEL, APP = "app.kubernetes.io/name", "minprow"
STATE_LABEL, PENDING, DONE = "minprow.dev/webhook", "pending", "done"
OWNER = "minprow.dev/owner"
CLAIMED = "minprow.dev/claimed"
DONE_PLUGINS = "minprow.dev/done-plugins"
PAYLOAD = "payload.json.gz"
DEFAULT_CLAIM_AFTER = timedelta(minutes=5)
DEFAULT_REQUEST_TIMEOUT = 5.0
"""Seconds to connect, and again to read an answer: hook waits for `accept` to answer GitHub."""

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_MERGE_PATCH = "application/merge-patch+json"
T = TypeVar("T")


def configmap_name(delivery_id: str) -> str:
    """The name of the ConfigMap keeping `delivery_id` (a valid DNS subdomain)."""
    if _LABEL.fullmatch(delivery_id):
        return NAME_PREFIX + delivery_id
    return f"{NAME_PREFIX}sha256.{hashlib.sha256(delivery_id.encode()).hexdigest()[:48]}"


def _time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _plugins(text: str) -> frozenset[str]:
    return frozenset(p for p in text.split(",") if p)


class _Malformed(Exception):
    """A ConfigMap with the inbox's labels that is not a delivery this module wrote."""


def _entry(obj: dict[str, Any]) -> InboxEntry:
    """The pending delivery a ConfigMap holds, payload included, marked replayed."""
    meta = obj.get("metadata") or {}
    data = obj.get("data") or {}
    annotations = meta.get("annotations") or {}
    try:
        payload = (obj.get("binaryData") or {}).get(PAYLOAD)
        body = None if payload is None else gzip.decompress(base64.b64decode(payload))
        claimed = annotations.get(CLAIMED)
        return InboxEntry(
            data["delivery"],
            data["event"],
            body,
            _parse_time(data["received"]),
            _plugins(annotations.get(DONE_PLUGINS, "")),
            replayed=True,
            claim=str(meta["resourceVersion"]),
            claimed=_parse_time(claimed) if claimed else None,
        )
    except (KeyError, ValueError, TypeError, OSError, EOFError, zlib.error, binascii.Error) as err:
        raise _Malformed(f"ConfigMap {meta.get('name', '?')}: {type(err).__name__}: {err}") from err


class KubeInbox:
    """Deliveries as ConfigMaps in `namespace`, handled by the replica named `identity`."""

    def __init__(
        self,
        api_client_factory: ApiClientFactory,
        namespace: str,
        *,
        identity: str,
        claim_after: timedelta = DEFAULT_CLAIM_AFTER,
        clock: Clock | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        if not identity:
            raise ValueError("the kube inbox needs this replica's identity (its pod name)")
        if claim_after < CLAIM_AFTER:
            raise ValueError(
                f"claim_after ({claim_after}) must be at least CLAIM_AFTER ({CLAIM_AFTER}): "
                "a replica could otherwise adopt a delivery its owner handles unclaimed"
            )
        self.namespace = namespace
        self.identity = identity
        self.claim_after = claim_after
        self._factory = api_client_factory
        self._clock = clock or SystemClock()
        self._timeout = (request_timeout, request_timeout)
        self._api: CoreV1Api | None = None
        # The entries handed out, by delivery id: `progress` and `finish` get only
        # the id, and must still move the entry's resourceVersion (`claim`) on.
        self._mine: dict[str, InboxEntry] = {}
        self._warned: set[str] = set()

    @property
    def where(self) -> str:
        return f"ConfigMaps in namespace {self.namespace}"

    async def open(self) -> list[InboxEntry]:
        now = self._clock.now()
        own, stale = await self._scan(now)
        for entry in own:
            self._mine[entry.delivery_id] = entry
        return sorted(own + await self._claim_all(stale, now), key=_order)

    async def accept(self, entry: InboxEntry) -> bool:
        body = entry.body or b""
        payload = await asyncio.to_thread(gzip.compress, body, 6, mtime=0)
        name = configmap_name(entry.delivery_id)
        obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "labels": {APP_LABEL: APP, STATE_LABEL: PENDING},
                "annotations": {
                    OWNER: self.identity,
                    CLAIMED: _time(entry.received),
                    DONE_PLUGINS: ",".join(sorted(entry.done)),
                },
            },
            "data": {
                "delivery": entry.delivery_id,
                "event": entry.event_type,
                "received": _time(entry.received),
            },
            "binaryData": {PAYLOAD: base64.b64encode(payload).decode()},
        }
        try:
            created = await self._call("create_namespaced_config_map", self.namespace, obj)
        except Refused as err:
            if err.code == 409 and err.reason == "AlreadyExists":
                return False
            if err.too_big:
                raise InboxError(
                    f"{self.where}: delivery {entry.delivery_id} is not kept: its payload is "
                    f"{len(payload)} bytes gzip-compressed, more than a ConfigMap holds (the "
                    f"API server keeps at most 1 MiB in one): {err.code} {err.reason}"
                ) from None
            raise self._failed(f"keep delivery {entry.delivery_id}", err) from None
        entry.claim = str(created["metadata"]["resourceVersion"])
        entry.claimed = entry.received
        self._mine[entry.delivery_id] = entry
        return True

    async def progress(self, delivery_id: str, done: frozenset[str]) -> None:
        patch = {"metadata": {"annotations": {DONE_PLUGINS: ",".join(sorted(done))}}}
        await self._patch(delivery_id, patch, f"record the progress of delivery {delivery_id}")

    async def finish(self, delivery_id: str) -> None:
        # The done ConfigMap stays, without its payload, as the delivery id's
        # memory until `prune`: GitHub's redelivery of it is then refused.
        patch = {"metadata": {"labels": {STATE_LABEL: DONE}}, "binaryData": {PAYLOAD: None}}
        await self._patch(delivery_id, patch, f"finish delivery {delivery_id}")
        self._mine.pop(delivery_id, None)

    async def load(self, delivery_id: str) -> bytes:
        name = configmap_name(delivery_id)
        try:
            obj = await self._call("read_namespaced_config_map", name, self.namespace)
        except Refused as err:
            if err.code == 404:
                raise InboxError(
                    f"{self.where}: delivery {delivery_id} is not waiting (ConfigMap {name} "
                    "is gone)"
                ) from None
            raise self._failed(f"read delivery {delivery_id}", err) from None
        labels = (obj.get("metadata") or {}).get("labels") or {}
        try:
            entry = await asyncio.to_thread(_entry, obj)
        except _Malformed as err:
            raise InboxError(f"{self.where}: {err}") from None
        if labels.get(STATE_LABEL) != PENDING or entry.body is None:
            raise InboxError(f"{self.where}: delivery {delivery_id} is not waiting (done)")
        return entry.body

    async def claim(self, entry: InboxEntry) -> bool:
        won = await self._claim(entry, self._clock.now())
        if not won:
            self._mine.pop(entry.delivery_id, None)
        return won

    async def adopt(self, now: datetime) -> list[InboxEntry]:
        _, stale = await self._scan(now)
        return sorted(await self._claim_all(stale, now), key=_order)

    async def prune(self, before: datetime) -> int:
        listed = await self._list(DONE, "list finished deliveries")
        pruned = 0
        for obj in listed:
            meta = obj.get("metadata") or {}
            try:
                received = _parse_time((obj.get("data") or {})["received"])
            except (KeyError, TypeError, ValueError):
                continue  # not one this module wrote: not its to delete
            if received >= before:
                continue
            try:
                await self._call("delete_namespaced_config_map", meta["name"], self.namespace)
            except Refused as err:
                if err.code == 404:
                    continue  # another replica pruned it first
                raise self._failed(f"delete ConfigMap {meta['name']}", err) from None
            pruned += 1
        return pruned

    async def close(self) -> None:
        api, self._api = self._api, None
        self._mine.clear()
        if api is not None:
            await asyncio.to_thread(api.api_client.close)

    # Helpers.

    async def _scan(self, now: datetime) -> tuple[list[InboxEntry], list[InboxEntry]]:
        """Pending deliveries: this replica's own, and others' unclaimed for `claim_after`."""
        listed = await self._list(PENDING, "list waiting deliveries")
        entries, malformed = await asyncio.to_thread(_entries, listed)
        for name, why in malformed.items():
            if name not in self._warned:  # once per ConfigMap, not at every scan
                self._warned.add(name)
                log.warning("webhook inbox: skipping %s", why, extra={"component": "hook"})
        own, stale = [], []
        for owner, entry in entries:
            if owner == self.identity:
                own.append(entry)
            elif entry.claimed is None or now - entry.claimed >= self.claim_after:
                stale.append(entry)
        return own, stale

    async def _claim_all(self, entries: list[InboxEntry], now: datetime) -> list[InboxEntry]:
        return [entry for entry in entries if await self._claim(entry, now)]

    async def _claim(self, entry: InboxEntry, now: datetime) -> bool:
        if not entry.claim:
            raise InboxError(
                f"{self.where}: delivery {entry.delivery_id} was not read from this inbox "
                "(no resourceVersion to claim it with)"
            )
        patch = {
            # The precondition: the patch applies only to the version this replica read.
            "metadata": {
                "resourceVersion": entry.claim,
                "annotations": {OWNER: self.identity, CLAIMED: _time(now)},
            }
        }
        try:
            patched = await self._merge_patch(entry.delivery_id, patch)
        except Refused as err:
            if err.code in (404, 409):  # another replica took it, finished it, or pruned it
                return False
            raise self._failed(f"claim delivery {entry.delivery_id}", err) from None
        entry.claim = str(patched["metadata"]["resourceVersion"])
        entry.claimed = now
        self._mine[entry.delivery_id] = entry
        return True

    async def _merge_patch(self, delivery_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        return await self._call(
            "patch_namespaced_config_map",
            configmap_name(delivery_id),
            self.namespace,
            patch,
            _content_type=_MERGE_PATCH,
        )

    async def _patch(self, delivery_id: str, patch: dict[str, Any], what: str) -> None:
        try:
            patched = await self._merge_patch(delivery_id, patch)
        except Refused as err:
            if err.code == 404:
                return  # pruned or deleted: nothing left to record it on
            raise self._failed(what, err) from None
        entry = self._mine.get(delivery_id)
        owner = (patched["metadata"].get("annotations") or {}).get(OWNER)
        # Only while it is still this replica's: a claim must not succeed over
        # another replica's adoption just because this one wrote after it.
        if entry is not None and owner == self.identity:
            entry.claim = str(patched["metadata"]["resourceVersion"])

    async def _list(self, state: str, what: str) -> list[dict[str, Any]]:
        try:
            listed = await self._call(
                "list_namespaced_config_map",
                self.namespace,
                label_selector=f"{APP_LABEL}={APP},{STATE_LABEL}={state}",
            )
        except Refused as err:
            raise self._failed(what, err) from None
        return list(listed.get("items") or [])

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The JSON answer of a CoreV1Api call, made in a worker thread.

        Raises `Refused` when the API server answers no, `InboxError` when it does
        not answer (or not with JSON)."""
        try:
            return await core_json(
                self._core(), method, *args, request_timeout=self._timeout, **kwargs
            )
        except Unreachable as err:
            raise InboxError(f"{self.where}: {err}") from err

    def _core(self) -> CoreV1Api:
        if self._api is None:
            self._api = CoreV1Api(self._factory())
        return self._api

    def _failed(self, what: str, err: Refused) -> InboxError:
        hint = ""
        if err.code in (401, 403):
            hint = (
                " (the hook's service account needs create, get, list, patch and delete on "
                f"configmaps in {self.namespace})"
            )
        return InboxError(f"{self.where}: cannot {what}: {err}{hint}")


def _order(entry: InboxEntry) -> tuple[datetime, str]:
    return entry.received, entry.delivery_id


def _entries(
    listed: list[dict[str, Any]],
) -> tuple[list[tuple[str | None, InboxEntry]], dict[str, str]]:
    """The deliveries of listed ConfigMaps (decompressed) with their owners, and
    why the malformed ones were skipped, by ConfigMap name."""
    entries: list[tuple[str | None, InboxEntry]] = []
    malformed: dict[str, str] = {}
    for obj in listed:
        meta = obj.get("metadata") or {}
        try:
            entries.append(((meta.get("annotations") or {}).get(OWNER), _entry(obj)))
        except _Malformed as err:
            malformed[str(meta.get("name", "?"))] = str(err)
    return entries, malformed

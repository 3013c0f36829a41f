"""The Lease a leader elector holds: its record and the three blocking API calls.

client-go's tools/leaderelection/resourcelock (`LeaderElectionRecord` and
`LeaseLock`): the record is a `coordination.k8s.io/v1` Lease's spec
(`holderIdentity`, `leaseDurationSeconds`, `acquireTime`, `renewTime`,
`leaseTransitions`), read with a GET and written with a POST (create) or a PUT
carrying the `metadata.resourceVersion` last read, so that of two candidates
writing from the same read only one succeeds and the other gets 409.

The calls go through `ApiClient.param_serialize`/`call_api` with plain JSON
bodies rather than the generated `V1Lease` models: the models would write times
with `datetime.isoformat()`, which drops the fraction when the microseconds are
zero and writes `+00:00`, while kube-apiserver parses MicroTime with Go's
RFC3339Micro layout, which needs all six digits.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from minprow.kube.health import parse_time

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"


class LeaseError(Exception):
    """A Lease call that failed (unreachable, timed out, or an unexpected status)."""


def micro_time(when: datetime) -> str:
    """A time as metav1.MicroTime's wire form, `2006-01-02T15:04:05.000000Z`."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class LeaseRecord:
    """The leader election record kept in a Lease's spec."""

    holder: str
    """Who holds the lease; empty when released (anyone may take it at once)."""
    lease_duration: int
    """Seconds the others wait, from when they saw the record change, before taking it."""
    acquire_time: datetime | None = None
    renew_time: datetime | None = None
    transitions: int = 0

    def spec(self) -> dict[str, Any]:
        """The Lease spec on the wire."""
        spec: dict[str, Any] = {
            "holderIdentity": self.holder,
            "leaseDurationSeconds": self.lease_duration,
            "leaseTransitions": self.transitions,
        }
        if self.acquire_time is not None:
            spec["acquireTime"] = micro_time(self.acquire_time)
        if self.renew_time is not None:
            spec["renewTime"] = micro_time(self.renew_time)
        return spec

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> LeaseRecord:
        """Read a Lease spec, tolerating absent fields as client-go does."""
        holder = spec.get("holderIdentity")
        duration = spec.get("leaseDurationSeconds")
        transitions = spec.get("leaseTransitions")
        return cls(
            holder=holder if isinstance(holder, str) else "",
            lease_duration=duration if isinstance(duration, int) else 0,
            acquire_time=parse_time(spec.get("acquireTime")),
            renew_time=parse_time(spec.get("renewTime")),
            transitions=transitions if isinstance(transitions, int) else 0,
        )


@dataclass(frozen=True)
class Observed:
    """A Lease as read: its record, the record's raw wire form, its resourceVersion."""

    record: LeaseRecord
    raw: str
    """The spec as canonical JSON: client-go compares raw records to notice a change."""
    resource_version: str


def _observed(obj: dict[str, Any]) -> Observed:
    spec = obj.get("spec") or {}
    metadata = obj.get("metadata") or {}
    return Observed(
        record=LeaseRecord.from_spec(spec),
        raw=json.dumps(spec, sort_keys=True),
        resource_version=str(metadata.get("resourceVersion") or ""),
    )


class LeaseClient:
    """Blocking GET/POST/PUT of one Lease; call it from a worker thread only."""

    def __init__(
        self,
        api_client_factory: Callable[[], ApiClient],
        namespace: str,
        name: str,
    ) -> None:
        self.namespace = namespace
        self.name = name
        self._factory = api_client_factory
        self._api: ApiClient | None = None

    def get(self, timeout: float) -> Observed | None:
        """The Lease, or None when there is none."""
        status, body = self._call("GET", f"/{self.name}", None, timeout)
        if status == 404:
            return None
        if status != 200:
            raise LeaseError(f"GET lease {self._where()}: HTTP {status}: {_message(body)}")
        return _observed(body)

    def create(self, record: LeaseRecord, timeout: float) -> Observed | None:
        """Create the Lease; None when another candidate created it first (409)."""
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": self.name, "namespace": self.namespace},
            "spec": record.spec(),
        }
        status, body = self._call("POST", "", lease, timeout)
        if status == 409:
            return None
        if status not in (200, 201):
            raise LeaseError(f"create lease {self._where()}: HTTP {status}: {_message(body)}")
        return _observed(body)

    def update(self, record: LeaseRecord, resource_version: str, timeout: float) -> Observed | None:
        """Replace the record if the Lease is still at `resource_version`; None on 409."""
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "resourceVersion": resource_version,
            },
            "spec": record.spec(),
        }
        status, body = self._call("PUT", f"/{self.name}", lease, timeout)
        if status == 409:
            return None
        if status != 200:
            raise LeaseError(f"update lease {self._where()}: HTTP {status}: {_message(body)}")
        return _observed(body)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()  # type: ignore[no-untyped-call]
            self._api = None

    def _where(self) -> str:
        return f"{self.namespace}/{self.name}"

    def _call(
        self, method: str, suffix: str, body: dict[str, Any] | None, timeout: float
    ) -> tuple[int, dict[str, Any]]:
        import urllib3

        if self._api is None:
            self._api = self._factory()
        api = self._api
        try:
            verb, url, headers, payload, post = api.param_serialize(
                method=method,
                resource_path=LEASES.format(namespace=self.namespace) + suffix,
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
            )
            response = api.call_api(
                verb, url, headers, payload, post, _request_timeout=max(timeout, 0.001)
            )
            raw = response.read()  # type: ignore[no-untyped-call]
            status = int(response.status)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise LeaseError(f"{method} lease {self._where()}: {exc}") from exc
        try:
            decoded = json.loads(raw) if raw else {}
        except ValueError:
            decoded = {}
        return status, decoded if isinstance(decoded, dict) else {}


def _message(body: dict[str, Any]) -> str:
    message = body.get("message")
    return message if isinstance(message, str) else json.dumps(body)[:200]

"""What the kubelet tells a pod about itself, for a pod that runs on this machine.

A job's env `valueFrom.fieldRef` / `resourceFieldRef` and its `downwardAPI`
volumes read the pod Prow would create: its name is the ProwJob's name, its
labels and annotations are Prow's (`LabelsAndAnnotationsForJob`), its
namespace the job's pod namespace. The node is this machine: `spec.nodeName`
is its host name, `status.hostIP` its address. A local container's own
address is only known once it runs, so `status.podIP` is the host's address
too (`localize` says so when a job reads it).

Resource values follow the kubelet (k8s.io/kubernetes pkg/api/v1/resource
`ExtractContainerResourceValue`): a limit the container does not set is the
node's allocatable amount, a request it does not set is its limit when that is
set (API defaulting) and 0 otherwise, and the value is divided by the divisor
(default 1) and rounded up.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from minprow.podutils.quantity import QuantityError, milli_value, parse_quantity, value


class FieldError(ValueError):
    """A fieldRef or resourceFieldRef the kubelet would refuse: says which and why."""


@dataclass(frozen=True)
class HostFacts:
    """The node a local pod runs on."""

    node_name: str
    host_ip: str
    cpus: int
    memory: int
    """Bytes."""

    @classmethod
    def of_this_machine(cls) -> HostFacts:
        return cls(socket.gethostname(), _host_ip(), os.cpu_count() or 1, _memory())


def _host_ip() -> str:
    # The address a route out would use; no packet is sent by connecting a UDP socket.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            address: str = probe.getsockname()[0]
            return address
    except OSError:
        return "127.0.0.1"


def _memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


@dataclass(frozen=True)
class PodFacts:
    """The pod Prow would create for a ProwJob, as its downward API shows it."""

    name: str
    namespace: str
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    service_account: str = "default"
    node_name: str = ""
    """spec.nodeName when the job pins one, else the host's name."""

    @property
    def uid(self) -> str:
        # A real pod's uid is random; a stable one keeps a rerun's env the same.
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"minprow:pod:{self.namespace}/{self.name}"))


_SUBSCRIPT = re.compile(r"^metadata\.(labels|annotations)\['(.*)'\]$")


def field_value(path: str, pod: PodFacts, host: HostFacts, *, volume: bool = False) -> str:
    """The value of a fieldRef's `fieldPath`; the whole label or annotation map
    only in a downwardAPI volume (as `key="value"` lines, sorted)."""
    match = _SUBSCRIPT.match(path)
    if match:
        values = pod.labels if match.group(1) == "labels" else pod.annotations
        return values.get(match.group(2), "")
    if volume and path in ("metadata.labels", "metadata.annotations"):
        values = pod.labels if path == "metadata.labels" else pod.annotations
        return "\n".join(f"{k}={_go_quote(values[k])}" for k in sorted(values))
    simple = {
        "metadata.name": pod.name,
        "metadata.namespace": pod.namespace,
        "metadata.uid": pod.uid,
        "spec.nodeName": pod.node_name or host.node_name,
        "spec.serviceAccountName": pod.service_account,
        "status.hostIP": host.host_ip,
        "status.hostIPs": host.host_ip,
        "status.podIP": host.host_ip,
        "status.podIPs": host.host_ip,
    }
    if path not in simple:
        raise FieldError(f"fieldPath {path!r} is not one the downward API supports")
    return simple[path]


def _go_quote(text: str) -> str:
    # strconv.Quote for the printable text labels and annotations hold.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


_RESOURCES = ("cpu", "memory", "ephemeral-storage")


def resource_value(ref: dict[str, Any], resources: dict[str, Any], host: HostFacts) -> str:
    """A resourceFieldRef's value for a container with `resources`."""
    resource = str(ref.get("resource") or "")
    kind, _, name = resource.partition(".")
    if kind not in ("limits", "requests") or name not in _RESOURCES:
        raise FieldError(f"resource {resource!r} is not one the downward API supports")
    try:
        divisor = parse_quantity(ref.get("divisor") or "1")
        amount = _amount(kind, name, resources, host)
    except QuantityError as err:
        raise FieldError(f"resource {resource!r}: {err}") from err
    if divisor <= 0:
        raise FieldError(f"resource {resource!r}: divisor must be positive")
    if name == "cpu":
        return str(_ceil_div(milli_value(amount), milli_value(divisor)))
    return str(_ceil_div(value(amount), value(divisor)))


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _amount(kind: str, name: str, resources: dict[str, Any], host: HostFacts) -> Fraction:
    limits = resources.get("limits") or {}
    requests = resources.get("requests") or {}
    if kind == "requests":
        raw = requests.get(name, limits.get(name))
        return parse_quantity(raw) if raw is not None else Fraction(0)
    if name in limits:
        return parse_quantity(limits[name])
    if name == "cpu":
        return Fraction(host.cpus)
    if name == "memory":
        return Fraction(host.memory)
    return Fraction(_disk_free())


def _disk_free() -> int:
    try:
        stat = os.statvfs("/")
    except OSError:
        return 0
    return stat.f_frsize * stat.f_blocks

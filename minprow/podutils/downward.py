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

import functools
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
        """This machine, probed once per process (every local start asks)."""
        return _this_machine()


@functools.cache
def _this_machine() -> HostFacts:
    return HostFacts(socket.gethostname(), _host_ip(), os.cpu_count() or 1, _memory())


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


_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _split_subscript(path: str) -> tuple[str, str] | None:
    """Kubernetes' SplitMaybeSubscriptedPath: `metadata.labels['k']` as (path, key)."""
    if not path.endswith("']"):
        return None
    head, sep, key = path[:-2].partition("['")
    if not sep or not head:
        return None
    return head, key


def _qualified_name(key: str) -> bool:
    """Kubernetes' IsQualifiedName: `[prefix/]name`, the prefix a DNS subdomain."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return len(name) <= 63 and bool(_NAME.match(name))


def field_value(path: str, pod: PodFacts, host: HostFacts, *, volume: bool = False) -> str:
    """The value of a fieldRef's `fieldPath`; the whole label or annotation map
    only in a downwardAPI volume (as `key="value"` lines, sorted)."""
    subscripted = _split_subscript(path)
    if subscripted is not None:
        head, key = subscripted
        if head not in ("metadata.labels", "metadata.annotations"):
            raise FieldError(f"fieldPath {path!r} is not one the downward API supports")
        # Annotation keys are checked lower-cased, as the API server does.
        checked = key.lower() if head == "metadata.annotations" else key
        if not _qualified_name(checked):
            raise FieldError(f"invalid key subscript in {path!r}: {key!r}")
        values = pod.labels if head == "metadata.labels" else pod.annotations
        return values.get(key, "")
    if volume and not path.startswith("metadata."):
        # A downwardAPI volume reads the pod's metadata only; the node's and the
        # status's fields are for env.
        raise FieldError(f"fieldPath {path!r} is not one a downwardAPI volume supports")
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


_GO_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
    "\\": "\\\\",
    '"': '\\"',
}


def _go_quote(text: str) -> str:
    """Go's strconv.Quote (`%q`): C escapes, `\\xNN` for other control bytes, and
    `\\uNNNN`/`\\UNNNNNNNN` for what Unicode does not print."""
    out = []
    for ch in text:
        if ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


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

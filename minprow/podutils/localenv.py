"""A container's environment as the kubelet builds it, for a run on this machine.

`envFrom` first, then `env` in order (k8s.io/kubernetes pkg/kubelet
`makeEnvironmentVariables`): a `value` may refer to the variables defined
before it as `$(NAME)`, and `valueFrom` reads the pod's downward API
(`fieldRef`, `resourceFieldRef`, see downward.py) or a key of a Secret or
ConfigMap, here from the local folders of `LocalObjects`. An `optional`
reference to what is not there leaves the variable unset; any other is a
missing line saying where to put it. The same `$(NAME)` expansion
(k8s.io/kubernetes third_party/forked/golang/expansion) is applied to command,
args and subPathExpr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from minprow.podutils.downward import FieldError, HostFacts, PodFacts, field_value, resource_value
from minprow.podutils.localobjects import LocalObjects


class EnvError(ValueError):
    """An env var the kubelet would refuse: names the container and the variable."""


@dataclass(frozen=True)
class EnvVar:
    """One entry of a container's env: a value, or a `valueFrom` source."""

    name: str
    value: str = ""
    value_from: dict[str, Any] | None = None


def expand(text: str, env: Mapping[str, str]) -> str:
    """`$(NAME)` replaced by its value when `env` has it; `$$` is a `$`."""
    return _expand(text, env, set())


def referenced(text: str) -> set[str]:
    """The names `text` refers to as `$(NAME)` (escaped `$$(NAME)` is none)."""
    names: set[str] = set()
    _expand(text, {}, names)
    return names


def _expand(text: str, env: Mapping[str, str], names: set[str]) -> str:
    out: list[str] = []
    checkpoint = 0
    cursor = 0
    while cursor < len(text):
        if text[cursor] == "$" and cursor + 1 < len(text):
            out.append(text[checkpoint:cursor])
            rest = text[cursor + 1 :]
            if rest[0] == "$":
                out.append("$")
                advance = 1
            elif rest[0] == "(":
                close = rest.find(")", 1)
                if close == -1:
                    out.append("$(")
                    advance = 1
                else:
                    name = rest[1:close]
                    names.add(name)
                    out.append(env.get(name, f"$({name})"))
                    advance = close + 1
            else:
                out.append("$" + rest[0])
                advance = 1
            cursor += advance
            checkpoint = cursor + 1
        cursor += 1
    return "".join(out) + text[checkpoint:]


@dataclass
class LocalContext:
    """What resolving a pod's env and volumes reads, and what it found missing or
    worth saying (one per localized plan)."""

    objects: LocalObjects
    pod: PodFacts
    host: HostFacts
    resources: dict[str, dict[str, Any]]
    """Container name -> its resources (a resourceFieldRef names one)."""
    missing: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reads_pod_ip: bool = False


@dataclass
class ResolvedEnv:
    values: dict[str, str] = field(default_factory=dict)
    secret: set[str] = field(default_factory=set)
    """Names whose values come from a Secret."""


def resolve_env(
    container: str,
    env_from: list[dict[str, Any]],
    env: list[EnvVar],
    ctx: LocalContext,
) -> ResolvedEnv:
    out = ResolvedEnv()
    for source in env_from:
        prefix = str(source.get("prefix") or "")
        for ref_key, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(ref_key)
            if not ref:
                continue
            name = str(ref.get("name") or "")
            data = ctx.objects.read(kind, name)
            if data is None:
                if not ref.get("optional"):
                    ctx.missing.append(
                        f"container {container!r} envFrom needs {kind} {name!r}: make the "
                        f"folder {ctx.objects.folder(kind, name)} with one file per key"
                    )
                continue
            for key, raw in data.items():
                out.values[prefix + key] = _text(raw)
                if kind == "secret":
                    out.secret.add(prefix + key)
                else:
                    out.secret.discard(prefix + key)
    for var in env:
        if var.value_from is None:
            out.values[var.name] = expand(var.value, out.values)
            # A value built from a secret holds it: never printed either.
            if referenced(var.value) & out.secret:
                out.secret.add(var.name)
            else:
                out.secret.discard(var.name)
            continue
        where = f"container {container!r}: env {var.name!r}"
        resolved = _value_from(where, container, var.value_from, ctx)
        if resolved is None:
            continue
        text, secret = resolved
        out.values[var.name] = text
        if secret:
            out.secret.add(var.name)
        else:
            out.secret.discard(var.name)
    return out


def _value_from(
    where: str, container: str, source: dict[str, Any], ctx: LocalContext
) -> tuple[str, bool] | None:
    try:
        if source.get("fieldRef"):
            path = str(source["fieldRef"].get("fieldPath") or "")
            ctx.reads_pod_ip = ctx.reads_pod_ip or path.startswith("status.podIP")
            return field_value(path, ctx.pod, ctx.host), False
        if source.get("resourceFieldRef"):
            ref = source["resourceFieldRef"]
            named = str(ref.get("containerName") or container)
            if named not in ctx.resources:
                raise FieldError(f"resourceFieldRef names container {named!r}, not in the pod")
            return resource_value(ref, ctx.resources[named], ctx.host), False
    except FieldError as err:
        raise EnvError(f"{where}: {err}") from err
    for ref_key, kind in (("secretKeyRef", "secret"), ("configMapKeyRef", "configMap")):
        ref = source.get(ref_key)
        if not ref:
            continue
        name, key = str(ref.get("name") or ""), str(ref.get("key") or "")
        data = ctx.objects.read(kind, name)
        if data is not None and key in data:
            return _text(data[key]), kind == "secret"
        if not ref.get("optional"):
            ctx.missing.append(
                f"{where} needs key {key!r} of {kind} {name!r}: put it in "
                f"{ctx.objects.folder(kind, name) / key}"
            )
        return None
    kinds = ", ".join(sorted(source)) or "nothing"
    raise EnvError(f"{where}: valueFrom {kinds} cannot be resolved on this machine")


def _text(raw: bytes) -> str:
    # Go turns the bytes into a string as they are; the engine needs valid text.
    return raw.decode("utf-8", errors="replace")

"""Go's decoding rules for configuration: what sigs.k8s.io/yaml + encoding/json make of YAML.

Prow reads config.yaml, job configs and plugins.yaml with sigs.k8s.io/yaml, which
turns the YAML into JSON and hands it to Go's encoding/json. Two of that
library's rules change what a file means, and this module owns both:

- **null is the zero value.** A key with no value (`labels:`) or `null` leaves
  the field at Go's zero value: an empty map or list, "", false, 0, nil. It is
  never an error. Inside a list or map, a null item is the element's zero value.
- **Field names match case-insensitively.** encoding/json prefers the exact name
  but accepts any case (`NAME:` sets `name`); that holds for Prow's own structs
  and for the Kubernetes types inside a job (`spec`, a preset's `env`, ...).
  When a mapping holds several spellings of one field, the one that sorts last
  wins, because sigs.k8s.io/yaml writes the JSON object's keys in sorted order.

`decode(cls, data, where, respelled)` rewrites the parsed YAML of one Prow
struct (a pydantic model of minprow.config or minprow.model) into the data Go
would have decoded, recursing into nested structs and into the Kubernetes types
(`_k8s_fields`, generated from the `kubernetes` client). It copies only what it
changes. Every key it respelled is appended to `respelled`, so `check-config
--strict` can point at the odd spelling. Keys that match no field are left for
the unknown-field checks.

`needs_decoding` is the cheap test that decides whether a document needs the
walk at all: yamlio's loader records, while it builds a document, whether it
saw a null or a key that only matches a known field name case-insensitively.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from minprow.config._k8s_fields import ROOT as K8S_POD_SPEC
from minprow.config._k8s_fields import TYPES as K8S_TYPES


@dataclass(frozen=True, slots=True)
class Respelled:
    """A key written in another case than the field it sets (`NAME` for `name`)."""

    where: str
    """The key's path, e.g. "spec.containers[0].env[2].NAME"."""
    written: str
    field: str


# Fields of Prow structs whose values are Kubernetes types, by model class and
# field name; kinds as in _k8s_fields ("[]T" a list, "{}T" a map, "T" a type).
_K8S_FIELDS: dict[tuple[str, str], str] = {
    ("JobBase", "spec"): K8S_POD_SPEC,
    ("Preset", "env"): "[]V1EnvVar",
    ("Preset", "volumes"): "[]V1Volume",
    ("Preset", "volumeMounts"): "[]V1VolumeMount",
    ("Preset", "tolerations"): "[]V1Toleration",
    ("Resources", "clonerefs"): "V1ResourceRequirements",
    ("Resources", "initupload"): "V1ResourceRequirements",
    ("Resources", "place_entrypoint"): "V1ResourceRequirements",
    ("Resources", "sidecar"): "V1ResourceRequirements",
    ("SchedulingOptions", "affinity"): "V1Affinity",
    ("SchedulingOptions", "tolerations"): "[]V1Toleration",
}


@dataclass(frozen=True, slots=True)
class _Kind:
    """What a field holds, as far as decoding cares."""

    model: type[BaseModel] | None = None
    k8s: str = ""
    """A _k8s_fields kind ("[]V1EnvVar", "V1PodSpec") when the field holds Kubernetes types."""
    list_of: _Kind | None = None
    map_of: _Kind | None = None
    zero: Any = None
    """The zero value of a scalar element (a null list or map item becomes it)."""


_SCALAR = _Kind()


@dataclass(frozen=True, slots=True)
class _Struct:
    fields: dict[str, _Kind]
    """By the name written in YAML (the alias where there is one)."""
    lower: dict[str, str]
    """Lower-cased name -> name."""


def _scalar_zero(annotation: Any) -> Any:
    if annotation is str:
        return ""
    if annotation is bool:
        return False
    if annotation is int:
        return 0
    if annotation is float:
        return 0.0
    return None


def _kind_of(annotation: Any) -> _Kind:
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        args = [a for a in get_args(annotation) if a is not type(None)]
        kinds = [_kind_of(a) for a in args]
        structured = [k for k in kinds if k != _SCALAR and k.zero is None]
        if structured:
            return structured[0]
        return kinds[0] if len(kinds) == 1 else _SCALAR
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _Kind(model=annotation)
    if origin is list:
        (item,) = get_args(annotation) or (Any,)
        return _Kind(list_of=_kind_of(item))
    if origin is dict:
        value = get_args(annotation)[1:] or (Any,)
        return _Kind(map_of=_kind_of(value[0]))
    return _Kind(zero=_scalar_zero(annotation))


def _k8s_field(cls: type[BaseModel], name: str) -> str:
    for base in cls.__mro__:
        kind = _K8S_FIELDS.get((base.__name__, name))
        if kind is not None:
            return kind
    return ""


@cache
def _struct(cls: type[BaseModel]) -> _Struct:
    fields: dict[str, _Kind] = {}
    for name, info in cls.model_fields.items():
        written = info.alias or name
        k8s = _k8s_field(cls, written)
        fields[written] = _Kind(k8s=k8s) if k8s else _kind_of(info.annotation)
    return _Struct(fields, {name.lower(): name for name in fields})


@cache
def _k8s_struct(kind: str) -> _Struct:
    fields = {name: _Kind(k8s=sub) if sub else _SCALAR for name, sub in K8S_TYPES[kind].items()}
    return _Struct(fields, {name.lower(): name for name in fields})


def field_names(models: Iterable[type[BaseModel]]) -> frozenset[str]:
    """Every field name of these models, their nested models and the Kubernetes
    types they hold: the names a key may be a respelling of."""
    names: set[str] = set()
    seen: set[type[BaseModel]] = set()
    todo: list[type[BaseModel]] = list(models)
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        for kind in _struct(cls).fields.values():
            while kind.list_of is not None or kind.map_of is not None:
                kind = kind.list_of or kind.map_of or _SCALAR
            if kind.model is not None:
                todo.append(kind.model)
        names.update(_struct(cls).fields)
    for fields in K8S_TYPES.values():
        names.update(fields)
    return frozenset(names)


def decode(cls: type[BaseModel], data: Any, where: str, respelled: list[Respelled]) -> Any:
    """`data` (one parsed YAML mapping for struct `cls`) as Go would decode it:
    nulls dropped (the field keeps its zero value), keys respelled to the field
    they set. Returns `data` itself when nothing changes."""
    return _mapping(_struct(cls), data, where, respelled)


def lookup(mapping: Any, name: str) -> Any:
    """The value of field `name` in a raw mapping, its key matched as Go's decoder
    does: in any case, and of several spellings the one that sorts last (None if
    `mapping` is not a mapping or has no such key). For the few places that read a
    field before, or instead of, decoding a whole struct."""
    if not isinstance(mapping, dict):
        return None
    found = None
    for key in sorted(mapping, key=str):
        if str(key).lower() == name:
            found = mapping[key]
    return found


def decode_keys(
    data: dict[Any, Any], names: frozenset[str], respelled: list[Respelled]
) -> dict[Any, Any]:
    """A file's top-level mapping with nulls dropped and keys respelled to `names`
    (the sections it may hold); the sections themselves are left as they are."""
    result: dict[Any, Any] = _mapping(_top_level(names), data, "", respelled)
    return result


@cache
def _top_level(names: frozenset[str]) -> _Struct:
    return _Struct(dict.fromkeys(names, _SCALAR), {name.lower(): name for name in names})


def decode_k8s(kind: str, data: Any, where: str, respelled: list[Respelled]) -> Any:
    """Like `decode`, for a Kubernetes kind of _k8s_fields ("V1PodSpec", "[]V1EnvVar")."""
    return _value(_Kind(k8s=kind), data, where, respelled)


def _mapping(struct: _Struct, data: Any, where: str, respelled: list[Respelled]) -> Any:
    if not isinstance(data, dict):
        return data
    fields = struct.fields
    if not data.keys() <= fields.keys():
        return _respelled_mapping(struct, data, where, respelled)
    out: dict[Any, Any] | None = None
    for key, value in data.items():
        if value is None:
            if out is None:
                out = dict(data)
            del out[key]
            continue
        new = _value(fields[key], value, _join(where, key), respelled)
        if new is not value:
            if out is None:
                out = dict(data)
            out[key] = new
    return data if out is None else out


def _respelled_mapping(
    struct: _Struct, data: dict[Any, Any], where: str, respelled: list[Respelled]
) -> dict[Any, Any]:
    """A mapping with keys that are no field's exact name: rebuilt in sorted key
    order, as Go's decoder meets them, so of two spellings of a field the last wins."""
    out: dict[Any, Any] = {}
    for key in sorted(data, key=str):
        name = key
        if key not in struct.fields and isinstance(key, str):
            name = struct.lower.get(key.lower(), key)
            if name != key:
                respelled.append(Respelled(_join(where, key), key, name))
        value = data[key]
        if value is None:
            out.pop(name, None)
            continue
        kind = struct.fields.get(name)
        out[name] = value if kind is None else _value(kind, value, _join(where, name), respelled)
    return out


def _value(kind: _Kind, value: Any, where: str, respelled: list[Respelled]) -> Any:
    if kind.model is not None:
        return _mapping(_struct(kind.model), value, where, respelled)
    if kind.k8s:
        text = kind.k8s
        if text.startswith("[]"):
            return _items(_Kind(k8s=text[2:]), value, where, respelled)
        if text.startswith("{}"):
            return _entries(_Kind(k8s=text[2:]), value, where, respelled)
        return _mapping(_k8s_struct(text), value, where, respelled)
    if kind.list_of is not None:
        return _items(kind.list_of, value, where, respelled)
    if kind.map_of is not None:
        return _entries(kind.map_of, value, where, respelled)
    return value


def _zero(kind: _Kind) -> Any:
    if kind.model is not None or (kind.k8s and not kind.k8s.startswith(("[]", "{}"))):
        return {}
    if kind.list_of is not None or kind.k8s.startswith("[]"):
        return []
    if kind.map_of is not None or kind.k8s.startswith("{}"):
        return {}
    return kind.zero


def _items(kind: _Kind, value: Any, where: str, respelled: list[Respelled]) -> Any:
    if not isinstance(value, list):
        return value
    out: list[Any] | None = None
    for i, item in enumerate(value):
        new = _zero(kind) if item is None else _value(kind, item, f"{where}[{i}]", respelled)
        if new is not item:
            if out is None:
                out = list(value)
            out[i] = new
    return value if out is None else out


def _entries(kind: _Kind, value: Any, where: str, respelled: list[Respelled]) -> Any:
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] | None = None
    for key, item in value.items():
        if item is None:
            # A null map value is the element's zero value: dropped when that is nil.
            new = _zero(kind)
            if new is None:
                if out is None:
                    out = dict(value)
                del out[key]
                continue
        else:
            new = _value(kind, item, _join(where, str(key)), respelled)
        if new is not item:
            if out is None:
                out = dict(value)
            out[key] = new
    return value if out is None else out


def _join(where: str, key: Any) -> str:
    return f"{where}.{key}" if where else str(key)

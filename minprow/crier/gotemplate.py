"""A small, honest subset of Go's text/template, for Prow's report templates.

Prow renders a Slack reporter's `report_template` and plank's
`report_templates` with Go's text/template over the ProwJob. minprow renders
exactly this subset and rejects everything else with `UnsupportedTemplate`
when the template is parsed (callers then fall back, saying so):

| form | meaning |
| --- | --- |
| text outside `{{ }}` | copied as is |
| `{{.}}`, `{{.Spec.Job}}`, `{{ .Status.State }}` | a field chain from dot, Go's field names (`.Spec.Refs.BaseSHA`, `.Status.URL`, `.Name` and the other promoted `ObjectMeta` fields); on a map (`.Labels.foo`) a key, missing → `<no value>` |
| `{{index .Spec.Refs.Pulls 0}}` | `index` of a field chain by integer positions or string keys |
| `{{with PIPELINE}}...{{end}}` | the body with dot set to the value, skipped when it is empty (nil, "", 0, false, empty list or map); PIPELINE is a field chain or an `index` |
| `{{/* ... */}}`, `{{-` and `-}}` | comments and Go's whitespace trimming |

Not supported: `if`, `else`, `range`, `template`, `define`, `block`, pipes
(`|`), variables (`$x`), functions other than `index`, literals other than
`index`'s positions. Values print as Go's `fmt` would for the types a ProwJob
has: strings and enums as text, booleans `true`/`false`, times as
`2006-01-02 15:04:05 +0000 UTC`, lists `[a b]`, maps `map[k:v]`. A missing
string (None) prints as the empty string, as Go's non-pointer string does;
a field of a missing object is an error (Go's "nil pointer evaluating").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel

from minprow.model import ProwJob


class TemplateError(Exception):
    """The template could not be parsed or rendered."""


class UnsupportedTemplate(TemplateError):
    """The template uses Go template syntax outside minprow's subset."""


_ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
_FIELD_CHAIN = re.compile(r"^\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?$")
_PROMOTED = frozenset({"Name", "Namespace", "Labels", "Annotations", "CreationTimestamp"})
"""`ObjectMeta` fields Go promotes to the ProwJob itself."""


@dataclass(frozen=True)
class _Value:
    """A field chain, optionally indexed: `.A.B` or `index .A.B 0 "k"`."""

    path: tuple[str, ...]
    indexes: tuple[int | str, ...] | None = None


@dataclass(frozen=True)
class _With:
    value: _Value
    body: tuple[_Node, ...]


_Node = str | _Value | _With


class Template:
    def __init__(self, text: str) -> None:
        self.text = text
        tokens = _tokenize(text)
        nodes, rest = _parse(tokens, 0)
        if rest != len(tokens):
            raise TemplateError("{{end}} without {{with}}")
        self._nodes = nodes

    def render(self, data: object) -> str:
        return "".join(_render(self._nodes, data))


def _tokenize(text: str) -> list[str | tuple[str]]:
    """Text pieces as str, actions as 1-tuples; trim markers applied."""
    tokens: list[str | tuple[str]] = []
    pos = 0
    trim_next = False
    for match in _ACTION.finditer(text):
        piece = text[pos : match.start()]
        if trim_next:
            piece = piece.lstrip()
        if match.group(1):
            piece = piece.rstrip()
        if piece:
            tokens.append(piece)
        tokens.append((match.group(2).strip(),))
        trim_next = bool(match.group(3))
        pos = match.end()
    piece = text[pos:]
    if trim_next:
        piece = piece.lstrip()
    if "{{" in piece:
        raise TemplateError("unclosed action: '{{' without '}}'")
    if piece:
        tokens.append(piece)
    return tokens


def _parse(tokens: list[str | tuple[str]], start: int) -> tuple[tuple[_Node, ...], int]:
    nodes: list[_Node] = []
    i = start
    while i < len(tokens):
        token = tokens[i]
        if isinstance(token, str):
            nodes.append(token)
            i += 1
            continue
        action = token[0]
        if action.startswith("/*") and action.endswith("*/"):
            i += 1
        elif action == "end":
            return tuple(nodes), i
        elif action.startswith("with ") or action.startswith("with\t"):
            value = _pipeline(action[4:].strip())
            body, end = _parse(tokens, i + 1)
            if end >= len(tokens):
                raise TemplateError("{{with}} without {{end}}")
            nodes.append(_With(value, body))
            i = end + 1
        else:
            nodes.append(_pipeline(action))
            i += 1
    return tuple(nodes), i


def _pipeline(action: str) -> _Value:
    if _FIELD_CHAIN.match(action):
        return _Value(_path(action))
    words = action.split()
    if len(words) >= 3 and words[0] == "index" and _FIELD_CHAIN.match(words[1]):
        return _Value(_path(words[1]), tuple(_index_arg(w, action) for w in words[2:]))
    raise UnsupportedTemplate(
        f"{{{{{action}}}}} is outside the Go template subset minprow renders "
        "(field chains like {{.Spec.Job}}, index, with ... end)"
    )


def _index_arg(word: str, action: str) -> int | str:
    if re.fullmatch(r"-?\d+", word):
        return int(word)
    if len(word) >= 2 and word[0] == word[-1] == '"':
        return word[1:-1]
    raise UnsupportedTemplate(f"{{{{{action}}}}}: index takes integer positions or string keys")


def _path(chain: str) -> tuple[str, ...]:
    return tuple(p for p in chain.split(".") if p)


def _render(nodes: Sequence[_Node], dot: object) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Value):
            out.append(_print(_evaluate(node, dot)))
        else:
            value = _evaluate(node.value, dot)
            if _truthy(value):
                out.extend(_render(node.body, value))
    return out


_MISSING = object()


def _evaluate(value: _Value, dot: object) -> object:
    current = dot
    for i, name in enumerate(value.path):
        if current is None:
            where = "." + ".".join(value.path[:i])
            raise TemplateError(f"nil pointer evaluating {where}.{name}")
        current = _field(current, name)
    for key in value.indexes or ():
        current = _index(current, key)
    return current


def _field(obj: object, name: str) -> object:
    if isinstance(obj, Mapping):
        return obj.get(name, _MISSING)
    if isinstance(obj, BaseModel):
        if isinstance(obj, ProwJob) and name == "ObjectMeta":
            return obj.metadata
        if isinstance(obj, ProwJob) and name in _PROMOTED:
            obj = obj.metadata
        attr = _snake(name)
        if isinstance(obj, BaseModel) and attr in type(obj).model_fields:
            return getattr(obj, attr)
    raise TemplateError(f"can't evaluate field {name} in type {type(obj).__name__}")


def _index(obj: object, key: int | str) -> object:
    if isinstance(obj, Mapping):
        return obj.get(key, _MISSING)
    if isinstance(obj, Sequence) and not isinstance(obj, str) and isinstance(key, int):
        if 0 <= key < len(obj):
            return obj[key]
        raise TemplateError(f"error calling index: index out of range: {key}")
    raise TemplateError(f"error calling index: cannot index {type(obj).__name__} with {key!r}")


def _snake(name: str) -> str:
    # BuildID -> build_id, BaseSHA -> base_sha, URL -> url, PodName -> pod_name.
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def _truthy(value: object) -> bool:
    if value is _MISSING or value is None:
        return False
    if isinstance(value, bool | int | float | str | Sequence | Mapping):
        return bool(value)
    return True


def _print(value: object) -> str:
    if value is _MISSING:
        return "<no value>"
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_print(value[k])}" for k in sorted(value)) + "]"
    if isinstance(value, Sequence):
        return "[" + " ".join(_print(v) for v in value) + "]"
    raise TemplateError(
        f"cannot print a {type(value).__name__}: name one of its fields (minprow's subset)"
    )


def render(text: str, data: Any) -> str:
    """Parse and render in one go."""
    return Template(text).render(data)

"""Selectors and patches of the fake Kubernetes API server (tests/fakekube.py).

The parts of kube-apiserver's request handling that are pure functions over
JSON objects, kept apart so the server module stays about routes and state:

- label selectors as `k8s.io/apimachinery/pkg/labels` parses them (`=`, `==`,
  `!=`, `in (...)`, `notin (...)`, `key`, `!key`; a comma is AND; `!=` and
  `notin` also match objects without the label, as upstream);
- field selectors as `k8s.io/apimachinery/pkg/fields` (`=`, `==`, `!=` over
  the fields a resource supports; an unsupported field is an error);
- patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic
  merge patch, simplified to a merge patch whose lists of named objects
  (`containers`, `env`, `volumes`...) are merged by `name`, which is what the
  strategic patch metadata of those lists says (`patchMergeKey: name`).
  `$patch` directives and other merge keys (`containerPort`) are not modelled.

Errors are `QueryError(code, reason, message)`, turned into Status responses.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


class QueryError(Exception):
    """A request the API server rejects: HTTP `code`, Status `reason`, `message`
    (and the Status's `details`, such as the causes of a 422)."""

    def __init__(
        self, code: int, reason: str, message: str, *, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details or {}


Matcher = Callable[[dict[str, str]], bool]

_SET_TERM = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|!=|=)\s*([A-Za-z0-9._-]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([A-Za-z0-9./_-]+)\s*$")


def _split_terms(selector: str) -> list[str]:
    """Split on the commas that are not inside an `in (...)` value list."""
    terms, depth, start = [], 0, 0
    for i, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            terms.append(selector[start:i])
            start = i + 1
    terms.append(selector[start:])
    return [t for t in terms if t.strip()]


def _label_term(term: str) -> Matcher:
    if found := _SET_TERM.match(term):
        key, op, raw = found.groups()
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if found := _EQ_TERM.match(term):
        key, op, value = found.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: labels.get(key) == value
    if found := _EXISTS_TERM.match(term):
        negated, key = found.groups()
        if negated:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise QueryError(400, "BadRequest", f"unable to parse requirement: {term.strip()!r}")


def label_matcher(selector: str) -> Matcher:
    """A predicate over an object's labels for `labelSelector`; every term must hold."""
    terms = [_label_term(t) for t in _split_terms(selector)]
    return lambda labels: all(term(labels) for term in terms)


def field_matcher(selector: str, fields: Callable[[Obj], dict[str, str]]) -> Callable[[Obj], bool]:
    """A predicate over objects for `fieldSelector`; `fields` gives an object's fields."""
    checks: list[tuple[str, bool, str]] = []
    supported = set(fields({}))
    for term in _split_terms(selector):
        found = _EQ_TERM.match(term)
        if found is None:
            raise QueryError(400, "BadRequest", f"invalid selector: {term.strip()!r}")
        key, op, value = found.groups()
        if key not in supported:
            raise QueryError(400, "BadRequest", f'field label not supported: "{key}"')
        checks.append((key, op != "!=", value))

    def match(obj: Obj) -> bool:
        known = fields(obj)
        return all((known[key] == value) == equal for key, equal, value in checks)

    return match


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge key by key, `null` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """A merge patch whose lists of named objects merge item by item on `name`."""
    if isinstance(patch, list) and isinstance(target, list) and _named(patch) and _named(target):
        merged = [copy.deepcopy(item) for item in target]
        index = {item["name"]: i for i, item in enumerate(merged)}
        for item in patch:
            if item["name"] in index:
                i = index[item["name"]]
                merged[i] = strategic_merge_patch(merged[i], item)
            else:
                merged.append(copy.deepcopy(item))
        return merged
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = strategic_merge_patch(result.get(key), value)
    return result


def _named(items: list[Any]) -> bool:
    return bool(items) and all(isinstance(i, dict) and "name" in i for i in items)


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise QueryError(422, "Invalid", f"invalid JSON pointer: {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    node = doc
    for part in parts[:-1]:
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise QueryError(422, "Invalid", f"path not found: {path}") from None
    return node


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    try:
        return parent[int(parts[-1])] if isinstance(parent, list) else parent[parts[-1]]
    except (KeyError, IndexError, ValueError, TypeError):
        raise QueryError(422, "Invalid", f"path not found: {path}") from None


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    parent = _parent(doc, parts, path)
    try:
        if isinstance(parent, list):
            return parent.pop(int(parts[-1]))
        return parent.pop(parts[-1])
    except (KeyError, IndexError, ValueError, TypeError):
        raise QueryError(422, "Invalid", f"path not found: {path}") from None


def _add(doc: Any, path: str, value: Any, *, replace: bool) -> Any:
    parts = _pointer(path)
    if not parts:
        return copy.deepcopy(value)
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if index > len(parent) or (replace and index >= len(parent)):
            raise QueryError(422, "Invalid", f"index out of range: {path}")
        if replace:
            parent[index] = copy.deepcopy(value)
        else:
            parent.insert(index, copy.deepcopy(value))
    elif isinstance(parent, dict):
        if replace and last not in parent:
            raise QueryError(422, "Invalid", f"replace of a missing path: {path}")
        parent[last] = copy.deepcopy(value)
    else:
        raise QueryError(422, "Invalid", f"path not found: {path}")
    return doc


def json_patch(target: Obj, operations: list[Any]) -> Any:
    """RFC 6902 over a copy of `target`: add, remove, replace, move, copy, test."""
    doc: Any = copy.deepcopy(target)
    for op in operations:
        if not isinstance(op, dict) or "path" not in op:
            raise QueryError(400, "BadRequest", f"invalid JSON patch operation: {op!r}")
        kind, path = op.get("op"), op["path"]
        if kind == "add":
            doc = _add(doc, path, op.get("value"), replace=False)
        elif kind == "replace":
            doc = _add(doc, path, op.get("value"), replace=True)
        elif kind == "remove":
            _remove(doc, path)
        elif kind == "move":
            doc = _add(doc, path, _remove(doc, op["from"]), replace=False)
        elif kind == "copy":
            doc = _add(doc, path, _get(doc, op["from"]), replace=False)
        elif kind == "test":
            if _get(doc, path) != op.get("value"):
                raise QueryError(422, "Invalid", f"testing value {path} failed")
        else:
            raise QueryError(400, "BadRequest", f"unknown JSON patch operation: {kind!r}")
    return doc

"""The label commands in a comment: which labels it asks to add and remove.

Corresponds to the regular expressions and `getLabelsFromREMatches` /
`getLabelsFromGenericMatches` of Prow's pkg/plugins/label/label.go. HTML
comments are dropped first. `/kind bug`, `/area a b`, `/priority ...` and the
other prefixed commands name labels `<prefix>/<word>`, one per word; `/label x`
and `/remove-label x` name one label each, which must be configured
(`additional_labels` or `restricted_labels`) or the command is reported as such.
Labels are lower-cased, as Prow does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

PREFIXES = ("area", "committee", "kind", "language", "priority", "sig", "triage", "wg")
"""Prow's label categories with commands of their own."""

NEEDS_CATEGORIES = ("kind", "priority", "sig", "triage")
"""Categories with a `needs-<category>` label, added back when the last is removed."""

_PREFIX = "|".join(PREFIXES)
_HTML_COMMENT_RE = re.compile(r"<!--(.*?)-->", re.DOTALL)
_ADD_RE = re.compile(rf"^/({_PREFIX})\s*(.*?)\s*$", re.MULTILINE)
_REMOVE_RE = re.compile(rf"^/remove-({_PREFIX})\s*(.*?)\s*$", re.MULTILINE)
_CUSTOM_ADD_RE = re.compile(r"^/label\s*(.*?)\s*$", re.MULTILINE)
_CUSTOM_REMOVE_RE = re.compile(r"^/remove-label\s*(.*?)\s*$", re.MULTILINE)


@dataclass
class Commands:
    """What one comment asks: labels to add and remove, and `/label` commands
    naming a label the config does not allow (quoted as written)."""

    body: str
    """The comment without its HTML comments (what replies quote)."""
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    unconfigured: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.add or self.remove or self.unconfigured)


def _prefixed(matches: list[re.Match[str]]) -> list[str]:
    labels: list[str] = []
    for match in matches:
        for word in match.group(0).strip().split(" ")[1:]:
            labels.append(f"{match.group(1)}/{word.strip()}".lower())
    return labels


def _custom(
    matches: list[re.Match[str]], allowed: Callable[[str], bool], unconfigured: list[str]
) -> list[str]:
    labels: list[str] = []
    for match in matches:
        parts = match.group(0).strip().split(" ")
        if parts[0] not in ("/label", "/remove-label") or len(parts) != 2:
            continue
        if allowed(parts[1].lower()):
            labels.append(parts[1].lower())
        else:
            unconfigured.append(match.group(0))
    return labels


def parse_commands(body: str, allowed: Callable[[str], bool]) -> Commands:
    """The label commands of `body`; `allowed(label)` says whether `/label`
    may name a label."""
    text = _HTML_COMMENT_RE.sub("", body)
    commands = Commands(body=text)
    commands.add = _prefixed(list(_ADD_RE.finditer(text))) + _custom(
        list(_CUSTOM_ADD_RE.finditer(text)), allowed, commands.unconfigured
    )
    commands.remove = _prefixed(list(_REMOVE_RE.finditer(text))) + _custom(
        list(_CUSTOM_REMOVE_RE.finditer(text)), allowed, commands.unconfigured
    )
    return commands


def with_category(labels: list[str], category: str) -> set[str]:
    return {label for label in labels if label.startswith(category + "/")}

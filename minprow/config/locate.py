"""The line of a problem: where in its file the job or field it names is written.

Loading builds plain mappings, without positions, because recording a position
for every node would slow every load. Problems are rare, so their lines are found
afterwards: the file is composed again (libyaml keeps each node's position) and
the problem's job and field path ("spec.containers[0].env[2].NAME") are looked
up in it. A field that is not written (a default, a preset's contribution) gets
the line of the nearest part that is, usually the job itself.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from minprow.config.problems import Problem
from minprow.config.yamlio import maybe_gunzip

_STEP = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")
_JOB_SECTIONS = ("presubmits", "postsubmits", "periodics")


def with_lines(*groups: list[Problem]) -> list[list[Problem]]:
    """Each group of problems, each problem about a job or a field given the line
    where it is written; a file named in several groups is composed once."""
    documents: dict[str, yaml.Node | None] = {}
    return [_located(group, documents) for group in groups]


def _located(problems: list[Problem], documents: dict[str, yaml.Node | None]) -> list[Problem]:
    located = []
    for problem in problems:
        if problem.line is None and problem.file and (problem.job or problem.field):
            if problem.file not in documents:
                documents[problem.file] = _compose(problem.file)
            line = _line(documents[problem.file], problem.job, problem.field)
            if line is not None:
                problem = dataclasses.replace(problem, line=line)
        located.append(problem)
    return located


def _compose(file: str) -> yaml.Node | None:
    try:
        return yaml.compose(maybe_gunzip(Path(file).read_bytes()), Loader=yaml.CSafeLoader)
    except (OSError, EOFError, yaml.YAMLError):
        return None


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of `key` in a mapping node, matched as Go would (any case)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value.lower() == key.lower():
            found = (key_node, value_node)
            if key_node.value == key:
                return found
    return found


def _jobs(root: yaml.Node) -> list[yaml.Node]:
    found: list[yaml.Node] = []
    for section in _JOB_SECTIONS:
        entry = _get(root, section)
        if entry is None:
            continue
        lists = [entry[1]]
        if isinstance(entry[1], yaml.MappingNode):
            lists = [value for _, value in entry[1].value]
        for jobs in lists:
            if isinstance(jobs, yaml.SequenceNode):
                found.extend(jobs.value)
    return found


def _line(root: yaml.Node | None, job: str | None, field: str | None) -> int | None:
    if root is None:
        return None
    node: yaml.Node = root
    line: int | None = None
    if job is not None:
        for candidate in _jobs(root):
            name = _get(candidate, "name")
            if name is not None and getattr(name[1], "value", None) == job:
                node, line = candidate, candidate.start_mark.line + 1
                break
        else:
            return None
    for index, key in _STEP.findall(field or ""):
        if index:
            if not isinstance(node, yaml.SequenceNode) or int(index) >= len(node.value):
                break
            node = node.value[int(index)]
            line = node.start_mark.line + 1
        else:
            entry = _get(node, key)
            if entry is None:
                break
            line = entry[0].start_mark.line + 1
            node = entry[1]
    return line

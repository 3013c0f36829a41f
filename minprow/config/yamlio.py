"""Reading configuration files: YAML documents and the job config directory walk.

Corresponds to Prow's `yamlToConfig`, `ReadFileMaybeGZIP` and the directory walk
of `ReadJobConfig` in pkg/config/config.go. Files are parsed with libyaml
(`yaml.CSafeLoader`), YAML 1.1 like Go's yaml.v2: anchors, aliases and merge keys,
`0555` read as the octal 365, `yes`/`no` as booleans. Only the first document of
a file counts, as in Prow. A gzipped file is read decompressed.

The walk mirrors Prow's: files ending in .yaml or .yml, in lexical order, anything
whose name starts with ".." skipped (Kubernetes ConfigMap mounts keep their
timestamped copies there), paths the `.prowignore` files of the tree ignore
skipped (minprow.config.prowignore, which also says when one stops Prow),
and two files with the same base name are an error.
"""

from __future__ import annotations

import gzip
import os
import pickle
import stat
import threading
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from minprow.config.problems import Problem
from minprow.config.prowignore import ProwIgnore

_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_RESOLVED: dict[str, str] = {}
_RESOLVED_MAX = 200_000


class FastLoader(yaml.CSafeLoader):
    """`yaml.CSafeLoader` with the same results, faster on config files.

    Config files repeat the same plain scalars (keys, `true`, image names) many
    times; the tag a plain scalar resolves to depends only on its text, so it is
    remembered. A scalar tagged as a string is its own text, so it is returned
    without going through the generic constructor dispatch.

    While building, it notes whether the document needs Go's decoding rules
    (minprow.config.gojson) at all: `go_decode` is set when a mapping value or a
    list item is null, or when a key is not one of `field_names` but matches one
    case-insensitively. Checking here costs a set lookup per key; walking every
    document afterwards would cost a good part of the load."""

    field_names: frozenset[str] = frozenset()
    _lower_names: frozenset[str] = frozenset()
    go_decode = False

    @classmethod
    def set_field_names(cls, names: frozenset[str]) -> None:
        """The field names a key may be a respelling of (see `go_decode`)."""
        if names is not cls.field_names:
            cls.field_names = names
            cls._lower_names = frozenset(n.lower() for n in names)

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _RESOLVED.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
                if len(_RESOLVED) >= _RESOLVED_MAX:
                    _RESOLVED.clear()
                _RESOLVED[value] = tag
            return tag
        return super().resolve(kind, value, implicit)  # type: ignore[no-untyped-call]

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        kind = node.__class__
        if kind is yaml.ScalarNode:
            if node.tag == _STR_TAG:
                return node.value
        elif node in self.constructed_objects:
            return self.constructed_objects[node]
        elif kind is yaml.MappingNode and node.tag == _MAP_TAG:
            # Built at once instead of through a generator; aliases share the object
            # and merge keys are flattened exactly as SafeConstructor does.
            mapping: dict[Any, Any] = {}
            self.constructed_objects[node] = mapping
            self.flatten_mapping(node)
            names = self.field_names
            for key_node, value_node in node.value:
                key = self.construct_object(key_node, deep)
                try:
                    value = mapping[key] = self.construct_object(value_node, deep)
                except TypeError as err:
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"found unhashable key ({err})",
                        key_node.start_mark,
                    ) from err
                if value is None or (
                    key not in names and key.__class__ is str and key.lower() in self._lower_names
                ):
                    self.go_decode = True
            return mapping
        elif kind is yaml.SequenceNode and node.tag == _SEQ_TAG:
            sequence: list[Any] = []
            self.constructed_objects[node] = sequence
            sequence.extend(self.construct_object(child, deep) for child in node.value)
            if None in sequence:
                self.go_decode = True
            return sequence
        return super().construct_object(node, deep)


def display_path(path: Path) -> str:
    """A path as problems show it: relative to the working directory when inside it."""
    full = os.path.abspath(path)
    cwd = os.getcwd()
    if full.startswith(cwd + os.sep):
        return full[len(cwd) + 1 :]
    return str(path)


class Parsed(NamedTuple):
    """A file read by `read_yaml`."""

    data: Any
    """Its first YAML document; None when empty or unreadable."""
    problem: Problem | None
    """Why it could not be read or parsed."""
    go_decode: bool = False
    """Whether it holds a null or a respelled field name (see `FastLoader`)."""


def maybe_gunzip(data: bytes) -> bytes:
    """A file's bytes, decompressed when they are gzipped (Prow's `ReadFileMaybeGZIP`).

    Raises OSError or EOFError for a broken gzip stream."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def read_yaml(path: Path, shown: str | None = None) -> Parsed:
    """The first YAML document of `path` (None when empty), or the problem reading it."""
    shown = shown or display_path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        return Parsed(None, Problem(shown, f"cannot read the file: {err.strerror or err}"))
    try:
        data = maybe_gunzip(data)
    except (OSError, EOFError) as err:
        return Parsed(None, Problem(shown, f"cannot decompress the gzipped file: {err}"))
    loader = FastLoader(data)
    try:
        document = loader.get_data() if loader.check_data() else None  # type: ignore[no-untyped-call]
        return Parsed(document, None, loader.go_decode)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(str(part) for part in (err.context, err.problem) if part)
        return Parsed(None, Problem(shown, f"invalid YAML: {what}", line=line))
    except yaml.YAMLError as err:
        return Parsed(None, Problem(shown, f"invalid YAML: {err}"))
    finally:
        loader.dispose()


def read_many(paths: list[Path], *, processes: int = 1) -> list[Parsed]:
    """`read_yaml` of every path, in order; with `processes` > 1, a forked child
    parses the second half of the bytes while this process parses the first.

    Parsing is most of the time of loading a large config (Kubernetes' 600 job
    files), and libyaml holds the GIL, so only a second process makes use of a
    second core. Forking a process that runs other threads is unsafe, so a caller
    with threads gets the plain loop. Should the child fail, its half is parsed
    here."""
    if processes < 2 or len(paths) < 32 or not hasattr(os, "fork") or threading.active_count() > 1:
        return [read_yaml(path) for path in paths]
    split = _half_of_the_bytes(paths)
    theirs = paths[split:]
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        code = 1
        try:
            os.close(reader)
            with os.fdopen(writer, "wb") as out:
                pickle.dump([read_yaml(path) for path in theirs], out, pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)
    mine = [read_yaml(path) for path in paths[:split]]
    try:
        with os.fdopen(reader, "rb") as source:
            received: list[Parsed] = pickle.load(source)
    except (OSError, EOFError, pickle.UnpicklingError):
        received = [read_yaml(path) for path in theirs]
    finally:
        os.waitpid(child, 0)
    return mine + received


def _half_of_the_bytes(paths: list[Path]) -> int:
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)
    half, total = sum(sizes) / 2, 0
    for i, size in enumerate(sizes):
        total += size
        if total >= half:
            return i + 1
    return len(paths)


def job_config_files(root: Path) -> tuple[list[Path], list[Problem]]:
    """The job config files under `root` (a directory or one file), in Prow's order,
    and the problems of the walk (duplicate base names, a `.prowignore` Prow cannot get past)."""
    if not root.is_dir():
        return [root], []
    ignore = ProwIgnore(root)
    files: list[Path] = []
    _walk(root, "", ignore, files)
    problems = [
        Problem(display_path(root / file), why, line=line) for file, line, why in ignore.fatal()
    ]
    seen: set[str] = set()
    kept: list[Path] = []
    for path in files:
        if path.name in seen:
            problems.append(
                Problem(
                    display_path(path),
                    f"duplicated basename is not allowed: {path.name} (Prow's config-updater "
                    "keys job files by base name)",
                )
            )
            continue
        seen.add(path.name)
        kept.append(path)
    return kept, problems


def _walk(directory: Path, prefix: str, ignore: ProwIgnore, out: list[Path]) -> None:
    """Prow's `filepath.Walk` callback: every entry in lexical order, a name starting
    with ".." skipped, the extension checked before the `.prowignore` match (made for
    a directory named *.yaml too, as Prow does), and every directory walked, ignored
    or not: what is inside an ignored one is ignored through it."""
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError:
        return  # Prow logs an unreadable path and goes on
    for entry in entries:
        name = entry.name
        if name.startswith(".."):
            continue
        walk_into = entry.is_dir(follow_symlinks=False)
        if (
            name.endswith((".yaml", ".yml"))
            and not _ignored(entry, prefix + name, ignore)
            and not walk_into
        ):
            out.append(Path(entry.path))
        if walk_into:
            _walk(Path(entry.path), f"{prefix}{name}/", ignore, out)


def _ignored(entry: os.DirEntry[str], rel: str, ignore: ProwIgnore) -> bool:
    """go-gitignore's `Match`: whether a directory is asked of what the path points
    to, and a path it cannot stat (a dangling symlink) is not ignored."""
    if entry.is_symlink():
        try:
            is_dir = stat.S_ISDIR(os.stat(entry.path).st_mode)
        except OSError:
            return False
    else:
        is_dir = entry.is_dir(follow_symlinks=False)
    return ignore.ignores(rel, is_dir)

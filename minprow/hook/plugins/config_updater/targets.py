"""Where config-updater puts files: the protocol, and local directories.

Prow's config-updater only writes ConfigMaps. minprow runs without a cluster
too, so the plugin writes through a `ConfigMapTarget`: ConfigMaps in the
clusters (`kube.py`), or, in the embedded mode, the directories minprow reads
its own configuration from (`LocalConfigMaps`): each ConfigMap name stands for
a directory, as if the ConfigMap were mounted there, and a key is a file in
it. The config agent then reloads what changed, as it does after any edit.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from minprow.hook.plugins.config_updater.changes import ConfigMapID


class ConfigMapError(Exception):
    """A ConfigMap (or its local directory) could not take the update; says why."""


@dataclass(frozen=True)
class KeyContent:
    """One key's new value: the file's bytes at the merge commit, or None to remove it."""

    key: str
    filename: str | None
    content: bytes | None
    gzip: bool = False


@dataclass(frozen=True)
class Applied:
    """What one `apply` did: where (in words), and whether anything changed."""

    where: str
    changed: bool
    details: list[str] = field(default_factory=list)
    """Extra facts for the comment (the local file each key went to)."""


class ConfigMapTarget(Protocol):
    """Applies key updates to one ConfigMap (or what stands for it)."""

    async def apply(
        self, target: ConfigMapID, contents: Sequence[KeyContent], sha: str
    ) -> Applied | None:
        """Apply `contents` at merge commit `sha`; None when this target does not
        keep `target` at all. Raises ConfigMapError when it cannot."""
        ...


class LocalConfigMaps:
    """ConfigMaps as local directories: `dirs` maps a ConfigMap name to one.

    A key is written to the file of that name in the directory, or, when the
    directory has none but a subdirectory has exactly one (job configs kept in
    folders by team), to that one, so a merge never adds a second copy of a
    job. Files are written whole (temp file, then rename) so the config agent
    never reads half of one; gzip is not applied (it is a ConfigMap's size
    measure, and minprow reads these files itself). Clusters and namespaces do
    not matter here: one install, one set of files."""

    def __init__(self, dirs: Mapping[str, Path]) -> None:
        self.dirs = {name: path.absolute() for name, path in dirs.items()}

    async def apply(
        self, target: ConfigMapID, contents: Sequence[KeyContent], sha: str
    ) -> Applied | None:
        directory = self.dirs.get(target.name)
        if directory is None:
            return None
        return await asyncio.to_thread(self._apply, directory, contents)

    def _apply(self, directory: Path, contents: Sequence[KeyContent]) -> Applied:
        changed = False
        details: list[str] = []
        for item in contents:
            path = _file_for(directory, item.key)
            try:
                if item.content is None:
                    if path.exists():
                        path.unlink()
                        changed = True
                        details.append(f"removed `{path}`")
                    continue
                if path.is_file() and path.read_bytes() == item.content:
                    details.append(f"`{path}` from `{item.filename}` (already so)")
                    continue
                _write(path, item.content)
                changed = True
                details.append(f"`{path}` from `{item.filename}`")
            except OSError as err:
                raise ConfigMapError(f"cannot write {path}: {err.strerror or err}") from err
        return Applied(f"directory `{directory}`", changed, details)


def _file_for(directory: Path, key: str) -> Path:
    top = directory / key
    if top.exists() or not directory.is_dir():
        return top
    nested = sorted(p for p in directory.rglob(key) if p.is_file())
    return nested[0] if len(nested) == 1 else top


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temp, path.stat().st_mode & 0o777)
        else:
            os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise

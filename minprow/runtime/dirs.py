"""The directories a command writes into, checked before it starts.

The state directory (the job store, the workspaces) and where artifacts go
(`<state-dir>/artifacts`, `--artifacts-dir`, a job's
`gcs_configuration.local_output_dir`) are made when missing. One that cannot
be used (a file where the directory should be, a parent that is a file, no
permission, a read-only file system) would otherwise fail at the first job and
again at every retry; here it is one error at start, naming the flag or
setting that chose it and what to do.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from minprow.config import Config


def unusable(path: Path, what: str) -> str | None:
    """Why `path` cannot be a directory minprow writes into (made when missing), or None.

    `what` names where the path comes from ("--state-dir"), for the message."""
    fix = "give a directory minprow can write into (it is made when missing)"
    path = path.absolute()
    # "--state-dir /x is ...", "the local_output_dir of job 'j', /x, is ..."
    named = f"{what} {path}" if what.startswith("--") else f"{what}, {path},"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        return f"{named} is a file, not a directory: {fix}"
    except NotADirectoryError:
        blocker = _file_ancestor(path)
        where = f"{blocker} is a file" if blocker else "a parent is not a directory"
        return f"{named} cannot be made: {where}: {fix}"
    except PermissionError:
        return f"{named} cannot be made: permission denied: {fix}"
    except OSError as err:
        return f"{named} cannot be made: {err.strerror or err}: {fix}"
    try:
        handle, probe = tempfile.mkstemp(prefix=".minprow-write-test-", dir=path)
    except OSError as err:
        return f"{named} is not writable ({err.strerror or err}): {fix}"
    os.close(handle)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None


def _file_ancestor(path: Path) -> Path | None:
    for parent in path.absolute().parents:
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def problems(dirs: Iterable[tuple[Path, str]]) -> list[str]:
    """`unusable` for each (path, what), each path once."""
    found: list[str] = []
    seen: set[Path] = set()
    for path, what in dirs:
        key = path.absolute()
        if key in seen:
            continue
        seen.add(key)
        problem = unusable(path, what)
        if problem is not None:
            found.append(problem)
    return found


def local_output_dirs(config: Config) -> list[tuple[Path, str]]:
    """Every `gcs_configuration.local_output_dir` a job's decoration names, with the
    first job naming it (jobs' settings are merged over plank's defaults at load)."""
    jobs = [*config.all_presubmits(), *config.all_postsubmits(), *config.periodics]
    found: dict[str, str] = {}
    for job in jobs:
        gcs = job.decoration_config.gcs_configuration if job.decoration_config else None
        if gcs is not None and gcs.local_output_dir and gcs.local_output_dir not in found:
            found[gcs.local_output_dir] = job.name
    return [
        (Path(directory), f"the gcs_configuration.local_output_dir of job {name!r}")
        for directory, name in found.items()
    ]

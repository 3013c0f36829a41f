"""Per-job workspaces of the docker and host executors, and decoration around them.

A decorated job's checkout (`code`, Prow's `/home/prow/go`) and logs (`logs`,
Prow's `/logs`) live in `<workspaces_dir>/<prowjob>` on this machine. Prow runs
clonerefs as an init container: when a clone fails, the pod fails before the
test container starts and the job is a failure whose build log is the clone
log (pkg/initupload/run.go). Here the clone runs in minprow
(`podutils.decorate.prepare`), and its failure is written into the workspace
(`clone-failed.json`, and the clone log as `build-log.txt`), so the executor
reports the job FAILED with "clone failed: ..." even after minprow restarts.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
from datetime import datetime
from functools import partial
from pathlib import Path

from minprow.executors.base import ExecutorError, Observation, Phase, StartError
from minprow.model import ProwJob, ProwJobState
from minprow.podutils import decorate
from minprow.podutils.clonerefs import CloneError, format_records
from minprow.podutils.decorate import Workspace
from minprow.podutils.metadata import ABORTED_EXIT_CODE
from minprow.podutils.render import RunPlan

log = logging.getLogger("minprow.executors")

CLONE_FAILED = "clone-failed.json"
"""In a workspace's root (outside what the job sees): why its clone failed, and when."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def workspace_for(workspaces_dir: Path, prowjob: str) -> Workspace:
    """The workspace of `prowjob`; StartError for a name that is not a directory name."""
    if not _NAME.fullmatch(prowjob):
        raise StartError(f"ProwJob name {prowjob!r} cannot name a workspace directory")
    return Workspace(workspaces_dir / prowjob)


def workspace_names(workspaces_dir: Path) -> list[str]:
    """The ProwJob names that have a workspace."""
    try:
        entries = list(os.scandir(workspaces_dir))
    except FileNotFoundError:
        return []
    return sorted(e.name for e in entries if e.is_dir() and _NAME.fullmatch(e.name))


def make_dirs(workspace: Workspace, *, any_user: bool = False) -> None:
    """A fresh workspace: `code`, `logs` and `logs/artifacts`; with `any_user`,
    writable by any user (as Kubernetes' emptyDir volumes are), for a container
    that runs as a user of its image's own."""
    remove_tree(workspace.root)
    for directory in (workspace.code, workspace.logs, workspace.artifacts):
        directory.mkdir(parents=True, exist_ok=True)
        if any_user:
            directory.chmod(0o777)


def open_to_all(workspace: Workspace) -> None:
    """Everything in the workspace readable and writable by any user (directories
    searchable): for a job whose container runs as a uid other than minprow's."""
    for top in (workspace.code, workspace.logs):
        if not top.is_dir():
            continue
        for directory, dirs, files in os.walk(top):
            os.chmod(directory, 0o777)
            for name in files:
                path = os.path.join(directory, name)
                if not os.path.islink(path):
                    mode = os.stat(path).st_mode
                    os.chmod(path, mode | 0o666 | (0o111 if mode & 0o100 else 0))
            dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(directory, d))]


async def prepare(
    job: ProwJob,
    plan: RunPlan,
    workspace: Workspace,
    *,
    now: datetime,
    default_dir: Path,
    any_user: bool = False,
) -> Observation | None:
    """Clone the plan's refs and write started.json into a fresh workspace
    (made by `make_dirs`).

    Returns the FAILED observation when the clone failed (recorded durably);
    raises ExecutorError when something else failed (an upload: retry later)."""
    await asyncio.to_thread(partial(make_dirs, workspace, any_user=any_user))
    try:
        await asyncio.to_thread(
            decorate.prepare, job, plan, workspace, now=now, default_dir=default_dir
        )
    except CloneError as err:
        await asyncio.to_thread(record_clone_failure, workspace, err, now)
        failed = clone_failure(workspace)
        assert failed is not None
        return failed
    except Exception as err:  # uploads, disk: the library's errors vary; all mean "not now"
        await asyncio.to_thread(remove_tree, workspace.root)
        raise ExecutorError(f"cannot prepare the workspace of {plan.prowjob}: {err}") from err
    return None


def record_clone_failure(workspace: Workspace, err: CloneError, now: datetime) -> None:
    # The clone log becomes the build log, as initupload uploads it.
    text = format_records(err.records) or f"{err}\n"
    workspace.build_log.parent.mkdir(parents=True, exist_ok=True)
    workspace.build_log.write_text(text)
    data = {"reason": f"clone failed: {err}", "finished_at": now.isoformat()}
    _write_atomic(workspace.root / CLONE_FAILED, json.dumps(data))


def clone_failure(workspace: Workspace) -> Observation | None:
    """The FAILED observation of a job whose clone failed, or None."""
    try:
        data = json.loads((workspace.root / CLONE_FAILED).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        return Observation(Phase.FAILED, reason=f"clone failed (unreadable record: {err})")
    finished = datetime.fromisoformat(data["finished_at"])
    return Observation(
        Phase.FAILED, reason=str(data["reason"]), started_at=finished, finished_at=finished
    )


async def finish(
    job: ProwJob,
    plan: RunPlan,
    workspace: Workspace,
    *,
    exit_code: int | None,
    now: datetime,
    default_dir: Path,
) -> None:
    """Upload the build log, artifacts, prowjob.json and finished.json; ExecutorError
    when that fails (plank retries until its collect deadline).

    An aborted job's exit code is Prow's entrypoint's for an abort (130), so its
    finished.json says ABORTED as Prow's does."""
    if job.status.state is ProwJobState.ABORTED:
        exit_code = ABORTED_EXIT_CODE
    try:
        await asyncio.to_thread(
            decorate.finish,
            job,
            plan,
            workspace,
            exit_code=exit_code,
            now=now,
            default_dir=default_dir,
        )
    except Exception as err:  # uploads, disk: the library's errors vary; all mean "not now"
        raise ExecutorError(f"cannot upload the logs of {plan.prowjob}: {err}") from err


def remove_tree(path: Path) -> None:
    """Remove `path` and everything under it; what cannot be removed is logged."""

    def report(function: object, name: str, exc_info: object) -> None:
        log.warning("cannot remove %s: %s", name, exc_info)

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=report)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


async def finish_observed(
    job: ProwJob,
    plan: RunPlan,
    workspace: Workspace,
    observed: Observation,
    *,
    now: datetime,
    default_dir: Path,
) -> None:
    """`finish` with what the executor observed: its exit code once final, its end time."""
    await finish(
        job,
        plan,
        workspace,
        exit_code=observed.exit_code if observed.phase.is_final else None,
        now=observed.finished_at or now,
        default_dir=default_dir,
    )

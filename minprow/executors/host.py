"""The host executor: a ProwJob's test container as a plain process on this machine.

The fallback for machines with no container engine. A process stands in for
the pod that Prow's plank would create (pkg/plank/reconciler.go), and minprow
does what Prow's entrypoint does around the test process (pkg/entrypoint/run.go):
run it with its env, send its output to the build log, record its exit code in
a marker file, and stop it with SIGTERM, then SIGKILL after the grace period.

- **The image is ignored**, and said so loudly: one WARNING per job started.
- **One workspace per job**, `<workspaces_dir>/<prowjob>`: the plan's container
  paths (`/home/prow/go`, `/logs`) are moved onto its `code` and `logs` by
  `RunPlan.relocated`, so `$GOPATH`, `$ARTIFACTS` and the working directory
  point into it; decorated jobs are cloned there; `--local` checkouts are
  symlinked at their place.
- **The process** is the test container's argv (command then args; with no
  image entrypoint to fall back on, an empty argv is a StartError), run in its
  working directory (created if missing) with the plan's env over a minimal
  inherited one (`PATH`, `HOME`, `LANG`, ...), in a new session: it survives a
  restart of minprow and is signalled as a process group. Its stdout and stderr
  go to `logs/build-log.txt`. When it ends, whatever it left running in its
  group is killed, as the end of a container's first process ends the others.
- **Durable state**: a `sh` wrapper writes the exit code to `exit-code` when the
  process ends, and `process.json` holds the pid (and its start time, against
  a reused pid). After a restart, `observe` still knows: a live process is
  RUNNING, an exit code decides SUCCEEDED or FAILED, neither is FAILED
  ("process vanished").
- **What the kubelet resolves** is resolved as for the docker executor
  (`podutils.localpod.localize`): env `valueFrom` and `envFrom` from the local
  Secret and ConfigMap folders, and a job missing one does not start. Volumes
  are not mounted and security contexts not applied: each is logged once.
- **Several containers** are a StartError: there is no pod here to give them a
  shared network namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from minprow.aio import Clock
from minprow.executors import _workspaces as workspaces
from minprow.executors._localize import local_plan
from minprow.executors.base import ExecutorError, Managed, Observation, Phase, StartError
from minprow.model import ProwJob
from minprow.podutils.decorate import Workspace
from minprow.podutils.downward import HostFacts
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.render import RunPlan

log = logging.getLogger("minprow.executors.host")

EXIT_CODE = "exit-code"
PROCESS = "process.json"
INHERITED_ENV = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR")
"""What a job's process keeps of minprow's own environment; the plan's env goes on top."""
KILLED = 128 + signal.SIGKILL
"""The exit code of a process SIGKILLed with its wrapper (which then could not write one)."""
_POLL = 0.02
_WRAPPER = """
exit_file=$1
shift
trap : HUP INT TERM
"$@"
code=$?
printf '%s\\n' "$code" > "$exit_file.partial" && mv -f "$exit_file.partial" "$exit_file"
kill -9 0
"""
# `trap :` keeps the wrapper alive while its child handles SIGTERM (a trapped
# signal is reset to its default in the child); `kill -9 0` ends the group.


@dataclass(frozen=True)
class _Process:
    pid: int
    start_ticks: str | None
    started_at: datetime | None


class HostExecutor:
    """Runs ProwJobs as process groups on this machine (see the module docstring)."""

    name = "host"
    workload = "process"
    decoration_timeout_in_job = False
    """minprow stops the process at the decoration timeout (plank asks it to)."""

    def unavailable(self) -> str | None:
        return None  # an engine that fails says so when called

    def __init__(
        self,
        workspaces_dir: Path,
        artifacts_dir: Path,
        clock: Clock,
        *,
        objects: LocalObjects | None = None,
        host: HostFacts | None = None,
    ) -> None:
        self._workspaces = Path(workspaces_dir).absolute()
        self._objects = objects or LocalObjects()
        self._host = host
        self._artifacts = Path(artifacts_dir).absolute()
        self._clock = clock
        self._children: dict[str, subprocess.Popen[bytes]] = {}
        self._preparing: set[str] = set()
        self._locks: dict[str, asyncio.Lock] = {}

    async def start(self, job: ProwJob, plan: RunPlan) -> None:
        if len(plan.containers) != 1:
            raise StartError(
                f"the host executor runs one container, and ProwJob {plan.prowjob} has "
                f"{len(plan.containers)}: it needs a container engine"
            )
        plan = local_plan(plan, self._objects, self._host, container=False)
        spec = plan.test_container
        if not spec.argv:
            raise StartError(
                f"container {spec.name} has no command or args: the host executor has no "
                f"image entrypoint to fall back to (image {spec.image})"
            )
        workspace = workspaces.workspace_for(self._workspaces, plan.prowjob)
        async with self._locks.setdefault(plan.prowjob, asyncio.Lock()):
            if _started(workspace):
                return
            log.warning(
                "ProwJob %s (%s): the host executor IGNORES the image `%s` and runs %s "
                "as a plain process on this machine",
                plan.prowjob,
                plan.job,
                spec.image,
                spec.argv[0],
            )
            if plan.decorated:
                self._preparing.add(plan.prowjob)
                try:
                    failed = await workspaces.prepare(
                        job, plan, workspace, now=self._clock.now(), default_dir=self._artifacts
                    )
                finally:
                    self._preparing.discard(plan.prowjob)
                if failed is not None:
                    log.info("ProwJob %s: %s", plan.prowjob, failed.reason)
                    return
            else:
                await asyncio.to_thread(workspaces.make_dirs, workspace)
            self._spawn(plan, workspace)

    async def observe(self, prowjob: str) -> Observation:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        failed = workspaces.clone_failure(workspace)
        if failed is not None:
            return failed
        process = _read_process(workspace)
        ended = self._ended(prowjob, workspace, process)
        if ended is not None:
            return ended
        if process is None:
            preparing = prowjob in self._preparing
            return Observation(Phase.PENDING if preparing else Phase.MISSING)
        return Observation(Phase.RUNNING, started_at=process.started_at)

    async def logs(self, prowjob: str, *, follow: bool = False) -> AsyncIterator[bytes]:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        try:
            reader = workspace.build_log.open("rb")
        except FileNotFoundError:
            return
        with reader:
            while True:
                chunk = reader.read(65536)
                if chunk:
                    yield chunk
                    continue
                if not follow or (await self.observe(prowjob)).phase is not Phase.RUNNING:
                    rest = reader.read()  # what it wrote before it ended
                    if rest:
                        yield rest
                    return
                await asyncio.sleep(_POLL)

    async def abort(self, prowjob: str, grace_period: timedelta) -> None:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        process = _read_process(workspace)
        if process is None or not self._alive(prowjob, process):
            return
        _signal_group(process.pid, signal.SIGTERM)
        if not await self._gone(prowjob, process, grace_period.total_seconds()):
            _signal_group(process.pid, signal.SIGKILL)
            await self._gone(prowjob, process, 5)
        _signal_group(process.pid, signal.SIGKILL)  # what it left behind
        if _exit_code(workspace) is None:
            _write_exit_code(workspace, KILLED)

    async def collect(self, job: ProwJob, plan: RunPlan) -> None:
        if not plan.decorated:
            return
        workspace = workspaces.workspace_for(self._workspaces, plan.prowjob)
        if not workspace.root.is_dir():
            return  # it never ran here: nothing to collect
        observed = await self.observe(plan.prowjob)
        await workspaces.finish_observed(
            job, plan, workspace, observed, now=self._clock.now(), default_dir=self._artifacts
        )

    async def cleanup(self, prowjob: str) -> None:
        workspace = workspaces.workspace_for(self._workspaces, prowjob)
        process = _read_process(workspace)
        if process is not None and self._alive(prowjob, process):
            _signal_group(process.pid, signal.SIGKILL)
        child = self._children.pop(prowjob, None)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(child.wait, 5)
        await asyncio.to_thread(workspaces.remove_tree, workspace.root)
        lock = self._locks.get(prowjob)
        if lock is not None and not lock.locked():
            del self._locks[prowjob]

    async def list_managed(self) -> list[Managed]:
        found: list[Managed] = []
        for name in await asyncio.to_thread(workspaces.workspace_names, self._workspaces):
            observed = await self.observe(name)
            if observed.phase is Phase.MISSING:
                # What a crash mid-start left: nothing runs, the workspace stays.
                root = workspaces.workspace_for(self._workspaces, name).root
                found.append(Managed(name, Phase.FAILED, _mtime(root)))
            else:
                found.append(Managed(name, observed.phase, observed.finished_at))
        return found

    # processes

    def _spawn(self, plan: RunPlan, workspace: Workspace) -> None:
        local = plan.relocated(str(workspace.code), str(workspace.logs))
        spec = local.test_container
        for target, host_dir in local.local_checkouts.items():
            link = Path(target)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(Path(host_dir).absolute(), target_is_directory=True)
        workdir = Path(spec.working_dir) if spec.working_dir else workspace.code
        if not workdir.is_absolute():
            raise StartError(f"the working directory {workdir} is not an absolute path")
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StartError(f"the working directory {workdir} cannot be made: {err}") from err
        env = {key: os.environ[key] for key in INHERITED_ENV if key in os.environ}
        env.update(spec.env)
        argv = ["/bin/sh", "-c", _WRAPPER, "minprow-host", str(workspace.root / EXIT_CODE)]
        try:
            with workspace.build_log.open("ab") as out:
                child = subprocess.Popen(
                    [*argv, *spec.argv],
                    cwd=workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        except OSError as err:
            raise ExecutorError(f"cannot run {spec.argv[0]}: {err}") from err
        self._children[plan.prowjob] = child
        record = {
            "pid": child.pid,
            "start_ticks": _start_ticks(child.pid),
            "started_at": self._clock.now().isoformat(),
        }
        _write_atomic(workspace.root / PROCESS, json.dumps(record))

    async def _gone(self, prowjob: str, process: _Process, seconds: float) -> bool:
        """Wait up to `seconds` for the process to end; whether it did."""
        deadline = asyncio.get_running_loop().time() + seconds
        while True:
            if not self._alive(prowjob, process):
                return True
            if asyncio.get_running_loop().time() >= deadline:
                return False
            await asyncio.sleep(_POLL)

    def _alive(self, prowjob: str, process: _Process) -> bool:
        child = self._children.get(prowjob)
        if child is not None and child.pid == process.pid:
            return child.poll() is None  # reaps it: our own child is never a zombie
        try:
            os.kill(process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return False  # another user's process: the pid was reused
        stat = _stat(process.pid)
        if stat is None:
            return True  # no /proc here: the pid is all there is to go by
        state, ticks = stat
        return state != "Z" and (process.start_ticks is None or ticks == process.start_ticks)

    def _ended(
        self, prowjob: str, workspace: Workspace, process: _Process | None
    ) -> Observation | None:
        started = process.started_at if process else None
        for _ in range(2):
            code = _exit_code(workspace)
            if code is not None:
                phase = Phase.SUCCEEDED if code == 0 else Phase.FAILED
                finished = _mtime(workspace.root / EXIT_CODE)
                return Observation(phase, code, "", started, finished)
            if process is None or self._alive(prowjob, process):
                return None
            # Gone: look once more, it may have written its exit code as it ended.
        return Observation(Phase.FAILED, reason="process vanished", started_at=started)


def _started(workspace: Workspace) -> bool:
    root = workspace.root
    return any((root / name).exists() for name in (PROCESS, EXIT_CODE, workspaces.CLONE_FAILED))


def _read_process(workspace: Workspace) -> _Process | None:
    try:
        data = json.loads((workspace.root / PROCESS).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        raise ExecutorError(f"unreadable {workspace.root / PROCESS}: {err}") from err
    started = data.get("started_at")
    return _Process(
        int(data["pid"]),
        data.get("start_ticks"),
        datetime.fromisoformat(started) if started else None,
    )


def _exit_code(workspace: Workspace) -> int | None:
    try:
        return int((workspace.root / EXIT_CODE).read_text().strip())
    except FileNotFoundError:
        return None
    except ValueError:
        return KILLED  # a torn write cannot happen (rename), but a hand-edited file can


def _write_exit_code(workspace: Workspace, code: int) -> None:
    _write_atomic(workspace.root / EXIT_CODE, f"{code}\n")


def _write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _stat(pid: int) -> tuple[str, str] | None:
    """A process's state letter and start time (clock ticks since boot), from /proc."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def _start_ticks(pid: int) -> str | None:
    stat = _stat(pid)
    return stat[1] if stat else None


def _mtime(path: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        return None

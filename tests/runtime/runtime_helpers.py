"""Helpers of the runtime tests: a `minprow up` child process whose log can be awaited.

Imported as `from runtime_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import git

from tests.conftest import free_port


class UpProcess:
    """A `minprow up` (or `serve`) child process whose log lines can be awaited, in order.

    A thread reads its stderr, so a wait ends at its limit even when the process
    logs nothing; `wait_for` finds the next line after the previous match."""

    def __init__(
        self,
        cwd: Path,
        state_dir: Path | None,
        *args: str,
        command: str = "up",
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """`state_dir` None: the project's default (runtime/defaults.py)."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.port = port or free_port()
        where = ["--state-dir", str(state_dir)] if state_dir is not None else []
        argv = [command, *where, "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "minprow", *argv],
            cwd=cwd,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._cursor = 0
        self._incoming: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._incoming.put(line)
        self._incoming.put(None)

    def wait_for(self, text: str, limit: float = 60) -> str:
        deadline = time.monotonic() + limit
        while True:
            while self._cursor < len(self.lines):
                line = self.lines[self._cursor]
                self._cursor += 1
                if text in line:
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                line = self._incoming.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        raise AssertionError(f"{text!r} never logged; got:\n{''.join(self.lines)}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


def run_job(cwd: Path, *args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`minprow run ARGS` in `cwd`, to its end."""
    return subprocess.run(
        [sys.executable, "-m", "minprow", "run", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def make_remote(tmp_path: Path) -> tuple[Path, str, str]:
    """A bare repository with `main` and pull request 7 (`refs/pull/7/head`)."""
    work = git.Repo.init(tmp_path / "work", initial_branch="main")
    with work.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    (tmp_path / "work" / "README.md").write_text("hello\n")
    work.index.add(["README.md"])
    base = work.index.commit("base").hexsha
    work.git.checkout("-b", "feature")
    (tmp_path / "work" / "feature.txt").write_text("from the pull request\n")
    work.index.add(["feature.txt"])
    head = work.index.commit("feature").hexsha
    bare = git.Repo.init(tmp_path / "remote.git", bare=True)
    work.git.push(str(bare.working_dir), "main:refs/heads/main", "feature:refs/pull/7/head")
    bare.git.symbolic_ref("HEAD", "refs/heads/main")
    return tmp_path / "remote.git", base, head


class SilentRemote:
    """A git remote that takes connections and never answers: a clone in flight for good."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/acme/widgets.git"

    def close(self) -> None:
        self.sock.close()  # the connections it held are reset: the clones end


E2E_CONFIG = Path(__file__).resolve().parents[2] / "fixtures" / "e2e" / "config.yaml"


def hello_project(root: Path) -> Path:
    """A project directory under `root`: the e2e config.yaml and one hourly periodic
    `hello` (run at once) for the host executor."""
    import shutil

    import yaml

    workdir = root / "project"
    workdir.mkdir()
    shutil.copy(E2E_CONFIG, workdir / "config.yaml")
    hello = {
        "name": "hello",
        "interval": "1h",
        "spec": {"containers": [{"image": "busybox", "command": ["echo", "hello"]}]},
    }
    (workdir / "jobs").mkdir()
    (workdir / "jobs" / "jobs.yaml").write_text(yaml.safe_dump({"periodics": [hello]}))
    return workdir


def up_in_project(project: Path, state_home: Path) -> UpProcess:
    """`minprow up` in `project` on its default (per-project) state directory under
    `state_home` ($XDG_STATE_HOME), with jobs as host processes."""
    return UpProcess(
        project,
        None,
        "--no-tui",
        "--no-kind",
        "--executor",
        "host",
        env={"XDG_STATE_HOME": str(state_home)},
    )

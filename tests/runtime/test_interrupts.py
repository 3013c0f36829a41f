"""No minprow command spins or ignores signals (issue 15), driven as a user would.

A state or artifacts directory that cannot be written into is an error at
start; a failure that repeats is logged once, not once per attempt; the first
Ctrl-C (or SIGTERM) stops a command the way it should and a second ends it at
once, whatever is in flight: uploads that keep failing under `minprow run`, a
clone whose remote never answers under `up` and `serve`. Real subprocesses, the
real Docker engine, real git.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import git
import pytest
from runtime_helpers import SilentRemote, UpProcess, run_job

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "run" / "interrupts"
E2E_CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"
"""Artifacts in ./artifacts (`local_output_dir`), a 2 s grace period."""
CONFIG = FIXTURES / "config.yaml"
"""The same without `local_output_dir`: artifacts where `--artifacts-dir` says."""
JOBS = FIXTURES / "jobs.yaml"
INT, TERM = signal.SIGINT, signal.SIGTERM


def _tree(tmp_path: Path) -> Path:
    """A working tree with one commit, for `minprow run --local`."""
    tree = git.Repo.init(tmp_path / "tree", initial_branch="main")
    with tree.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    tree.index.commit("a commit")
    return tmp_path / "tree"


def _hmac(tmp_path: Path) -> str:
    """A webhook secret for `serve`."""
    path = tmp_path / "hmac-secret"
    path.write_text("a-test-secret\n")
    return str(path)


def _file(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a file where a directory should be\n")
    return path


@pytest.mark.parametrize(
    ("blocked", "flags", "expected"),
    [
        ("state", ["--state-dir", "state"], "--state-dir {tmp}/state is a file, not a directory"),
        ("state", ["--state-dir", "state/sub"], "cannot be made: {tmp}/state is a file"),
        (
            "artifacts",
            ["--state-dir", "state", "--config-path", E2E_CONFIG],
            "the job's gcs_configuration.local_output_dir, {tmp}/artifacts, is a file",
        ),
        (
            "out",
            ["--state-dir", "state", "--artifacts-dir", "out/run"],
            "--artifacts-dir {tmp}/out/run cannot be made: {tmp}/out is a file",
        ),
    ],
    ids=["state-dir-a-file", "state-dir-under-a-file", "local-output-dir", "artifacts-dir"],
)
def test_run_with_a_directory_it_cannot_use_stops_before_it_starts(
    tmp_path: Path, blocked: str, flags: list[str | Path], expected: str
) -> None:
    _file(tmp_path / blocked)
    config = [] if E2E_CONFIG in flags else ["--config-path", CONFIG]
    done = run_job(
        tmp_path, "pull-widgets-sleep", *config, "--job-config-path", JOBS,
        "--local", _tree(tmp_path), *flags, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert expected.format(tmp=tmp_path) in done.stderr
    assert "give a directory minprow can write into" in done.stderr
    assert "Traceback" not in done.stderr
    assert "as ProwJob" not in done.stderr  # nothing started


@pytest.mark.parametrize(
    ("command", "blocked", "expected"),
    [
        ("up", "state", "--state-dir {tmp}/state is a file, not a directory"),
        ("up", "state/artifacts", "the artifacts directory, {tmp}/state/artifacts, is a file"),
        ("up", "artifacts", "local_output_dir of job 'pull-widgets-sleep', {tmp}/artifacts, is"),
        ("serve", "state", "--state-dir {tmp}/state is a file, not a directory"),
    ],
    ids=["up-state-dir", "up-artifacts", "up-local-output-dir", "serve-state-dir"],
)
def test_up_and_serve_with_a_directory_they_cannot_use_stop_at_start(
    tmp_path: Path, command: str, blocked: str, expected: str
) -> None:
    _file(tmp_path / blocked)
    extra = (
        ["--no-tui", "--no-kind"] if command == "up" else ["--hmac-secret-file", _hmac(tmp_path)]
    )
    done = subprocess.run(
        [
            sys.executable, "-m", "minprow", command, "--state-dir", str(tmp_path / "state"),
            "--config-path", str(E2E_CONFIG), "--job-config-path", str(JOBS),
            "--executor", "host", "--port", "0", *extra,
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert expected.format(tmp=tmp_path) in done.stderr
    assert "Traceback" not in done.stderr
    assert "minprow is up" not in done.stderr


@pytest.fixture
def containers(docker_client: docker.DockerClient) -> Iterator[None]:
    """Removes what a test's `minprow run` leaves (a forced exit leaves the container)."""
    yield
    for container in docker_client.containers.list(
        all=True, filters={"label": "minprow.io/managed=true"}
    ):
        if "pull-widgets-sleep" in str(container.labels.get("prow.k8s.io/job", "")):
            container.remove(force=True)


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [(INT, INT, 130), (INT, TERM, 143), (TERM, TERM, 143)],
    ids=["ctrl-c-twice", "ctrl-c-then-sigterm", "sigterm-twice"],
)
def test_a_run_whose_uploads_keep_failing_logs_once_and_ends_at_a_second_signal(
    busybox_image: str,
    containers: None,
    tmp_path: Path,
    first: signal.Signals,
    second: signal.Signals,
    code: int,
) -> None:
    """Issue 15's run: its uploads failed 36,000 times in 10 minutes, and after
    Ctrl-C it ignored a second Ctrl-C and SIGTERM. Here its artifacts directory
    becomes a file while the job runs, so collecting its logs keeps failing."""
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "minprow", "run", "pull-widgets-sleep",
            "--config-path", str(E2E_CONFIG), "--job-config-path", str(JOBS),
            "--local", str(_tree(tmp_path)), "--state-dir", str(tmp_path / "state"),
            "--executor", "docker",
        ],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "started\n"
        artifacts = tmp_path / "artifacts"
        assert (artifacts / "pr-logs" / "pull" / "acme_widgets" / "local").is_dir()
        subprocess.run(["rm", "-rf", str(artifacts)], check=True)
        _file(artifacts)
        proc.send_signal(first)
        time.sleep(4)  # the abort (2 s grace), then several failed uploads
        assert proc.poll() is None
        proc.send_signal(second)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert time.monotonic() - sent < 5
    assert proc.returncode == code, err
    lines = err.splitlines()
    assert len(lines) < 10, err
    failed = [line for line in lines if "cannot collect its logs and artifacts yet" in line]
    assert len(failed) == 1, err
    assert "Not a directory" in failed[0]
    assert "pr=local" in failed[0]
    assert f"{second.name} while stopping: exiting now" in err
    assert "docker rm -f" in err  # what it leaves behind, and how to remove it
    assert "(presubmit of acme/widgets, local working tree at" in lines[0]
    assert "PR 0" not in err
    assert "Traceback" not in err


@pytest.fixture
def silent_remote() -> Iterator[SilentRemote]:
    remote = SilentRemote()
    try:
        yield remote
    finally:
        remote.close()


@pytest.mark.parametrize(
    ("command", "second", "code"),
    [("up", INT, 130), ("serve", TERM, 143)],
    ids=["up-ctrl-c-twice", "serve-ctrl-c-then-sigterm"],
)
def test_up_and_serve_end_at_a_second_signal_while_a_clone_hangs(
    tmp_path: Path,
    silent_remote: SilentRemote,
    command: str,
    second: signal.Signals,
    code: int,
) -> None:
    jobs = tmp_path / "jobs.yaml"
    template = (FIXTURES / "clone-hangs.yaml").read_text()
    jobs.write_text(template.replace("CLONE_URI", silent_remote.url))
    extra = (
        ["--no-tui", "--no-kind"] if command == "up" else ["--hmac-secret-file", _hmac(tmp_path)]
    )
    up = UpProcess(
        tmp_path, tmp_path / "state", "--config-path", str(CONFIG), "--job-config-path",
        str(jobs), "--executor", "host", *extra, command=command,
    )  # fmt: skip
    try:
        up.wait_for("cloning acme/widgets")
        up.proc.send_signal(INT)
        up.wait_for("stopping")
        time.sleep(2)
        assert up.proc.poll() is None  # the clone's thread holds the process: still stopping
        up.proc.send_signal(second)
        sent = time.monotonic()
        returncode = up.proc.wait(timeout=10)
    finally:
        up.proc.kill()
    assert time.monotonic() - sent < 5
    assert returncode == code
    up.wait_for(f"minprow {command}: {second.name} while stopping: exiting now", limit=5)
    assert "Traceback" not in "".join(up.lines)

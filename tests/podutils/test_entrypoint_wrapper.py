"""The entrypoint wrapper (podutils.entrypoint.WRAPPER) as a test image runs it:
placed by `minprow podutils place-entrypoint`, run by dash, bash and busybox
sh, by `minprow podutils entrypoint`, and inside the busybox-only test image
(no Python there). Outcomes are Prow's pkg/entrypoint codes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

from minprow.podutils.entrypoint import WRAPPER

SECOND = 1_000_000_000
SHELLS = {"dash": ["dash"], "bash": ["bash", "--posix"], "busybox": ["busybox", "sh"]}


@dataclass(frozen=True)
class Shell:
    """How a test image would run the wrapper: the shell, and the PATH it finds tools on."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="session")
def busybox_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bin directory of busybox applets and nothing else (awk, tee, mkfifo... all busybox's)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    bin_dir = tmp_path_factory.mktemp("busybox-bin")
    applets = subprocess.run([busybox, "--list"], capture_output=True, text=True, check=True)
    for applet in applets.stdout.split():
        (bin_dir / applet).symlink_to(busybox)
    return bin_dir


@pytest.fixture(params=[*SHELLS, "busybox-only"])
def shell(request: pytest.FixtureRequest, busybox_only: Path) -> Shell:
    name: str = request.param
    if name == "busybox-only":
        return Shell([str(busybox_only / "sh")], {"PATH": str(busybox_only)})
    if shutil.which(SHELLS[name][0]) is None:
        pytest.skip(f"{name} is not installed")
    return Shell(SHELLS[name])


@dataclass(frozen=True)
class Run:
    rc: int
    stdout: str
    marker: str | None
    log: str


@dataclass(frozen=True)
class Case:
    args: list[str]
    rc: int
    marker: str
    log_has: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    stdout_has: list[str] | None = None
    """What stdout shows, when not the same as the process log (Prow writes a
    start failure into the log only)."""


def _options(logs: Path, args: list[str], **extra: Any) -> str:
    options: dict[str, Any] = {
        "timeout": 20 * SECOND,
        "grace_period": 2 * SECOND,
        "artifact_dir": str(logs / "artifacts"),
        "args": args,
        "container_name": "test",
        "process_log": str(logs / "process-log.txt"),
        "marker_file": str(logs / "marker-file.txt"),
        "metadata_file": str(logs / "artifacts" / "metadata.json"),
    }
    return json.dumps({**options, **extra})


@pytest.fixture
def placed(tmp_path: Path) -> Path:
    """The wrapper as place-entrypoint writes it (the real command, in a subprocess)."""
    destination = tmp_path / "tools" / "entrypoint"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "minprow",
            "podutils",
            "place-entrypoint",
            "--copy-destination",
            str(destination),
        ],
        check=True,
    )
    assert destination.read_text() == WRAPPER
    assert os.access(destination, os.X_OK)
    return destination


def _finish(proc: subprocess.Popen[str], logs: Path) -> Run:
    stdout, _ = proc.communicate(timeout=60)
    marker = logs / "marker-file.txt"
    log = logs / "process-log.txt"
    return Run(
        proc.returncode,
        stdout,
        marker.read_text() if marker.exists() else None,
        log.read_text() if log.exists() else "",
    )


def _start(
    argv: list[str],
    tmp_path: Path,
    args: list[str],
    env: dict[str, str] | None = None,
    **extra: Any,
) -> tuple[subprocess.Popen[str], Path]:
    logs = tmp_path / "logs"
    logs.mkdir(exist_ok=True)
    env = {**os.environ, **(env or {}), "ENTRYPOINT_OPTIONS": _options(logs, args, **extra)}
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    return proc, logs


CASES = [
    pytest.param(
        Case(["sh", "-c", "echo out; echo err >&2"], 0, "0", ["out\n", "err\n"]), id="passes"
    ),
    pytest.param(
        Case(["sh", "-c", "exit 3"], 3, "3", ["wrapped process failed: exit status 3"]), id="fails"
    ),
    pytest.param(
        Case(
            ["no-such-command"],
            127,
            "127",
            [
                'could not start the process: exec: "no-such-command"',
                "Error executing test process",
            ],
            stdout_has=["Error executing test process"],
        ),
        id="cannot-start",
    ),
    pytest.param(
        Case(
            ["sh", "-c", "echo started; exec sleep 30"],
            127,
            "127",
            ["started", "Process did not finish before 1s timeout"],
            {"timeout": SECOND},
        ),
        id="timeout",
    ),
    pytest.param(
        Case(
            ["sh", "-c", "trap 'echo graceful; exit 0' TERM; while :; do sleep 1; done"],
            127,
            "127",
            ["graceful", "Process did not finish before 1s timeout"],
            {"timeout": SECOND, "grace_period": 30 * SECOND},
        ),
        id="timeout-graceful-exit",
    ),
    pytest.param(
        Case(
            ["sh", "-c", "trap '' TERM; sleep 30"],
            127,
            "127",
            ["Process did not exit before 1s grace period"],
            {"timeout": SECOND, "grace_period": SECOND},
        ),
        id="timeout-then-kill",
    ),
    pytest.param(
        Case(
            ["sh", "-c", "exec sleep 30"],
            143,
            "143",
            [],
            {"timeout": SECOND, "propagate_error_code": True},
        ),
        id="timeout-propagates-code",
    ),
    pytest.param(Case(["sh", "-c", "exit 4"], 0, "4", [], {"always_zero": True}), id="always-zero"),
    pytest.param(
        Case(
            ["sh", "-c", "echo ran"],
            1130 % 256,
            "1130",
            ["Skipping as previous step exited 2"],
            {"previous_marker": "previous"},
        ),
        id="previous-failed",
    ),
    pytest.param(
        Case(
            ["sh", "-c", "exit 0"], 1, "", [], {"always_zero": True, "propagate_error_code": True}
        ),
        id="invalid-options",
    ),
]


@pytest.mark.parametrize("case", CASES)
def test_wrapper(shell: Shell, case: Case, placed: Path, tmp_path: Path) -> None:
    if "previous_marker" in case.options:
        (tmp_path / "previous").write_text("2")
    proc, logs = _start([*shell.argv, str(placed)], tmp_path, case.args, shell.env, **case.options)
    run = _finish(proc, logs)
    assert run.rc == case.rc, run
    assert (run.marker or "") == case.marker, run
    for text in case.log_has:
        assert text in run.log
    for text in case.log_has if case.stdout_has is None else case.stdout_has:
        assert text in run.stdout
    assert "ran" not in run.log
    assert not [p for p in logs.iterdir() if p.name.startswith(".")], "temporary files left behind"


def test_args_arrive_unchanged(shell: Shell, placed: Path, tmp_path: Path) -> None:
    args = ["it's", 'a "quote"', "back\\slash", "new\nline", "<&>", "naïve ☃", "$HOME", "*", ""]
    script = 'for a in "$@"; do printf "[%s]" "$a"; done'
    argv = [*shell.argv, str(placed)]
    proc, logs = _start(argv, tmp_path, ["sh", "-c", script, "sh", *args], shell.env)
    run = _finish(proc, logs)
    assert run.log == "".join(f"[{a}]" for a in args)
    assert (run.rc, run.marker) == (0, "0")
    assert (logs / "artifacts").is_dir()


def test_terminated_wrapper_aborts_the_command(shell: Shell, placed: Path, tmp_path: Path) -> None:
    script = "trap 'echo interrupted; exit 9' TERM; echo ready; while :; do sleep 1; done"
    proc, logs = _start([*shell.argv, str(placed)], tmp_path, ["sh", "-c", script], shell.env)
    deadline = time.monotonic() + 30
    log = logs / "process-log.txt"
    while not log.exists() or "ready" not in log.read_text():
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    run = _finish(proc, logs)
    assert (run.rc, run.marker) == (130, "130")
    assert "Entrypoint received interrupt: terminated" in run.log
    assert "interrupted" in run.log


def test_minprow_podutils_entrypoint_runs_the_same_wrapper(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "minprow", "podutils", "entrypoint"]
    proc, logs = _start(argv, tmp_path, ["sh", "-c", "echo via minprow; exit 5"])
    run = _finish(proc, logs)
    assert (run.rc, run.marker) == (5, "5")
    assert "via minprow" in run.log
    assert "via minprow" in run.stdout


def test_minprow_podutils_entrypoint_without_options(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ENTRYPOINT_OPTIONS"}
    done = subprocess.run(
        [sys.executable, "-m", "minprow", "podutils", "entrypoint"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "ENTRYPOINT_OPTIONS is unset" in done.stderr


def test_wrapper_in_the_busybox_image(
    busybox_image: str, docker_client: docker.DockerClient, placed: Path, tmp_path: Path
) -> None:
    """The test image has busybox and nothing else: no Python, no bash."""
    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o777)
    options = _options(Path("/logs"), ["sh", "-c", "echo in busybox; uname -s; exit 7"])
    container = docker_client.containers.run(
        busybox_image,
        command=["/tools/entrypoint"],
        environment={"ENTRYPOINT_OPTIONS": options},
        volumes={
            str(placed.parent): {"bind": "/tools", "mode": "ro"},
            str(logs): {"bind": "/logs", "mode": "rw"},
        },
        detach=True,
    )
    try:
        status = container.wait(timeout=60)
        output = container.logs().decode()
    finally:
        container.remove(force=True)
    assert status["StatusCode"] == 7, output
    assert (logs / "marker-file.txt").read_text() == "7"
    assert (logs / "process-log.txt").read_text().startswith("in busybox\nLinux\n")
    assert "in busybox" in output

"""What a user sees when a job's image is not on the machine and no registry answers,
from the commands they run (issue 15, item 4): `minprow up` runs the demo periodic of
jobs/ anyway (its busybox image built from the host's static busybox, and said), and
a job on any other missing image ends in error once, in Docker's words, saying what
to do; `minprow run` says the same and exits non-zero, and `--executor host` runs
the job without the image. Real subprocesses, the real Docker engine."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import git
import pytest
import yaml

from tests.runtime.runtime_helpers import UpProcess

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"
DEMO = REPO / "jobs" / "minprow" / "minprow-periodics.yaml"
MISSING = f"minprow-test-nowhere-{uuid.uuid4().hex[:8]}:v1"
"""An image neither on this machine nor in any registry."""
SUGGESTION = (
    f"Build or tag a local image with that name (`docker build -t {MISSING} DIR` or "
    f"`docker tag LOCAL_IMAGE {MISSING}`), or run the job as a host process with "
    "`--executor host`."
)


@pytest.fixture
def project(
    tmp_path: Path, unpullable_busybox: str, docker_client: docker.DockerClient
) -> Iterator[Path]:
    """A project as a new user starts one: the demo periodic of jobs/ (its image made
    one this machine lacks) and a presubmit on an image no registry gives; a git
    working tree for `run --local`. Its containers are removed afterwards."""
    shutil.copy(CONFIG, tmp_path / "config.yaml")
    demo = yaml.safe_load(DEMO.read_text())
    [hello] = [p for p in demo["periodics"] if p["name"] == "periodic-minprow-hello"]
    hello["spec"]["containers"][0]["image"] = unpullable_busybox
    hello["interval"] = "1h"
    hello["cluster"] = "default"
    nowhere = {
        "name": "periodic-nowhere",
        "interval": "1h",
        "decorate": True,
        "spec": {"containers": [{"image": MISSING, "command": ["sh", "-c", "echo ran"]}]},
    }
    presubmit = {**nowhere, "name": "pull-nowhere", "always_run": True}
    del presubmit["interval"]
    jobs = {"periodics": [hello, nowhere], "presubmits": {"acme/widgets": [presubmit]}}
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "jobs.yaml").write_text(yaml.safe_dump(jobs))
    repo = git.Repo.init(tmp_path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    repo.index.add(["config.yaml", "jobs/jobs.yaml"])
    repo.index.commit("first")
    yield tmp_path
    managed = docker_client.containers.list(all=True, filters={"label": "minprow.io/managed=true"})
    for container in managed:
        if container.labels.get("minprow.io/workspaces", "").startswith(str(tmp_path)):
            container.remove(force=True)


def minprow_run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minprow", "run", *args, "--state-dir", str(cwd / "state")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# (id, flags, exit code, what its output says, what it never says)
RUNS = [
    (
        "docker-says-container-and-what-to-do",
        ["--executor", "docker"],
        1,
        [
            f"Container can not be created: image {MISSING} is not on this machine and "
            "cannot be pulled (",
            SUGGESTION,
        ],
        ["Pod can not be created"],
    ),
    (
        "host-runs-it-without-the-image",
        ["--executor", "host"],
        0,
        ["ran", "success"],
        ["can not be created"],
    ),
]


@pytest.mark.parametrize(
    ("flags", "code", "says", "never"), [r[1:] for r in RUNS], ids=[r[0] for r in RUNS]
)
def test_run_a_job_whose_image_no_registry_gives(
    project: Path, flags: list[str], code: int, says: list[str], never: list[str]
) -> None:
    done = minprow_run(project, "pull-nowhere", "--local", ".", *flags)
    output = done.stdout + done.stderr
    assert done.returncode == code, output
    for text in says:
        assert text in output, output
    for text in never:
        assert text not in output, output


def logged(up: UpProcess, text: str) -> str:
    """The first line of `up`'s log saying `text`, whether logged already or to come."""
    return next((line for line in up.lines if text in line), None) or up.wait_for(text)


def test_up_runs_the_demo_with_no_registry(project: Path, unpullable_busybox: str) -> None:
    up = UpProcess(project, project / "state", "--executor", "docker")
    try:
        # Horologium's first tick starts both periodics, in no set order.
        built = logged(up, f"built {unpullable_busybox} locally from ")
        logged(up, "-> success: Job succeeded.")
        line = logged(up, f"can not be created: image {MISSING}")
    finally:
        code = up.stop(signal.SIGTERM)
    assert code == 0, "".join(up.lines)
    assert "no registry answered" in built, built
    assert "warning" in line, line
    assert f"Container can not be created: image {MISSING}" in line, line
    assert SUGGESTION in line, line
    logs = project / "artifacts" / "logs" / "periodic-minprow-hello"
    [run] = list(logs.iterdir())
    assert "hello from periodic-minprow-hello" in (run / "build-log.txt").read_text()
    said = "".join(up.lines)
    assert said.count(f"built {unpullable_busybox} locally") == 1, said
    assert said.count(f"Container can not be created: image {MISSING}") == 1, said

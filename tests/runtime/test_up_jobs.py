"""`minprow up` running jobs end to end on the real Docker engine: a periodic runs
within its first tick and leaves Prow's artifacts; a SIGKILLed minprow, started
again, finishes what was running exactly once."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest
import yaml
from runtime_helpers import UpProcess

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"


def _periodic(name: str, script: str, image: str) -> dict[str, object]:
    return {
        "name": name,
        "interval": "1h",
        "decorate": True,
        "spec": {"containers": [{"image": image, "command": ["sh", "-c", script]}]},
    }


@pytest.fixture
def workdir(tmp_path: Path, busybox_image: str) -> Path:
    shutil.copy(CONFIG, tmp_path / "config.yaml")
    jobs = {
        "periodics": [
            _periodic(
                "hello",
                'echo "hello from $JOB_NAME"; echo hi > "$ARTIFACTS/out.txt"',
                busybox_image,
            ),
            _periodic("slow", "sleep 4; echo slow done", busybox_image),
        ]
    }
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "jobs.yaml").write_text(yaml.safe_dump(jobs))
    return tmp_path


@pytest.fixture
def processes(workdir: Path, docker_client: docker.DockerClient) -> Iterator[list[UpProcess]]:
    """The `minprow up` processes of a test; afterwards they and their containers are gone."""
    started: list[UpProcess] = []
    yield started
    for process in started:
        if process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
    owner = f"minprow.io/workspaces={workdir / 'state' / 'workspaces' / 'docker'}"
    for container in docker_client.containers.list(all=True, filters={"label": owner}):
        container.remove(force=True)


def _prowjobs(state: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "minprow",
            "get",
            "prowjobs",
            "--state-dir",
            str(state),
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    items: list[dict[str, object]] = json.loads(done.stdout)["items"]
    return items


def test_up_runs_periodics_and_restarts_without_running_a_job_twice(
    workdir: Path, processes: list[UpProcess], docker_client: docker.DockerClient
) -> None:
    state = workdir / "state"
    first = UpProcess(workdir, state)
    processes.append(first)
    first.wait_for("-> success: Job succeeded.")
    run_dirs = list((workdir / "artifacts" / "logs" / "hello").iterdir())
    assert len(run_dirs) == 1
    assert (run_dirs[0] / "build-log.txt").read_text() == "hello from hello\n"
    assert (run_dirs[0] / "artifacts" / "out.txt").read_text() == "hi\n"
    assert json.loads((run_dirs[0] / "finished.json").read_text())["passed"] is True
    # The same port serves the API: Deck's prowjobs.js and the job's log.
    base = f"http://127.0.0.1:{first.port}"
    with urllib.request.urlopen(f"{base}/prowjobs.js?omit=pod_spec") as answer:
        listed = json.load(answer)["items"]
    hello = next(j for j in listed if j["spec"]["job"] == "hello")
    with urllib.request.urlopen(
        f"{base}/api/v1/prowjobs/{hello['metadata']['name']}/log"
    ) as answer:
        assert answer.read() == b"hello from hello\n"

    # Kill minprow while "slow" runs (it sleeps 4 s); its container goes on without it.
    slow = next(j for j in _prowjobs(state) if j["spec"]["job"] == "slow")  # type: ignore[index]
    assert slow["status"]["state"] == "pending"  # type: ignore[index]
    assert first.stop(signal.SIGKILL) == -signal.SIGKILL

    second = UpProcess(workdir, state)
    processes.append(second)
    second.wait_for("-> success: Job succeeded.")
    assert second.stop() == 0

    jobs = _prowjobs(state)
    assert sorted(j["spec"]["job"] for j in jobs) == ["hello", "slow"]  # type: ignore[index]
    assert {j["status"]["state"] for j in jobs} == {"success"}  # type: ignore[index]
    containers = docker_client.containers.list(
        all=True,
        filters={"label": f"prow.k8s.io/id={slow['metadata']['name']}"},  # type: ignore[index]
    )
    assert len(containers) == 1  # started once, by the first minprow
    slow_runs = list((workdir / "artifacts" / "logs" / "slow").iterdir())
    assert len(slow_runs) == 1
    assert (slow_runs[0] / "build-log.txt").read_text() == "slow done\n"

"""`minprow run`: a job from a Prow config, reproduced on this machine with real
git remotes and the real Docker engine (and host processes)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from runtime_helpers import make_remote, run_job

from tests.conftest import GCS

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"

SCRIPT = """
echo "PR $PULL_NUMBER of $REPO_OWNER/$REPO_NAME at $PULL_PULL_SHA, base $PULL_BASE_REF"
echo "job $JOB_NAME type $JOB_TYPE build $BUILD_ID in $PWD"
cat feature.txt
echo "$JOB_SPEC" > "$ARTIFACTS/job-spec.json"
exit "${EXIT_WITH:-0}"
"""


@pytest.fixture
def remote(tmp_path: Path) -> tuple[Path, str, str]:
    return make_remote(tmp_path)


def _jobs(tmp_path: Path, clone_uri: str, image: str, **env: str) -> Path:
    container: dict[str, Any] = {"image": image, "command": ["sh", "-c", SCRIPT]}
    if env:
        container["env"] = [{"name": k, "value": v} for k, v in env.items()]
    config = {
        "presubmits": {
            "acme/widgets": [
                {
                    "name": "pull-widgets-test",
                    # A remote build cluster: `minprow run` runs its jobs here.
                    "cluster": "build01",
                    "always_run": True,
                    "decorate": True,
                    "clone_uri": clone_uri,
                    "spec": {"containers": [container]},
                }
            ]
        }
    }
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


_run = run_job


def _artifacts(cwd: Path, pull: int = 7) -> Path:
    runs = list(
        (
            cwd
            / "artifacts"
            / "pr-logs"
            / "pull"
            / "acme_widgets"
            / str(pull)
            / "pull-widgets-test"
        ).iterdir()
    )
    assert len(runs) == 1
    return runs[0]


@pytest.mark.parametrize("executor", ["docker", "host"])
def test_a_presubmit_runs_as_prow_would_run_it(
    busybox_image: str, remote: tuple[Path, str, str], tmp_path: Path, executor: str
) -> None:
    bare, base, head = remote
    jobs = _jobs(tmp_path, bare.as_uri(), busybox_image)
    done = _run(
        tmp_path,
        "pull-widgets-test",
        "--config-path", CONFIG,
        "--job-config-path", jobs,
        "--pull-number", "7",
        "--state-dir", tmp_path / "state",
        "--executor", executor,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"PR 7 of acme/widgets at {head}, base main" in done.stdout
    assert "from the pull request" in done.stdout  # the PR merged into the base
    assert "/src/github.com/acme/widgets" in done.stdout
    assert "pull-widgets-test success" in done.stderr
    run = _artifacts(tmp_path)
    build_id = run.name
    assert f"build {build_id} in" in (run / "build-log.txt").read_text()
    finished = json.loads((run / "finished.json").read_text())
    assert finished["passed"] is True
    assert finished["result"] == "SUCCESS"
    assert json.loads((run / "started.json").read_text())["repos"] == {
        "acme/widgets": f"main:{base},7:{head}"
    }
    prowjob = json.loads((run / "prowjob.json").read_text())
    assert prowjob["status"]["state"] == "success"
    assert prowjob["status"]["build_id"] == build_id
    spec = json.loads((run / "artifacts" / "job-spec.json").read_text())
    assert spec["refs"]["pulls"][0]["sha"] == head
    assert spec["buildid"] == build_id
    if executor == "host":
        assert "ignores the image" in done.stderr.lower()


def test_a_failing_job_exits_with_its_containers_code(
    busybox_image: str, remote: tuple[Path, str, str], tmp_path: Path
) -> None:
    bare, _, _ = remote
    jobs = _jobs(tmp_path, bare.as_uri(), busybox_image, EXIT_WITH="3")
    done = _run(
        tmp_path, "pull-widgets-test", "--config-path", CONFIG, "--job-config-path", jobs,
        "--pull-number", "7", "--state-dir", tmp_path / "state", "--executor", "docker",
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert "pull-widgets-test failure" in done.stderr
    assert json.loads((_artifacts(tmp_path) / "finished.json").read_text())["result"] == "FAILURE"


def test_local_runs_the_working_tree_as_it_is(
    busybox_image: str, remote: tuple[Path, str, str], tmp_path: Path
) -> None:
    bare, _, _ = remote
    tree = git.Repo.clone_from(bare.as_uri(), tmp_path / "checkout")
    (tmp_path / "checkout" / "feature.txt").write_text("not committed yet\n")
    jobs = _jobs(tmp_path, bare.as_uri(), busybox_image)
    done = _run(
        tmp_path, "pull-widgets-test", "--config-path", CONFIG, "--job-config-path", jobs,
        "--local", tmp_path / "checkout", "--state-dir", tmp_path / "state",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "not committed yet" in done.stdout
    assert f"at {tree.head.commit.hexsha}, base main" in done.stdout
    # A working tree, not a pull request: said so, and its artifacts placed so.
    assert "PR 0 of acme/widgets" in done.stdout  # what Prow's presubmit env gives the job
    assert "(presubmit of acme/widgets, local working tree at" in done.stderr
    assert "/pr-logs/pull/acme_widgets/local/pull-widgets-test/" in done.stderr
    assert not (tmp_path / "artifacts" / "pr-logs" / "pull" / "acme_widgets" / "0").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-job", "--pull-number", "7"], "job 'no-such-job' is not in the config"),
        (["pull-widgets-test"], "needs --pull-number N (or --local PATH)"),
        (["pull-widgets-test", "--pull-number", "99"], "has no pull request #99"),
        (["pull-widgets-test", "--pull-number", "7", "--base-ref", "nope"], "has no branch 'nope'"),
    ],
    ids=["unknown-job", "no-refs", "unknown-pr", "unknown-branch"],
)
def test_bad_input_is_a_clear_error(
    remote: tuple[Path, str, str], tmp_path: Path, args: list[str], message: str
) -> None:
    bare, _, _ = remote
    jobs = _jobs(tmp_path, bare.as_uri(), "minprow-test-busybox:latest")
    done = _run(tmp_path, *args, "--config-path", CONFIG, "--job-config-path", jobs)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_job_whose_decoration_names_a_bucket_uploads_to_gcs(
    busybox_image: str, remote: tuple[Path, str, str], tmp_path: Path, gcs: GCS
) -> None:
    bare, _, head = remote
    jobs = _jobs(tmp_path, bare.as_uri(), busybox_image)
    config = yaml.safe_load(CONFIG.read_text())
    gcs_config = config["plank"]["default_decoration_config_entries"][0]["config"]
    gcs_config["gcs_configuration"] = {"bucket": f"gs://{gcs.bucket}", "path_strategy": "explicit"}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config))
    done = _run(
        tmp_path, "pull-widgets-test", "--config-path", tmp_path / "config.yaml",
        "--job-config-path", jobs, "--pull-number", "7", "--state-dir", tmp_path / "state",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"gs://{gcs.bucket}/pr-logs/pull/acme_widgets/7/pull-widgets-test/" in done.stderr
    names = gcs.names()
    run = next(n for n in names if n.endswith("/finished.json")).removesuffix("/finished.json")
    assert {f"{run}/{f}" for f in ("build-log.txt", "started.json", "prowjob.json")} <= names
    assert f"{run}/artifacts/job-spec.json" in names
    assert head in gcs.blob(f"{run}/build-log.txt").download_as_text()
    # Prow's markers for Deck: the latest build and the PR's directory alias.
    assert "pr-logs/pull/acme_widgets/7/pull-widgets-test/latest-build.txt" in names
    assert not (tmp_path / "artifacts").exists()


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_ctrl_c_aborts_the_job_stops_its_container_and_exits_130(
    busybox_image: str,
    remote: tuple[Path, str, str],
    tmp_path: Path,
    sig: signal.Signals,
    code: int,
) -> None:
    bare, _, _ = remote
    jobs = _jobs(tmp_path, bare.as_uri(), busybox_image, EXIT_WITH="0")
    slow = yaml.safe_load(jobs.read_text())
    container = slow["presubmits"]["acme/widgets"][0]["spec"]["containers"][0]
    container["command"] = ["sh", "-c", "echo started; sleep 60"]
    jobs.write_text(yaml.safe_dump(slow))
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "minprow", "run", "pull-widgets-test", "--config-path", str(CONFIG),
            "--job-config-path", str(jobs), "--pull-number", "7", "--state-dir", str(tmp_path / "state"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    assert proc.stdout.readline() == "started\n"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "pull-widgets-test aborted" in err
    finished = json.loads((_artifacts(tmp_path) / "finished.json").read_text())
    assert finished["result"] == "ABORTED"

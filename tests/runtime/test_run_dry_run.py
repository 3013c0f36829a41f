"""`minprow run --dry-run`, `-o yaml`, `--env`/`--image` and `--shell`, as a user runs them.

The jobs (fixtures/run/local-pod/jobs.yaml) use every kind of env source, the
volume kinds Prow jobs use and security contexts; Secrets and ConfigMaps come
from folders the test writes. What the summary must show, and must never show,
is in fixtures/run/local-pod/summary.yaml.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from terminal import Terminal, tmux, wait_for

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "run" / "local-pod"
CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"
JOBS = FIXTURES / "jobs.yaml"
TOKEN = "ghp_not-a-real-token-0123456789"


@pytest.fixture
def objects(tmp_path: Path) -> list[str]:
    """--secrets-dir and --configmaps-dir holding what ci-local-pod reads."""
    secrets, configmaps = tmp_path / "secrets", tmp_path / "configmaps"
    (secrets / "github-token").mkdir(parents=True)
    (secrets / "github-token" / "token").write_text(TOKEN)
    (configmaps / "settings").mkdir(parents=True)
    (configmaps / "settings" / "region").write_text("eu-west-1")
    return ["--secrets-dir", str(secrets), "--configmaps-dir", str(configmaps)]


def _run(tmp_path: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "minprow", "run", *map(str, args),
         "--config-path", str(CONFIG), "--job-config-path", str(JOBS),
         "--state-dir", str(tmp_path / "state")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _value(summary: str, name: str) -> str:
    return next(line.split("=", 1)[1] for line in summary.splitlines() if line.startswith(name))


def test_dry_run_shows_everything_the_job_would_see_and_starts_nothing(
    tmp_path: Path, objects: list[str]
) -> None:
    done = _run(tmp_path, "ci-local-pod", "--dry-run", *objects)
    assert done.returncode == 0, done.stderr
    expected = yaml.safe_load((FIXTURES / "summary.yaml").read_text())
    out = done.stdout
    name = out.splitlines()[0].split()[1].rstrip(":")
    build = _value(out, "    BUILD_ID=")
    assert build.isdigit()
    lines = out.splitlines()
    for line in expected["shows"]:
        assert line.replace("{name}", name).replace("{build}", build) in lines, line
    for note in expected["notes"]:
        assert note in out
    assert "would not start" not in out
    for hidden in expected["hides"]:
        assert hidden.replace("{token}", TOKEN) not in out + done.stderr
    assert not (tmp_path / "state").exists()  # nothing was started, or even stored


def test_dry_run_as_yaml_is_the_pod_with_secrets_left_as_references(
    tmp_path: Path, objects: list[str]
) -> None:
    done = _run(tmp_path, "ci-local-pod", "--dry-run", "-o", "yaml", *objects)
    assert done.returncode == 0, done.stderr
    assert TOKEN not in done.stdout
    pod = yaml.safe_load(done.stdout)
    assert (pod["apiVersion"], pod["kind"]) == ("v1", "Pod")
    assert pod["metadata"]["namespace"] == "test-pods"
    assert pod["metadata"]["labels"]["prow.k8s.io/job"] == "ci-local-pod"
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["POD_NAME"] == {"name": "POD_NAME", "value": pod["metadata"]["name"]}
    assert env["GITHUB_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": "github-token", "key": "token"}
    }
    assert [v["name"] for v in pod["spec"]["volumes"]] == [
        "credentials", "settings", "identity", "podinfo", "scratch", "cache", "host-tmp",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "shows"),
    [
        (["--env", "REGION=local", "--env", "EXTRA=1"], ["    REGION=local", "    EXTRA=1"]),
        (["--image", "widgets-builder:dev"], ["  image        widgets-builder:dev"]),
        (["--env", "GITHUB_TOKEN=mine"], ["    GITHUB_TOKEN=mine"]),
    ],
    ids=["env", "image", "env-over-a-secret"],
)
def test_env_and_image_override_the_test_container(
    tmp_path: Path, objects: list[str], args: list[str], shows: list[str]
) -> None:
    done = _run(tmp_path, "ci-local-pod", "--dry-run", *objects, *args)
    assert done.returncode == 0, done.stderr
    for line in shows:
        assert line in done.stdout.splitlines()


def test_what_is_missing_is_listed_by_a_dry_run_and_stops_a_run(tmp_path: Path) -> None:
    empty = ["--secrets-dir", str(tmp_path / "none"), "--configmaps-dir", str(tmp_path / "none")]
    missing = [
        f"volume 'credentials' needs secret 'github-token': make the folder "
        f"{tmp_path / 'none' / 'github-token'} with one file per key",
        f"volume 'settings' needs configMap 'settings': make the folder "
        f"{tmp_path / 'none' / 'settings'} with one file per key",
        f"container 'test': env 'GITHUB_TOKEN' needs key 'token' of secret 'github-token': "
        f"put it in {tmp_path / 'none' / 'github-token' / 'token'}",
    ]
    dry = _run(tmp_path, "ci-local-pod", "--dry-run", *empty)
    assert dry.returncode == 0, dry.stderr
    assert "would not start, for want of:" in dry.stdout
    for line in missing:
        assert f"  {line}" in dry.stdout.splitlines()
    done = _run(tmp_path, "ci-local-pod", *empty)
    assert done.returncode == 1
    for line in missing:
        assert f"  {line}" in done.stderr.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ci-nfs", "--dry-run"], "volume 'shared': nfs volumes cannot be mounted on this machine"),
        (["ci-shell", "--output", "yaml"], "-o/--output goes with --dry-run"),
        (["ci-shell", "--env", "NOVALUE"], "--env 'NOVALUE': expected NAME=VALUE"),
        (["ci-shell", "--shell", "--executor", "host"], "--shell needs the docker executor"),
    ],
    ids=["unsupported-volume", "output-without-dry-run", "bad-env", "shell-on-host"],
)
def test_what_cannot_be_done_is_a_clear_error(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = _run(tmp_path, *args)
    assert done.returncode in (1, 2)
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_shell_before_opens_a_shell_with_the_jobs_env_and_mounts(
    busybox_image: str, tmp_path: Path
) -> None:
    assert busybox_image == "minprow-test-busybox:latest"  # what ci-shell names
    command = [
        sys.executable, "-m", "minprow", "run", "ci-shell", "--shell=before",
        "--config-path", str(CONFIG), "--job-config-path", str(JOBS),
        "--state-dir", str(tmp_path / "state"),
    ]  # fmt: skip
    env: dict[str, Any] = {"TERM": "xterm", "PYTHONPATH": os.getcwd()}
    term = Terminal(tmux(), ["sh", "-c", " ".join(command) + "; echo exited=$?; sleep 60"], env)
    try:
        wait_for(lambda: "exit it to end" in term.screen(), "the shell's banner", term)
        term.keys('echo "pod=$POD_NAME"; touch /work/x && echo work=ok', "Enter")
        wait_for(lambda: "work=ok" in term.screen(), "the job's env and emptyDir", term)
        term.keys("exit 3", "Enter")
        wait_for(lambda: "exited=3" in term.screen(), "the shell's exit code", term)
        screen = term.screen()
        pod = next(line for line in screen.splitlines() if line.startswith("pod="))
        assert len(pod) > len("pod=") + 30  # the ProwJob's name (a uuid)
        assert "the job itself ran" not in screen.splitlines()  # only in the banner
    finally:
        term.close()


def test_the_host_executor_resolves_the_env_and_says_what_it_cannot_mount(
    tmp_path: Path,
) -> None:
    done = _run(tmp_path, "ci-shell", "--executor", "host")
    assert done.returncode == 0, done.stderr
    assert "the job itself ran" in done.stdout
    assert "volume 'work' is not mounted at /work (a plain process has no mounts)" in done.stderr


@pytest.mark.parametrize("command", ["run", "up", "serve"])
def test_every_command_that_runs_jobs_here_takes_the_local_folders(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "minprow", command, "--help"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "--secrets-dir" in done.stdout
    assert "--configmaps-dir" in done.stdout


@pytest.mark.parametrize(
    ("branch", "args", "image", "note"),
    [
        ("main", [], "gadgets:latest", "also a job of acme/widgets; running acme/gadgets's"),
        ("release-1.0", ["--repo", "acme/widgets"], "widgets:release-1.0", ""),
        ("main", ["--repo", "acme/widgets"], "widgets:main", ""),
        ("main", ["--repo", "acme/gadgets"], "gadgets:latest", ""),
    ],
    ids=["first-repo-said", "branch-variant", "repo-chosen", "other-repo"],
)
def test_a_name_several_jobs_share(
    tmp_path: Path, branch: str, args: list[str], image: str, note: str
) -> None:
    tree = git.Repo.init(tmp_path / "tree", initial_branch=branch)
    tree.index.commit("one commit")
    done = subprocess.run(
        [sys.executable, "-m", "minprow", "run", "pull-unit", "--dry-run", *args,
         "--local", str(tmp_path / "tree"), "--config-path", str(CONFIG),
         "--job-config-path", str(REPO / "fixtures" / "run" / "branches" / "jobs.yaml")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"  image        {image}" in done.stdout.splitlines()
    if note:
        assert note in done.stderr
    else:
        assert "is also a job of" not in done.stderr

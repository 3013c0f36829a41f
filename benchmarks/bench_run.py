"""`minprow run` as a whole process, against the cheapest thing it could be.

Two budgets, both measured on fresh processes started the same way, runs
interleaved so machine load hits every side alike, medians compared:

1. `minprow run JOB --dry-run` on kubernetes-test-infra (shared/corpus) costs at
   most `minprow check-config` on the same config plus 0.2 s: rendering one job
   (refs, env, mounts, security) must be cheap next to loading 3,849 jobs. Jobs:
   the presubmit `pull-kubernetes-unit` with `--local` (a temporary git repository
   with one commit: `--pull-number` would ask github.com) and the periodic
   `ci-kubernetes-e2e-kind`. Empty `--secrets-dir` and `--configmaps-dir`, so the
   user's own folders play no part.
2. `minprow run JOB --executor docker` stays within 0.5 s of a bare
   `docker run --rm IMAGE COMMAND` of the same image and command, the busybox
   test image (fixtures/images/busybox, built FROM scratch as tests/conftest.py
   does). Jobs: an undecorated periodic running `true` (config written to a
   temporary folder) and the decorated periodic of fixtures/bench (nothing to
   clone). minprow's side includes Python start-up and the config load: the
   user waits for them too. Needs a Docker engine (`scripts/docker-engine`
   starts one); without one this part is skipped, saying why.

The timed processes cache their bytecode in a temporary PYTHONPYCACHEPREFIX, as
an installed minprow has its .pyc files, even where PYTHONDONTWRITEBYTECODE is
set (`--env-as-is` keeps the caller's environment instead). Prints the machine's
load, each side's median and best, the difference of medians, the budget and
whether the difference is within it. Never fails on timing: the exit status is
non-zero only when a command fails.

Run: `python benchmarks/bench_run.py [--runs N] [--skip-dry-run] [--skip-docker]
[--env-as-is]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS_ROOT = REPO / ".." / "shared" / "corpus"
TEST_INFRA = CORPUS_ROOT / "kubernetes-test-infra"
BUSYBOX = Path("/bin/busybox")
DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
IMAGE = "minprow-test-busybox:latest"
BENCH_FIXTURE = REPO / "fixtures" / "bench"
DRY_RUN_BUDGET_S = 0.2
DOCKER_BUDGET_S = 0.5
MINPROW = [sys.executable, "-m", "minprow"]

_UNDECORATED_CONFIG = """\
prowjob_namespace: default
pod_namespace: test-pods
"""
_UNDECORATED_JOBS = f"""\
periodics:
  - name: bench-undecorated
    interval: 24h
    spec:
      containers:
        - image: {IMAGE}
          command: ["true"]
"""


def _time(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False, cwd=cwd, env=env)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()[-2000:]}")
    return took


def _interleaved(
    sides: dict[str, list[str]], runs: int, cwd: Path, env: dict[str, str]
) -> dict[str, list[float]]:
    """Each side's wall-clock times, one run of every side per round, after a warm-up."""
    for command in sides.values():
        _time(command, cwd, env)  # warm the file cache, the .pyc files and the engine
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(runs):
        for name, command in sides.items():
            times[name].append(_time(command, cwd, env))
    return times


def _child_env(pycache: Path, as_is: bool) -> dict[str, str]:
    """The environment of every timed process.

    An installed minprow has its .pyc files; a checkout run with
    PYTHONDONTWRITEBYTECODE set (as some CI images and sandboxes set it) would
    compile every module of minprow at each start. Unless `as_is`, the children
    write and read their bytecode under `pycache` (PYTHONPYCACHEPREFIX, so
    nothing is written into the repository) and the warm-up run fills it."""
    env = dict(os.environ)
    if not as_is:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    return env


def _print_sides(times: dict[str, list[float]]) -> None:
    width = max(len(name) for name in times)
    for name, values in times.items():
        print(
            f"  {name:{width}}  median {statistics.median(values) * 1000:6.0f} ms,"
            f" best {min(values) * 1000:6.0f} ms"
        )


def _verdict(label: str, ours: list[float], base: list[float], budget: float) -> None:
    difference = statistics.median(ours) - statistics.median(base)
    within = "within budget" if difference <= budget else "OVER BUDGET"
    print(f"  {label}: {difference * 1000:+.0f} ms (budget +{budget * 1000:.0f} ms): {within}")


def _git_repo(dest: Path) -> Path:
    """A git repository with one empty commit, for `--local`."""
    dest.mkdir()
    git = ["git", "-C", str(dest), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "bench"], check=True)
    return dest


def bench_dry_run(runs: int, env: dict[str, str]) -> None:
    config = TEST_INFRA / "config" / "prow" / "config.yaml"
    jobs = TEST_INFRA / "config" / "jobs"
    print(f"1. `minprow run --dry-run` vs `minprow check-config` on {TEST_INFRA.name}")
    if not config.is_file() or not jobs.is_dir():
        print(f"  skipped: no corpus at {TEST_INFRA.resolve()}")
        return
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        empty = tmp / "empty"
        empty.mkdir()
        local = _git_repo(tmp / "repo")
        paths = ["--config-path", str(config), "--job-config-path", str(jobs)]
        dirs = ["--secrets-dir", str(empty), "--configmaps-dir", str(empty)]
        presubmit = "run pull-kubernetes-unit --dry-run --local"
        periodic = "run ci-kubernetes-e2e-kind --dry-run"
        sides = {
            "check-config": [*MINPROW, "check-config", *paths],
            presubmit: [
                *MINPROW,
                "run",
                "pull-kubernetes-unit",
                *paths,
                "--dry-run",
                "--local",
                str(local),
                *dirs,
            ],
            periodic: [*MINPROW, "run", "ci-kubernetes-e2e-kind", *paths, "--dry-run", *dirs],
        }
        times = _interleaved(sides, runs, tmp, env)
    _print_sides(times)
    for name in (presubmit, periodic):
        _verdict(f"{name} - check-config", times[name], times["check-config"], DRY_RUN_BUDGET_S)


def _docker_unavailable() -> str | None:
    """Why the Docker benchmark cannot run here, or None when it can."""
    if shutil.which("docker") is None:
        return "no `docker` command (scripts/docker-engine installs and starts one)"
    info = subprocess.run(["docker", "info"], capture_output=True, check=False)
    if info.returncode != 0:
        why = info.stderr.decode().strip().splitlines()[-1:] or ["`docker info` failed"]
        return f"no Docker engine answers ({why[0]}); scripts/docker-engine starts one"
    return None


def _ensure_image() -> None:
    """The busybox test image, built as tests/conftest.py builds it (cached by the engine)."""
    inspect = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True)
    if inspect.returncode == 0:
        return
    if not BUSYBOX.is_file():
        raise SystemExit(f"{BUSYBOX} is missing: install busybox-static to build {IMAGE}")
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(BUSYBOX, Path(context) / "busybox")
        shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
        subprocess.run(["docker", "build", "-q", "-t", IMAGE, context], check=True)


def bench_docker(runs: int, env: dict[str, str]) -> None:
    print(f"2. `minprow run --executor docker` vs a bare `docker run` of {IMAGE}")
    why = _docker_unavailable()
    if why is not None:
        print(f"  skipped: {why}")
        return
    _ensure_image()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "config.yaml").write_text(_UNDECORATED_CONFIG)
        (tmp / "jobs").mkdir()
        (tmp / "jobs" / "bench.yaml").write_text(_UNDECORATED_JOBS)
        (tmp / "state").mkdir()
        (tmp / "empty").mkdir()
        common = [
            "--state-dir",
            str(tmp / "state"),
            "--executor",
            "docker",
            "--secrets-dir",
            str(tmp / "empty"),
            "--configmaps-dir",
            str(tmp / "empty"),
        ]
        bare_true = "docker run --rm IMAGE true"
        bare_echo = "docker run --rm IMAGE sh -c 'echo bench'"
        undecorated = "minprow run bench-undecorated (true)"
        decorated = "minprow run bench-true (decorated, fixtures/bench)"
        sides = {
            bare_true: ["docker", "run", "--rm", IMAGE, "true"],
            undecorated: [
                *MINPROW,
                "run",
                "bench-undecorated",
                "--config-path",
                str(tmp / "config.yaml"),
                "--job-config-path",
                str(tmp / "jobs"),
                *common,
            ],
            bare_echo: ["docker", "run", "--rm", IMAGE, "sh", "-c", "echo bench"],
            decorated: [
                *MINPROW,
                "run",
                "bench-true",
                "--config-path",
                str(BENCH_FIXTURE / "config.yaml"),
                "--job-config-path",
                str(BENCH_FIXTURE / "jobs"),
                *common,
            ],
        }
        times = _interleaved(sides, runs, tmp, env)
    _print_sides(times)
    _verdict(f"{undecorated} - {bare_true}", times[undecorated], times[bare_true], DOCKER_BUDGET_S)
    _verdict(f"{decorated} - {bare_echo}", times[decorated], times[bare_echo], DOCKER_BUDGET_S)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs of each side")
    parser.add_argument("--skip-dry-run", action="store_true", help="skip benchmark 1")
    parser.add_argument("--skip-docker", action="store_true", help="skip benchmark 2")
    parser.add_argument(
        "--env-as-is",
        action="store_true",
        help="run with this environment unchanged (PYTHONDONTWRITEBYTECODE included)",
    )
    args = parser.parse_args(argv)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load}; {args.runs} interleaved runs per side")
    with tempfile.TemporaryDirectory() as pycache:
        env = _child_env(Path(pycache), args.env_as_is)
        if args.env_as_is:
            setting = os.environ.get("PYTHONDONTWRITEBYTECODE", "unset")
            print(f"environment as is (PYTHONDONTWRITEBYTECODE: {setting})")
        else:
            print("bytecode cached in a temporary PYTHONPYCACHEPREFIX, as an install has it")
        if not args.skip_dry_run:
            bench_dry_run(args.runs, env)
        if not args.skip_docker:
            bench_docker(args.runs, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())

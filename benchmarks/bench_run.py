"""Overhead of `minprow run` over a bare `docker run`: at most 0.5 s.

Both run the same image and command (fixtures/bench: a decorated periodic with
nothing to clone, so clone time is excluded as the budget says; minprow's run
includes loading the config, rendering, the container's start and wait, the
log stream, started.json / finished.json / prowjob.json / build-log.txt and the
cleanup). Needs a Docker engine; builds the busybox test image if it is missing.
Prints the medians and their difference against the budget.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IMAGE = "minprow-test-busybox:latest"
BUDGET_S = 0.5
RUNS = 10


def _ensure_image() -> None:
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as context:
        shutil.copy("/bin/busybox", Path(context) / "busybox")
        dockerfile = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
        shutil.copy(dockerfile, Path(context) / "Dockerfile")
        subprocess.run(["docker", "build", "-q", "-t", IMAGE, context], check=True)


def _median(command: list[str]) -> float:
    subprocess.run(command, capture_output=True, check=True)  # warm caches
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    _ensure_image()
    exe = shutil.which("minprow")
    minprow = [exe] if exe else [sys.executable, "-m", "minprow"]
    with tempfile.TemporaryDirectory() as state:
        bare = _median(["docker", "run", "--rm", IMAGE, "sh", "-c", "echo bench"])
        ours = _median(
            [
                *minprow,
                "run",
                "bench-true",
                "--config-path",
                str(REPO / "fixtures/bench/config.yaml"),
                "--job-config-path",
                str(REPO / "fixtures/bench/jobs"),
                "--state-dir",
                state,
                "--executor",
                "docker",
            ]
        )
    overhead = ours - bare
    verdict = "OK" if overhead <= BUDGET_S else "OVER BUDGET"
    print(
        f"docker run: median {bare * 1000:.0f} ms; minprow run: median {ours * 1000:.0f} ms; "
        f"overhead {overhead * 1000:.0f} ms (budget {BUDGET_S * 1000:.0f} ms) {verdict}"
    )
    return 0 if overhead <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

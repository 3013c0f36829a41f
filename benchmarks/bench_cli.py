"""Start-up cost of the CLI: `minprow --help` must return in under 0.5 s.

Runs the installed entry point in fresh processes (as a user would) and prints
the best and median wall time against the budget. Heavy libraries (kubernetes,
docker, textual, google-cloud-storage) must stay out of this path.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time

BUDGET_S = 0.5
RUNS = 15


def main() -> int:
    exe = shutil.which("minprow")
    command = [exe, "--help"] if exe else [sys.executable, "-m", "minprow", "--help"]
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    best, median = min(times), statistics.median(times)
    verdict = "OK" if median < BUDGET_S else "OVER BUDGET"
    print(
        f"minprow --help: best {best * 1000:.0f} ms, median {median * 1000:.0f} ms "
        f"(budget {BUDGET_S * 1000:.0f} ms) {verdict}"
    )
    return 0 if median < BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())

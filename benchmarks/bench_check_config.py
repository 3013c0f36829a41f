"""`minprow check-config` on each real corpus, as a whole process, against a bare parse.

The user waits for the whole process, start-up included, so both sides are fresh
processes started the same way:

- the bare parse: `python3 -c ...` that reads the same files `check-config` reads
  (config.yaml, plugins.yaml and the job files left after `.prowignore`) with
  PyYAML's C loader and does nothing else;
- `minprow check-config --config-path ... --job-config-path ... --plugin-config ...`
  (and `--strict`).

Runs interleave so machine load hits every side alike; each side's median and best
are printed with the ratio of medians. Budget: check-config (strict or not) at
most 1.3x the bare parse on kubernetes-test-infra (Kubernetes' own 3,849-job
config). The other corpora are printed for information: on a config of a hundred
files, both sides are mostly interpreter start-up, and the imports minprow needs
(pydantic, its models) weigh more than the parse.

Run: `python benchmarks/bench_check_config.py [--runs N] [--corpus NAME]`.
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

from minprow.config.yamlio import job_config_files

CORPUS_ROOT = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"
BUDGET = 1.3
BUDGETED = "kubernetes-test-infra"

_BARE = """
import sys, yaml
for line in open(sys.argv[1], encoding="utf-8"):
    with open(line.rstrip("\\n"), "rb") as fh:
        yaml.load(fh, Loader=yaml.CSafeLoader)
"""


def _time(command: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr.decode()[-2000:]}")
    return took


def bench(corpus: Path, runs: int) -> float:
    config = corpus / "config" / "prow" / "config.yaml"
    plugins = corpus / "config" / "prow" / "plugins.yaml"
    jobs = corpus / "config" / "jobs"
    files, _ = job_config_files(jobs)
    exe = shutil.which("minprow")
    minprow = [exe] if exe else [sys.executable, "-m", "minprow"]
    check = [
        *minprow,
        "check-config",
        "--config-path",
        str(config),
        "--job-config-path",
        str(jobs),
        "--plugin-config",
        str(plugins),
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(str(p) for p in [config, plugins, *files]) + "\n")
    try:
        sides = {
            "bare CSafeLoader parse": [sys.executable, "-c", _BARE, listing.name],
            "check-config": check,
            "check-config --strict": [*check, "--strict"],
        }
        for command in sides.values():
            _time(command)  # warm the file cache and the .pyc files
        times: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(runs):
            for name, command in sides.items():
                times[name].append(_time(command))
    finally:
        os.unlink(listing.name)
    base = statistics.median(times["bare CSafeLoader parse"])
    print(f"{corpus.name}: {len(files) + 2} files")
    worst = 0.0
    for name, values in times.items():
        median = statistics.median(values)
        ratio = median / base
        if name != "bare CSafeLoader parse":
            worst = max(worst, ratio)
        print(
            f"  {name:24} median {median * 1000:7.0f} ms, best {min(values) * 1000:7.0f} ms"
            f"  ({ratio:.2f}x)"
        )
    return worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--corpus", action="append", help="corpus folder name (default: all)")
    args = parser.parse_args(argv)
    folders = sorted(p for p in CORPUS_ROOT.iterdir() if (p / "config" / "jobs").is_dir())
    if args.corpus:
        folders = [p for p in folders if p.name in args.corpus]
    if not folders:
        print(f"no corpus found under {CORPUS_ROOT}", file=sys.stderr)
        return 2
    verdicts = []
    for folder in folders:
        worst = bench(folder, args.runs)
        if folder.name == BUDGETED:
            verdict = "OK" if worst <= BUDGET else "OVER"
            print(f"  worst ratio {worst:.2f}x (budget {BUDGET}x): {verdict}")
            verdicts.append(worst <= BUDGET)
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())

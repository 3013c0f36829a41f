"""How much `load_config` costs over just parsing the YAML, on a 4,000-job config.

Builds a job config of about 4,000 jobs by copying the real gardener/ci-infra
corpus (shared/corpus) ten times under renamed repos and periodic names (merge
keys, anchors, presets and decoration configs kept as they are), then times,
best of several runs:

- the bare parse: PyYAML's CSafeLoader over the same files, nothing else;
- `load_config`: reading, defaulting, presets, decoration merging, validation.

Budget: load_config <= 1.3x the bare parse. Run: `python benchmarks/bench_config.py`
(`--runs N`, `--copies N`, `--profile` for a cProfile of one load).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from minprow.config import load_config

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus" / "gardener-ci-infra"
BUDGET = 1.3


def build_config(target: Path, copies: int) -> tuple[Path, Path, Path]:
    """Write `copies` renamed copies of the corpus job config under `target`."""
    source_jobs = CORPUS / "config" / "jobs"
    jobs_dir = target / "jobs"
    for k in range(copies):
        for path in sorted(source_jobs.rglob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            data = yaml.load(text, Loader=yaml.CSafeLoader) or {}
            for periodic in data.get("periodics") or ():
                name = periodic["name"]
                text = re.sub(
                    rf"(name:\s*){re.escape(name)}\s*$", rf"\g<1>{name}-c{k}", text, flags=re.M
                )
            text = text.replace("gardener/", f"gardener{k}/")
            out = jobs_dir / f"copy{k}" / path.relative_to(source_jobs).parent / f"c{k}-{path.name}"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text, encoding="utf-8")
    return (
        CORPUS / "config" / "prow" / "config.yaml",
        jobs_dir,
        CORPUS / "config" / "prow" / "plugins.yaml",
    )


def bare_parse(config: Path, jobs: Path, plugins: Path) -> int:
    files = [config, *sorted(jobs.rglob("*.yaml")), plugins]
    for path in files:
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
    return len(files)


def best_of(runs: int, *fns: Callable[[], object]) -> list[float]:
    """Best time of each function; runs interleave so machine load hits both alike."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        config, jobs, plugins = build_config(Path(tmp), args.copies)
        loaded = load_config(config, jobs, plugins)
        counts = loaded.summary()
        files = bare_parse(config, jobs, plugins)
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(load_config, config, jobs, plugins)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        parse, load = best_of(
            args.runs,
            lambda: bare_parse(config, jobs, plugins),
            lambda: load_config(config, jobs, plugins),
        )
    ratio = load / parse
    print(
        f"jobs: {counts['jobs']} ({counts['presubmits']} presubmits, {counts['postsubmits']} "
        f"postsubmits, {counts['periodics']} periodics) in {files} files"
    )
    print(f"bare CSafeLoader parse: {parse * 1000:8.1f} ms (best of {args.runs})")
    print(f"load_config:            {load * 1000:8.1f} ms (best of {args.runs})")
    print(
        f"ratio:                  {ratio:8.2f}x (budget {BUDGET}x): {'OK' if ratio <= BUDGET else 'OVER'}"
    )
    return 0 if ratio <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

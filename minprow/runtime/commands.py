"""The one-shot commands behind the CLI: check-config, mkpj, get prowjobs.

Each returns the process exit code and prints what a user needs: results to
stdout, problems to stderr one per line, never a traceback for bad input.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from minprow.config import Config
    from minprow.model import ProwJob


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def load(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    *,
    strict: bool = False,
) -> Config | None:
    """Load the config, printing every problem and returning None when it is invalid."""
    from minprow.config import ConfigError, load_config

    if config_path is None and job_config_path is None:
        _fail("no configuration given: pass --config-path and/or --job-config-path")
        return None
    try:
        return load_config(config_path, job_config_path, plugin_config, strict=strict)
    except ConfigError as err:
        for problem in err.problems:
            print(problem, file=sys.stderr)
        count = len(err.problems)
        print(f"config is invalid: {count} problem{'s' * (count != 1)}", file=sys.stderr)
        return None


def describe(config: Config) -> str:
    """One line of counts, as `check-config` and `up` print them."""
    s = config.summary()
    return (
        f"{s.presubmits} presubmits, {s.postsubmits} postsubmits, "
        f"{s.periodics} periodics, {s.repos} repos"
    )


def check_config(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    *,
    strict: bool,
) -> int:
    config = load(config_path, job_config_path, plugin_config, strict=strict)
    if config is None:
        return 1
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if config.not_implemented:
        print(
            "not implemented by minprow (loaded, not acted on): "
            + ", ".join(config.not_implemented),
            file=sys.stderr,
        )
    print(f"config is valid: {describe(config)}")
    return 0


def get_prowjobs(state_dir: Path | None, output: str, *, state: str | None, job: str | None) -> int:
    from minprow.model import ProwJobState
    from minprow.store import default_state_dir, open_store

    if state is not None and state not in ProwJobState.__members__.values():
        states = ", ".join(s.value for s in ProwJobState)
        return _fail(f"--state {state!r} is not a ProwJob state (one of: {states})")
    directory = state_dir or default_state_dir()
    if not (directory / "prowjobs.db").exists():
        return _fail(
            f"no job store in {directory} (check --state-dir; `minprow up` creates one there)"
        )

    async def read() -> list[ProwJob]:
        store = open_store("sqlite", directory)
        await store.start()
        try:
            return store.list(state=ProwJobState(state) if state else None, job=job)
        finally:
            await store.close()

    jobs = sorted(asyncio.run(read()), key=_started, reverse=True)
    if output == "table":
        if not jobs:
            print("No ProwJobs found.", file=sys.stderr)
            return 0
        print(format_table(jobs, datetime.now(UTC)))
        return 0
    listing: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [pj.to_wire() for pj in jobs],
        "metadata": {"resourceVersion": ""},
    }
    if output == "json":
        print(json.dumps(listing, indent=4))
    else:
        print(yaml.safe_dump(listing, sort_keys=False), end="")
    return 0


def _started(pj: ProwJob) -> datetime:
    return pj.status.start_time or datetime.min.replace(tzinfo=UTC)


_COLUMNS = (
    "NAME",
    "JOB",
    "BUILDID",
    "TYPE",
    "ORG",
    "REPO",
    "PULLS",
    "STARTTIME",
    "COMPLETIONTIME",
    "STATE",
)


def format_table(jobs: list[ProwJob], now: datetime) -> str:
    """The printer columns of Prow's CRD, as `kubectl get prowjobs` shows them."""
    rows = [_COLUMNS]
    for pj in jobs:
        refs = pj.spec.refs
        rows.append(
            (
                pj.metadata.name,
                pj.spec.job,
                pj.status.build_id or "",
                pj.spec.type.value,
                refs.org if refs else "",
                refs.repo if refs else "",
                ",".join(str(p.number) for p in (refs.pulls or ())) if refs else "",
                age(pj.status.start_time, now),
                age(pj.status.completion_time, now),
                pj.status.state.value,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    return "\n".join(
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def age(when: datetime | None, now: datetime) -> str:
    """kubectl's short age: 45s, 3m20s, 5h10m, 3d4h (empty when unset)."""
    if when is None:
        return ""
    seconds = max(0, int((now - when).total_seconds()))
    days, rem = divmod(seconds, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, secs = divmod(rem, 60)
    if days:
        return f"{days}d{hours}h" if hours and days < 8 else f"{days}d"
    if hours:
        return f"{hours}h{minutes}m" if minutes and hours < 8 else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs}s" if secs and minutes < 10 else f"{minutes}m"
    return f"{secs}s"

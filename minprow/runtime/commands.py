"""The one-shot commands behind the CLI: check-config, mkpj, get prowjobs.

Each returns the process exit code and prints what a user needs: results to
stdout, problems to stderr one per line, never a traceback for bad input.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from collections.abc import Sequence

    from minprow.config import Config, ConfigError, Problem
    from minprow.model import ProwJob


def fail_with(message: str) -> int:
    """Print `message` as an error; the exit code 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def load(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    *,
    strict: bool = False,
) -> Config | None:
    """Load the config (`./config.yaml`, `./jobs` and `./plugins.yaml` when no path is
    given: runtime/defaults.py), printing every problem and returning None when it is
    invalid."""
    from minprow.config import ConfigError, load_config
    from minprow.runtime.defaults import discover

    config_path, job_config_path, plugin_config = discover(
        config_path, job_config_path, plugin_config
    ).args()
    if config_path is None and job_config_path is None:
        fail_with(
            f"no configuration: no config.yaml or jobs/ in {Path.cwd()}; "
            "run where they are, or pass --config-path and/or --job-config-path"
        )
        return None
    try:
        return load_config(
            config_path,
            job_config_path,
            plugin_config,
            strict=strict,
            processes=os.cpu_count() or 1,
        )
    except ConfigError as err:
        print_problems(err)
        return None


def print_problems(err: ConfigError) -> None:
    """Every problem of an invalid config on its own line, then the count."""
    for notice in err.notices:
        print(f"warning: {notice}", file=sys.stderr)
    for problem in err.problems:
        print(problem, file=sys.stderr)
    count = len(err.problems)
    print(f"config is invalid: {count} problem{'s' * (count != 1)}", file=sys.stderr)


def describe(config: Config) -> str:
    """One line of counts, as `check-config` and `up` print them."""
    s = config.summary()
    return (
        f"{s['presubmits']} presubmits, {s['postsubmits']} postsubmits, "
        f"{s['periodics']} periodics, {s['repos']} repos"
    )


def check_config(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    *,
    strict: bool,
    kubeconfigs: Sequence[Path] = (),
    kubeconfig_dir: Path | None = None,
    kubeconfig_suffix: str = "",
) -> int:
    """Prow's checkconfig; with kubeconfigs, every job's `cluster` is checked
    against their contexts (warnings, errors under `strict`)."""
    config = load(config_path, job_config_path, plugin_config, strict=strict)
    if config is None:
        return 1
    clusters: list[Problem] = []
    expiring: list[Problem] = []
    if kubeconfigs or kubeconfig_dir is not None:
        from minprow.config.clusters import unknown_cluster_warnings
        from minprow.kube.kubeconfig import KubeconfigError, context_names

        try:
            names = context_names(kubeconfigs, kubeconfig_dir, kubeconfig_suffix)
        except KubeconfigError as err:
            return fail_with(f"the kubeconfigs given cannot be used: {err}")
        clusters = unknown_cluster_warnings(config, names)
        # Credentials are not config: a warning even under --strict (a config repo's
        # CI must not fail because a token nears its end).
        expiring = _expiring(kubeconfigs, kubeconfig_dir, kubeconfig_suffix)
    if strict and clusters:
        from minprow.config import ConfigError

        print_problems(ConfigError(clusters, config.notices))
        return 1
    for warning in [*config.warnings, *clusters, *expiring, *config.notices]:
        print(f"warning: {warning}", file=sys.stderr)
    if config.not_implemented:
        print(
            "not implemented by minprow (loaded, not acted on): "
            + ", ".join(config.not_implemented),
            file=sys.stderr,
        )
    print(f"config is valid: {describe(config)}")
    return 0


def _expiring(
    kubeconfigs: Sequence[Path], kubeconfig_dir: Path | None, suffix: str
) -> list[Problem]:
    """Build clusters whose credentials expire within a day with nothing to renew them
    (no `minprow gencred` marker for serve --rotate-build-credentials, no kubelet or
    exec plugin)."""
    from minprow.config import Problem
    from minprow.kube.expiry import EXPIRY_WARNING, expiring_unrotated
    from minprow.kube.kubeconfig import KubeconfigError, load_cluster_configs

    try:
        configs = load_cluster_configs(kubeconfigs, kubeconfig_dir, suffix, in_cluster=False)
    except KubeconfigError:
        # Only the names matter to the cluster check; credentials check-config cannot
        # load here (a CA file only the pod has) are serve's to complain about.
        return []
    now = datetime.now(UTC)
    lines = expiring_unrotated(dict(configs.contexts), now, True, EXPIRY_WARNING)
    return [Problem("", line) for line in lines]


def get_prowjobs(state_dir: Path | None, output: str, *, state: str | None, job: str | None) -> int:
    from minprow.model import ProwJobState
    from minprow.runtime import defaults
    from minprow.store import DB_FILE, StoreError, open_store

    if state is not None and state not in ProwJobState.__members__.values():
        states = ", ".join(s.value for s in ProwJobState)
        return fail_with(f"--state {state!r} is not a ProwJob state (one of: {states})")
    where = defaults.project_store(state_dir)
    where.announce("minprow get")
    directory = where.path
    if not (directory / DB_FILE).exists():
        return fail_with(f"no job store in {where.describe()}: `minprow up` run there creates it")

    async def read() -> list[ProwJob]:
        store = open_store("sqlite", directory)
        await store.start()
        try:
            return store.list(state=ProwJobState(state) if state else None, job=job)
        finally:
            await store.close()

    try:
        jobs = sorted(asyncio.run(read()), key=_started, reverse=True)
    except StoreError as err:
        return fail_with(f"cannot read the job store: {err}")
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


def mkpj(
    config_path: Path | None,
    job_config_path: Path | None,
    *,
    job_name: str,
    base_ref: str,
    base_sha: str,
    pull_number: int,
    pull_sha: str,
    pull_author: str,
    pull_head_ref: str,
) -> int:
    """Prow's mkpj: the ProwJob for `job_name`, printed as YAML (keys sorted, as Prow's
    YAML marshaller writes them). Where Prow would ask GitHub for a missing ref, this
    build has no GitHub client yet, so the missing flags are named instead."""
    from minprow import pjutil
    from minprow.config import Periodic, Postsubmit, Presubmit
    from minprow.model import ProwJobSpec, Pull, Refs

    config = load(config_path, job_config_path, None)
    if config is None:
        return 1
    found = config.find_job(job_name)
    if found is None:
        return fail_with(f"job {job_name!r} not found in the config")
    kind, job, org_repo = found
    spec: ProwJobSpec
    if isinstance(job, Periodic) or org_repo is None:
        assert isinstance(job, Periodic)
        spec = pjutil.periodic_spec(job)
    else:
        org, repo = org_repo.split("/", 1)
        wanted = {"--base-ref": base_ref, "--base-sha": base_sha}
        refs = Refs(org=org, repo=repo, base_ref=base_ref, base_sha=base_sha)
        if isinstance(job, Presubmit):
            wanted |= {
                "--pull-number": str(pull_number or ""),
                "--pull-sha": pull_sha,
                "--pull-author": pull_author,
            }
            refs.pulls = [
                Pull(
                    number=pull_number,
                    author=pull_author,
                    sha=pull_sha,
                    head_ref=pull_head_ref or None,
                )
            ]
        missing = [flag for flag, value in wanted.items() if not value]
        if missing:
            return fail_with(
                f"{kind.value} {job_name!r} of {org_repo} needs {', '.join(missing)} "
                "(minprow cannot look them up on GitHub yet)"
            )
        if isinstance(job, Presubmit):
            spec = pjutil.presubmit_spec(job, refs)
        else:
            assert isinstance(job, Postsubmit)
            spec = pjutil.postsubmit_spec(job, refs)
    pj = pjutil.new_prowjob(
        spec,
        job.labels,
        job.annotations,
        now=datetime.now(UTC),
        namespace=config.prowjob_namespace,
    )
    print(yaml.safe_dump(pj.to_wire(), sort_keys=True), end="")
    return 0

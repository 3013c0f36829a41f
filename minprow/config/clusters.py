"""Jobs whose `cluster` names no build cluster of the kubeconfigs given.

Corresponds to `validateJobCluster` of Prow's cmd/checkconfig, which compares
each job's `cluster` with the build clusters plank knows (from its build
cluster status file); minprow compares it with the context names of the
kubeconfigs `check-config` is given, as `serve` would load them, with Prow's
aliases: `in-cluster` and `default` (a job's `cluster` when it names none)
always exist. Prow reports these as checkconfig warnings, errors under
`--strict`; so does minprow.
"""

from __future__ import annotations

from collections.abc import Collection

from minprow.config.configuration import Config
from minprow.config.jobs import JobBase
from minprow.config.locate import with_lines
from minprow.config.problems import Problem


def unknown_cluster_warnings(config: Config, contexts: Collection[str]) -> list[Problem]:
    """A warning, with its file and line, for each job whose `cluster` is not in `contexts`."""
    jobs: list[JobBase] = [*config.all_presubmits(), *config.all_postsubmits(), *config.periodics]
    known = ", ".join(sorted(contexts))
    warnings = [
        Problem(
            job.source_path,
            f'no kubeconfig context is named "{job.cluster}" (known: {known}), so plank '
            "cannot start this job: add a context named "
            f'"{job.cluster}" to the kubeconfigs, or set the job\'s cluster to a known one',
            job=job.name,
            field="cluster",
        )
        for job in jobs
        if job.cluster not in contexts
    ]
    (located,) = with_lines(warnings)
    return located

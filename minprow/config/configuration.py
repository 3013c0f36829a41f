"""The loaded configuration: jobs, the sections minprow implements, plugins.

Corresponds to Prow's `config.Config` (its `JobConfig` and `ProwConfig` halves) in
pkg/config/config.go, plus the plugin `Configuration`. A `Config` is the result
of `load_config`, already defaulted and validated; treat it as read-only (jobs
share defaulted decoration configs and parts of their pod specs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from minprow.config.branch_protection import BranchProtection
from minprow.config.jobs import JobBase, Periodic, Postsubmit, Presubmit
from minprow.config.plugins import PluginConfig
from minprow.config.problems import Problem
from minprow.config.prow import GitHubReporter, Horologium, Plank, Preset, Sinker, SlackReporter
from minprow.model import ProwJobType


@dataclass
class Config:
    """Prow's configuration as minprow reads it (see `load_config`)."""

    presubmits: dict[str, list[Presubmit]] = field(default_factory=dict)
    """Presubmits by "org/repo"."""
    postsubmits: dict[str, list[Postsubmit]] = field(default_factory=dict)
    """Postsubmits by "org/repo"."""
    periodics: list[Periodic] = field(default_factory=list)
    presets: list[Preset] = field(default_factory=list)
    plank: Plank = field(default_factory=Plank)
    sinker: Sinker = field(default_factory=Sinker)
    github_reporter: GitHubReporter = field(default_factory=GitHubReporter)
    slack_reporter_configs: dict[str, SlackReporter] = field(default_factory=dict)
    """Slack reporters by "org/repo", "org" or "*"."""
    horologium: Horologium = field(default_factory=Horologium)
    prowjob_namespace: str = "default"
    """Where ProwJobs live; default "default"."""
    pod_namespace: str = "default"
    """Where job pods run; default "default"."""
    log_level: str = "info"
    """Default "info"."""
    default_job_timeout: timedelta = timedelta(hours=24)
    """Prow's `default_job_timeout`; default 24h."""
    decorate_all_jobs: bool = False
    """Jobs that do not say `decorate` are decorated when true; default false."""
    plugins: PluginConfig = field(default_factory=PluginConfig)
    branch_protection: BranchProtection = field(default_factory=BranchProtection)
    """`branch-protection`: what branchprotector keeps on GitHub's branches."""
    not_implemented: list[str] = field(default_factory=list)
    """Sections present in config.yaml that minprow accepts but does not implement, sorted."""
    warnings: list[Problem] = field(default_factory=list)
    """Problems that do not stop loading (errors under strict)."""
    notices: list[Problem] = field(default_factory=list)
    """Advice that never stops loading, strict or not: what Prow accepts but
    probably does not mean what it says (a field name in odd case, a cron spec
    whose empty items are dropped, a default minprow filled in)."""
    raw_sections: dict[str, Any] = field(default_factory=dict)
    """The not-implemented sections as read, by name."""
    sources: list[Path] = field(default_factory=list)
    """Every file read, for reload watching."""
    _by_name: dict[str, tuple[ProwJobType, JobBase, str | None]] | None = field(
        default=None, repr=False, compare=False
    )

    def presubmits_for(self, org: str, repo: str) -> list[Presubmit]:
        """Prow's `GetPresubmitsStatic`: the presubmits of one repo."""
        return self.presubmits.get(f"{org}/{repo}", [])

    def postsubmits_for(self, org: str, repo: str) -> list[Postsubmit]:
        """Prow's `GetPostsubmitsStatic`: the postsubmits of one repo."""
        return self.postsubmits.get(f"{org}/{repo}", [])

    def periodics_for_repo(self, org: str, repo: str) -> list[Periodic]:
        """Prow's `PeriodicsMatchingExtraRefs`: periodics cloning this repo."""
        return [
            p for p in self.periodics if any(r.org == org and r.repo == repo for r in p.extra_refs)
        ]

    def find_job(self, name: str) -> tuple[ProwJobType, JobBase, str | None] | None:
        """The job called `name`: its type, the job, and its "org/repo" (None for
        periodics). Presubmits are searched first, then postsubmits, then periodics;
        None when no job has the name."""
        if self._by_name is None:
            index: dict[str, tuple[ProwJobType, JobBase, str | None]] = {}
            for periodic in reversed(self.periodics):
                index[periodic.name] = (ProwJobType.PERIODIC, periodic, None)
            for jobs_by_repo, kind in (
                (self.postsubmits, ProwJobType.POSTSUBMIT),
                (self.presubmits, ProwJobType.PRESUBMIT),
            ):
                for repo in sorted(jobs_by_repo, reverse=True):
                    for job in reversed(jobs_by_repo[repo]):
                        index[job.name] = (kind, job, repo)
            self._by_name = index
        return self._by_name.get(name)

    def repos(self) -> set[str]:
        """Repos ("org/repo") with presubmits or postsubmits, as Prow's `AllRepos`
        counts them from the job config."""
        return {r for r, jobs in self.presubmits.items() if jobs} | {
            r for r, jobs in self.postsubmits.items() if jobs
        }

    def all_presubmits(self) -> list[Presubmit]:
        return [job for jobs in self.presubmits.values() for job in jobs]

    def all_postsubmits(self) -> list[Postsubmit]:
        return [job for jobs in self.postsubmits.values() for job in jobs]

    def slack_reporter_for(self, org: str, repo: str) -> SlackReporter | None:
        """Prow's `GetSlackReporter`: "org/repo", then "org", then "*"."""
        table = self.slack_reporter_configs
        if org:
            for key in (f"{org}/{repo}", org):
                if key in table:
                    return table[key]
        return table.get("*")

    def summary(self) -> dict[str, int]:
        """Counts for `check-config`: jobs by type, repos, presets, warnings."""
        presubmits = sum(len(jobs) for jobs in self.presubmits.values())
        postsubmits = sum(len(jobs) for jobs in self.postsubmits.values())
        return {
            "presubmits": presubmits,
            "postsubmits": postsubmits,
            "periodics": len(self.periodics),
            "jobs": presubmits + postsubmits + len(self.periodics),
            "repos": len(self.repos()),
            "presets": len(self.presets),
            "warnings": len(self.warnings),
        }

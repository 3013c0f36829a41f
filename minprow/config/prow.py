"""The sections of Prow's config.yaml that minprow implements, with Prow's defaults.

Corresponds to pkg/config/config.go: `Plank` (with `Controller`),
`DefaultDecorationConfigEntry`, `Sinker`, `GitHubReporter`, `SlackReporter`,
`Horologium`, `Preset`, and the defaulting in `parseProwConfig`. Every setting
documents its default, which is Prow's. Sections minprow does not implement are
listed in `NOT_IMPLEMENTED_SECTIONS` and only reported, never interpreted.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from minprow.model import DecorationConfig, GoDuration, ProwJobState, ProwJobType

JOB_CONFIG_SECTIONS = frozenset(
    {"presets", "presubmits", "postsubmits", "periodics", "decorate_all_jobs", "prow_ignored"}
)
"""Top-level keys of Prow's `JobConfig`, allowed in config.yaml and in job config files."""

IMPLEMENTED_SECTIONS = frozenset(
    {
        "plank",
        "sinker",
        "github_reporter",
        "slack_reporter_configs",
        "horologium",
        "prowjob_namespace",
        "pod_namespace",
        "log_level",
        "default_job_timeout",
        "branch-protection",
    }
)
"""Top-level keys of Prow's `ProwConfig` that minprow reads."""

NOT_IMPLEMENTED_SECTIONS = frozenset(
    {
        "config_version_sha",
        "tide",
        "deck",
        "gerrit",
        "in_repo_config",
        "gangway",
        "moonraker",
        "scheduler",
        "jenkins_operators",
        "push_gateway",
        "owners_dir_denylist",
        "pubsub_subscriptions",
        "pubsub_triggers",
        "github",
        "status_error_link",
        "managed_webhooks",
        "prowjob_default_entries",
        "disabled_clusters",
    }
)
"""Top-level keys Prow knows and minprow accepts without implementing them."""

LOG_LEVELS = ("panic", "fatal", "error", "warn", "warning", "info", "debug", "trace")
"""The levels Prow's `log_level` accepts (logrus's)."""

DEFAULT_SLACK_REPORT_TEMPLATE = (
    "Job {{.Spec.Job}} of type {{.Spec.Type}} ended with state {{.Status.State}}. "
    "<{{.Status.URL}}|View logs>"
)
"""Prow's default `report_template` of a Slack reporter."""


class _Section(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


def _by_org_repo(table: dict[str, Any], org: str, repo: str) -> Any:
    """Look up "org/repo", then "org", then "*" (Prow's usual precedence)."""
    if not org:
        return table.get("*")
    for key in (f"{org}/{repo}", org, "*"):
        if key in table:
            return table[key]
    return None


def matches_filter(given_repo: str, given_cluster: str, org_repo: str, cluster: str) -> bool:
    """Prow's `matches`: whether an entry's `repo` / `cluster` filter admits a job.

    An empty or "*" filter matches everything; `repo` may name the org only."""
    if given_cluster not in ("", "*") and given_cluster != cluster:
        return False
    if given_repo in ("", "*", org_repo):
        return True
    org_repo = org_repo.removeprefix("https://").removeprefix("http://")
    return given_repo == org_repo or given_repo == org_repo.split("/")[0]


class DefaultDecorationConfigEntry(_Section):
    """Prow's `DefaultDecorationConfigEntry`: decoration defaults for matching jobs.

    `repo` ("org" or "org/repo", default: all) and `cluster` (default: all) filter;
    all matching entries apply, later ones overriding earlier ones."""

    repo: str = ""
    cluster: str = ""
    config: DecorationConfig | None = None

    def matches(self, org_repo: str, cluster: str) -> bool:
        return matches_filter(self.repo, self.cluster, org_repo, cluster)


class Plank(_Section):
    """Prow's `Plank` (with its embedded `Controller`)."""

    job_url_template: str = ""
    """Go template for a job's URL; default: none."""
    report_template: str = ""
    """Deprecated single report template; becomes `report_templates["*"]`."""
    report_templates: dict[str, str] = Field(default_factory=dict)
    """Report comment templates by "org/repo", "org" or "*"; default: none."""
    max_concurrency: int = 0
    """Jobs running at once across plank; 0 (default) is no limit."""
    max_goroutines: int = 20
    """Parallel workers; default 20."""
    pod_pending_timeout: GoDuration = timedelta(minutes=10)
    """Default 10m."""
    pod_running_timeout: GoDuration = timedelta(hours=48)
    """Default 48h."""
    pod_unscheduled_timeout: GoDuration = timedelta(minutes=5)
    """Default 5m."""
    max_revivals: int = 3
    """Retries after an unexpected pod stop; default 3."""
    default_decoration_configs: dict[str, DecorationConfig] = Field(default_factory=dict)
    """Old form: decoration defaults by "*", "org" or "org/repo"; default: none."""
    default_decoration_config_entries: list[DefaultDecorationConfigEntry] = Field(
        default_factory=list
    )
    """New form, exclusive with the old; default: none."""
    job_url_prefix_config: dict[str, str] = Field(default_factory=dict)
    """Job URL prefixes by "org/repo", "org" or "*"; default: none."""
    job_url_prefix_disable_append_storage_provider: bool = Field(
        default=False, alias="jobURLPrefixDisableAppendStorageProvider"
    )
    build_cluster_status_file: str = ""
    job_queue_capacities: dict[str, int] = Field(default_factory=dict)
    """Concurrency per job queue name; negative is unlimited; default: none."""

    _entries: list[DefaultDecorationConfigEntry] = PrivateAttr(default_factory=list)

    @model_validator(mode="after")
    def _finalize(self) -> Plank:
        # Prow's defaultAndValidateReportTemplate and FinalizeDefaultDecorationConfigs.
        if self.report_template and not self.report_templates:
            self.report_templates = {"*": self.report_template}
        self._entries = (
            _map_to_entries(self.default_decoration_configs)
            if self.default_decoration_configs
            else list(self.default_decoration_config_entries)
        )
        return self

    @property
    def decoration_entries(self) -> list[DefaultDecorationConfigEntry]:
        """The default decoration entries in force, in the order they are merged."""
        return self._entries

    def guess_default_decoration_config(self, org_repo: str, cluster: str) -> DecorationConfig:
        """Prow's `GuessDefaultDecorationConfig`: the merged defaults for a repo and cluster."""
        return self.merge_default_decoration_config(org_repo, cluster, None)

    def merge_default_decoration_config(
        self, org_repo: str, cluster: str, job: DecorationConfig | None
    ) -> DecorationConfig:
        """Prow's `mergeDefaultDecorationConfig`: matching entries merged in order, later
        ones winning, then the job's own settings over the result."""
        merged: DecorationConfig | None = None
        for entry in self._entries:
            if entry.config is not None and entry.matches(org_repo, cluster):
                merged = entry.config.apply_default(merged)
        if job is not None:
            merged = job.apply_default(merged)
        return merged if merged is not None else DecorationConfig()

    def job_url_prefix(self, org: str, repo: str) -> str:
        """Prow's `GetJobURLPrefix` lookup: "org/repo", then "org", then "*"."""
        table = {k: v for k, v in self.job_url_prefix_config.items() if v}
        value = _by_org_repo(table, org, repo)
        return str(value) if value is not None else ""

    def report_template_for(self, org: str, repo: str) -> str | None:
        """Prow's `ReportTemplateForRepo`: the report template for a repo, if any."""
        value = _by_org_repo(self.report_templates, org, repo)
        return str(value) if value is not None else None


def _map_to_entries(table: dict[str, DecorationConfig]) -> list[DefaultDecorationConfigEntry]:
    # Prow's defaultDecorationMapToSlice: "*" first, then orgs, then repos (Prow
    # iterates a Go map there, so within orgs and repos the order is sorted here).
    keys = [k for k in ("*",) if k in table]
    keys += sorted(k for k in table if k != "*" and "/" not in k)
    keys += sorted(k for k in table if k != "*" and "/" in k)
    return [DefaultDecorationConfigEntry(repo=k, cluster="", config=table[k]) for k in keys]


class Sinker(_Section):
    """Prow's `Sinker`: garbage collection of old ProwJobs and pods."""

    resync_period: GoDuration = timedelta(hours=1)
    """How often sinker runs; default 1h."""
    max_prowjob_age: GoDuration = timedelta(days=7)
    """ProwJobs older than this are deleted; default 168h (one week)."""
    max_pod_age: GoDuration = timedelta(hours=24)
    """Pods older than this are deleted; default 24h."""
    terminated_pod_ttl: GoDuration | None = None
    """How long a finished pod is kept; default: `max_pod_age`."""
    exclude_clusters: list[str] = Field(default_factory=list)
    """Build clusters sinker leaves alone; default: none."""

    @model_validator(mode="after")
    def _default_ttl(self) -> Sinker:
        if self.terminated_pod_ttl is None:
            self.terminated_pod_ttl = self.max_pod_age
        return self


class GitHubReporter(_Section):
    """Prow's `GitHubReporter`: which jobs crier reports to GitHub."""

    job_types_to_report: list[ProwJobType] = Field(
        default_factory=lambda: [ProwJobType.PRESUBMIT, ProwJobType.POSTSUBMIT]
    )
    """Default [presubmit, postsubmit], which are also the only types allowed."""
    no_comment_repos: list[str] = Field(default_factory=list)
    summary_comment_repos: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _types(cls, data: Any) -> Any:
        # Enums arrive as YAML strings; empty means the default (Prow).
        if isinstance(data, dict) and "job_types_to_report" in data:
            data = dict(data)
            types = data["job_types_to_report"]
            if not types:
                del data["job_types_to_report"]
            elif isinstance(types, list):
                data["job_types_to_report"] = [_enum(ProwJobType, t) for t in types]
        return data


def _enum(kind: type[ProwJobType] | type[ProwJobState], value: Any) -> Any:
    try:
        return kind(value)
    except ValueError:
        return value  # left for the model to reject with its own message


class SlackReporter(_Section):
    """Prow's `SlackReporter`: one entry of `slack_reporter_configs`."""

    job_types_to_report: list[ProwJobType] = Field(default_factory=list)
    job_states_to_report: list[ProwJobState] = Field(default_factory=list)
    host: str = ""
    channel: str = ""
    """Required."""
    report_template: str = DEFAULT_SLACK_REPORT_TEMPLATE
    """Go template of the message; default Prow's one-line summary."""
    report: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _enums(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for key, kind in (
                ("job_types_to_report", ProwJobType),
                ("job_states_to_report", ProwJobState),
            ):
                if isinstance(data.get(key), list):
                    data[key] = [_enum(kind, v) for v in data[key]]
            if data.get("report_template") == "":
                del data["report_template"]
        return data


MIN_TICK = timedelta(seconds=1)
"""The shortest tick horologium takes: a `tick_interval` below it (zero, negative)
is taken as this, never a busy loop."""


class Horologium(_Section):
    """Prow's `Horologium`."""

    tick_interval: GoDuration = timedelta(minutes=1)
    """How often periodics are checked; default 1m."""

    @property
    def tick(self) -> timedelta:
        """How often horologium really checks: `tick_interval`, at least `MIN_TICK`."""
        return max(self.tick_interval, MIN_TICK)


class Preset(_Section):
    """Prow's `Preset`: env, volumes, volume mounts and tolerations added to the
    pod spec of every job whose labels include all of the preset's `labels`
    (a preset without labels applies to every job)."""

    labels: dict[str, str] = Field(default_factory=dict)
    env: list[dict[str, Any]] = Field(default_factory=list)
    volumes: list[dict[str, Any]] = Field(default_factory=list)
    volume_mounts: list[dict[str, Any]] = Field(default_factory=list, alias="volumeMounts")
    tolerations: list[dict[str, Any]] = Field(default_factory=list)

    def applies_to(self, labels: dict[str, str]) -> bool:
        """Whether a job with these labels gets this preset."""
        return all(labels.get(k) == v for k, v in self.labels.items())

    def describe(self) -> str:
        """A short name for messages: its labels, or "(no labels)"."""
        if not self.labels:
            return "preset (no labels)"
        return "preset " + ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))

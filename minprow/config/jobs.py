"""Job definitions as Prow's job config declares them: presubmits, postsubmits, periodics.

Corresponds to Prow's pkg/config/jobs.go (`JobBase`, `UtilityConfig`, `Presubmit`,
`Postsubmit`, `Periodic`, `Brancher`, `RegexpChangeMatcher`, `Reporter`) and the
per-job defaulting of pkg/config/config.go (`defaultPresubmitFields`,
`defaultPostsubmitFields`, `DefaultTriggerFor`, `DefaultRerunCommandFor`).

Attribute names are Prow's YAML field names. Field types are checked strictly, as
Go's JSON decoding does (`always_run: "yes"` is an error, not `True`). Fields Prow
does not know are kept in `model_extra` so the checker can report them. Regular
expressions are Go's (RE2, minprow.config.goregex), compiled once per distinct
pattern; matching follows Go's `MatchString`, which is an unanchored search.
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from minprow.config.goregex import Regexp, compile_regex
from minprow.model import DecorationConfig, ProwJobType, Refs, ReporterConfig, parse_duration

DEFAULT_AGENT = "kubernetes"
"""Prow's `prowapi.KubernetesAgent`, the agent of a job that names none."""
DEFAULT_CLUSTER = "default"
"""Prow's `kube.DefaultClusterAlias`, the build cluster of a job that names none."""
AGENTS = ("kubernetes", "jenkins", "tekton-pipeline")
"""The agents Prow accepts (`prowapi.KubernetesAgent`, `JenkinsAgent`, `TektonAgent`)."""


def default_trigger_for(name: str) -> str:
    """Prow's `DefaultTriggerFor`: the comment regex that triggers job `name`.

    The name is inserted as is, not escaped, exactly as Prow does."""
    return rf"(?m)^/test( | .* ){name},?($|\s.*)"


def default_rerun_command_for(name: str) -> str:
    """Prow's `DefaultRerunCommandFor`: the comment that reruns job `name`."""
    return f"/test {name}"


@lru_cache(maxsize=4096)
def _duration(text: str) -> timedelta:
    return parse_duration(text)


def branch_from_ref(ref: str) -> str:
    """The branch (or tag) name of a git ref, as Prow's `PushEvent.Branch()` gives it.

    "refs/heads/main" -> "main", "refs/tags/v1.0" -> "v1.0"; anything else unchanged.
    Tags are matched against `branches` / `skip_branches` like branches."""
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)


class Retry(_Strict):
    """Prow's `Retry` of a periodic: how often a failed run is retried."""

    run_all: bool = False
    attempts: int = 0
    interval: str = ""


class JenkinsSpec(_Strict):
    """Prow's `JenkinsSpec` (only meaningful for `agent: jenkins`)."""

    github_branch_source_job: bool = False


class JobBase(_Strict):
    """Attributes every job has: Prow's `JobBase` with its embedded `UtilityConfig`.

    Defaults are Prow's: `agent` "kubernetes", `cluster` "default"; `namespace`
    is set to the config's `pod_namespace` by the loader when the job leaves it
    unset or empty (Prow's `defaultJobBase`)."""

    name: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    max_concurrency: int = 0
    """0 means no limit."""
    agent: str = DEFAULT_AGENT
    cluster: str = DEFAULT_CLUSTER
    namespace: str | None = None
    error_on_eviction: bool = False
    spec: dict[str, Any] | None = None
    """The Kubernetes PodSpec as a mapping, with presets merged in by the loader."""
    pipeline_run_spec: dict[str, Any] | None = None
    tekton_pipeline_run_spec: dict[str, Any] | None = None
    reporter_config: ReporterConfig | None = None
    rerun_auth_config: dict[str, Any] | None = None
    hidden: bool = False
    prowjob_defaults: dict[str, Any] | None = None
    job_queue_name: str = ""

    # UtilityConfig
    decorate: bool | None = None
    path_alias: str = ""
    clone_uri: str = ""
    skip_submodules: bool = False
    clone_depth: int = 0
    skip_fetch_head: bool = False
    extra_refs: list[Refs] = Field(default_factory=list)
    decoration_config: DecorationConfig | None = None
    """After loading, for a decorated job: the job's own settings merged over
    plank's defaults for its repo and cluster (Prow's `setPresubmitDecorationDefaults`)."""

    _source_path: str = PrivateAttr(default="")

    @property
    def source_path(self) -> str:
        """The file this job was read from (Prow's `SourcePath`); "" when built in code."""
        return self._source_path

    @property
    def is_decorated(self) -> bool:
        """Whether plank decorates the pod (`decorate: true`, or defaulted to it)."""
        return bool(self.decorate)

    @property
    def unknown_fields(self) -> list[str]:
        """YAML keys of this job that Prow does not know."""
        return sorted(self.model_extra or ())


class Brancher(_Strict):
    """Prow's `Brancher`: which branches a job runs against.

    An empty brancher runs against every branch. `skip_branches` wins over
    `branches`. Each list is joined with `|` into one regex that is searched
    (unanchored, like Go's `MatchString`), so `release-v1.149` also matches
    `release-v1x149` and `release-v1.1490`."""

    branches: list[str] = Field(default_factory=list)
    skip_branches: list[str] = Field(default_factory=list)

    def branch_regex(self) -> Regexp | None:
        """`branches` joined with `|`, compiled (cached per pattern); None if unset."""
        return compile_regex("|".join(self.branches)) if self.branches else None

    def skip_branch_regex(self) -> Regexp | None:
        """`skip_branches` joined with `|`, compiled (cached per pattern); None if unset."""
        return compile_regex("|".join(self.skip_branches)) if self.skip_branches else None

    def runs_against_all_branches(self) -> bool:
        """Prow's `RunsAgainstAllBranch`: neither list is set."""
        return not self.branches and not self.skip_branches

    def should_run_for_branch(self, branch: str) -> bool:
        """Prow's `Brancher.ShouldRun`: whether the job runs against `branch`."""
        if not self.branches and not self.skip_branches:
            return True
        if self.skip_branches and compile_regex("|".join(self.skip_branches)).search(branch):
            return False
        return (
            not self.branches or compile_regex("|".join(self.branches)).search(branch) is not None
        )

    def could_run(self, base_ref: str) -> bool:
        """Prow's `CouldRun(baseRef)`: the brancher admits the base ref."""
        return self.should_run_for_branch(base_ref)

    def intersects(self, other: Brancher) -> bool:
        """Prow's `Brancher.Intersects`: both could trigger for the same branch."""
        if self.runs_against_all_branches() or other.runs_against_all_branches():
            return True
        if self.branches:
            if other.branches:
                return bool(set(self.branches) & set(other.branches))
            return any(other.should_run_for_branch(b) for b in sorted(set(self.branches)))
        if not other.branches:
            return True
        return other.intersects(self)


class RegexpChangeMatcher(_Strict):
    """Prow's `RegexpChangeMatcher`: run only when certain files change.

    `run_if_changed`: run if any changed file matches. `skip_if_only_changed`:
    run if any changed file does not match. With no changed files at all,
    neither runs (Prow's `RunsAgainstChanges` over an empty list is false)."""

    run_if_changed: str = ""
    skip_if_only_changed: str = ""

    def changes_regex(self) -> Regexp | None:
        """The compiled change regex (`run_if_changed`, else `skip_if_only_changed`)."""
        pattern = self.run_if_changed or self.skip_if_only_changed
        return compile_regex(pattern) if pattern else None

    def could_run_with_changes(self) -> bool:
        """Prow's `RegexpChangeMatcher.CouldRun`: a change regex is set."""
        return bool(self.run_if_changed or self.skip_if_only_changed)

    def runs_against_changes(self, changes: list[str]) -> bool:
        """Prow's `RunsAgainstChanges`: whether these changed paths trigger the job."""
        rx = self.changes_regex()
        if rx is None:
            return False
        if self.run_if_changed:
            return any(rx.search(path) for path in changes)
        return any(not rx.search(path) for path in changes)

    def can_run_with_changes(self, changes: list[str]) -> tuple[bool, bool]:
        """Prow's `RegexpChangeMatcher.ShouldRun`: (determined, should_run).

        Undetermined (False, False) when no change regex is set."""
        if not self.could_run_with_changes():
            return False, False
        return True, self.runs_against_changes(changes)


class Presubmit(JobBase, Brancher, RegexpChangeMatcher):
    """A job run on pull requests: Prow's `Presubmit` (with `Brancher`,
    `RegexpChangeMatcher` and `Reporter`).

    Defaults as Prow's `defaultPresubmitFields`: `context` is the job name;
    when neither `trigger` nor `rerun_command` is set, `trigger` is
    `(?m)^/test( | .* )<name>,?($|\\s.*)` and `rerun_command` is `/test <name>`.
    Setting only one of them is a validation error, not defaulted."""

    always_run: bool = False
    optional: bool = False
    trigger: str = ""
    rerun_command: str = ""
    run_before_merge: bool = False
    context: str = ""
    skip_report: bool = False
    jenkins_spec: JenkinsSpec | None = None

    @model_validator(mode="after")
    def _defaults(self) -> Presubmit:
        if not self.context:
            self.context = self.name
        if not self.trigger and not self.rerun_command:
            self.trigger = default_trigger_for(self.name)
            self.rerun_command = default_rerun_command_for(self.name)
        return self

    job_type: ClassVar[ProwJobType] = ProwJobType.PRESUBMIT

    def trigger_regex(self) -> Regexp | None:
        """The compiled `trigger` (cached per pattern); None if unset."""
        return compile_regex(self.trigger) if self.trigger else None

    def trigger_matches(self, body: str) -> bool:
        """Prow's `TriggerMatches`: whether a comment body triggers this job."""
        return bool(self.trigger) and compile_regex(self.trigger).search(body) is not None

    def triggers_on(self, comment: str) -> bool:
        """Alias of `trigger_matches`."""
        return self.trigger_matches(comment)

    def should_run(
        self,
        base_ref: str,
        changed_files: list[str] | None = None,
        *,
        forced: bool = False,
        defaults: bool = False,
    ) -> bool:
        """Prow's `Presubmit.ShouldRun`: whether to run for a PR against `base_ref`.

        `forced` is an explicit `/test`; `defaults` is the outcome when the job is
        not determined by its change regexes (Prow passes it for `/retest` etc.).
        `changed_files` is only consulted when a change regex is set."""
        if not self.should_run_for_branch(base_ref):
            return False
        if self.always_run or forced:
            return True
        determined, run = self.can_run_with_changes(changed_files or [])
        return (determined and run) or defaults

    def needs_explicit_trigger(self) -> bool:
        """Prow's `NeedsExplicitTrigger`: runs only when commented on."""
        return not self.always_run and not self.could_run_with_changes()

    def triggers_conditionally(self) -> bool:
        """Prow's `TriggersConditionally`: may or may not run for a PR."""
        return self.needs_explicit_trigger() or self.could_run_with_changes()

    def is_optional(self) -> bool:
        """Whether the job's status is not required for merge."""
        return self.optional

    def context_required(self) -> bool:
        """Prow's `ContextRequired`: neither optional nor skipping the report."""
        return not self.optional and not self.skip_report


class Postsubmit(JobBase, Brancher, RegexpChangeMatcher):
    """A job run on pushes to a branch (or tag): Prow's `Postsubmit`.

    `always_run` unset means run (postsubmits run unless something says not to);
    `context` defaults to the job name (Prow's `defaultPostsubmitFields`)."""

    always_run: bool | None = None
    context: str = ""
    skip_report: bool = False
    jenkins_spec: JenkinsSpec | None = None

    @model_validator(mode="after")
    def _defaults(self) -> Postsubmit:
        if not self.context:
            self.context = self.name
        return self

    job_type: ClassVar[ProwJobType] = ProwJobType.POSTSUBMIT

    def should_run(self, base_ref: str, changed_files: list[str] | None = None) -> bool:
        """Prow's `Postsubmit.ShouldRun`: whether a push to `base_ref` runs this job.

        `base_ref` may be a full ref ("refs/tags/v1"); it is reduced to the
        branch or tag name first."""
        if not self.should_run_for_branch(branch_from_ref(base_ref)):
            return False
        determined, run = self.can_run_with_changes(changed_files or [])
        if determined:
            return run
        return True if self.always_run is None else self.always_run


class Periodic(JobBase):
    """A job run on a timer: Prow's `Periodic`.

    Exactly one of `cron`, `interval` and `minimum_interval` is set (checked by
    the validator). `interval` runs are `interval` apart; `minimum_interval` runs
    wait that long after the previous run finished."""

    cron: str = ""
    interval: str = ""
    minimum_interval: str = ""
    tags: list[str] = Field(default_factory=list)
    retry: Retry | None = None

    job_type: ClassVar[ProwJobType] = ProwJobType.PERIODIC

    @property
    def interval_duration(self) -> timedelta | None:
        """`interval` as a timedelta (None when unset); ValueError if it does not parse."""
        return _duration(self.interval) if self.interval else None

    @property
    def minimum_interval_duration(self) -> timedelta | None:
        """`minimum_interval` as a timedelta (None when unset)."""
        return _duration(self.minimum_interval) if self.minimum_interval else None


Job = Presubmit | Postsubmit | Periodic
"""Any job from the job config."""

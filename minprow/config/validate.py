"""Validation of the defaulted job config, collecting every problem.

Corresponds to Prow's `ValidateJobConfig` in pkg/config/config.go with
`validatePresubmits`, `validatePostsubmits`, `validatePeriodics`,
`validateJobBase`, `validateAgent`, `validateTriggering`, `validateAlwaysRun`,
`validateReporting`, `validateJobQueueName`, `UtilityConfig.Validate`,
`RerunAuthConfig.Validate` and the regex compilation of `SetPresubmitRegexes` /
`SetPostsubmitRegexes`. Where Prow stops at a job's first error, minprow reports
them all; each problem names the file, job and field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from minprow.config.gocron import CronError, parse_cron, surprises
from minprow.config.goregex import RegexError, compile_regex
from minprow.config.gourl import URLError, parse_scheme
from minprow.config.jobs import (
    AGENTS,
    Brancher,
    JobBase,
    Periodic,
    Postsubmit,
    Presubmit,
    default_rerun_command_for,
    default_trigger_for,
)
from minprow.config.podspec import (
    Finding,
    validate_annotations,
    validate_decoration,
    validate_labels,
    validate_pod_spec,
)
from minprow.config.problems import Problem
from minprow.config.prow import Plank
from minprow.model import ProwJobType, parse_duration

_JOB_NAME = re.compile(r"[A-Za-z0-9-._]+")
_JENKINS_JOB_NAME = re.compile(r"[A-Za-z0-9-._]([A-Za-z0-9-._/]*[A-Za-z0-9-_])?")


class Checker:
    """Collects errors and warnings while walking the jobs."""

    def __init__(self, pod_namespace: str, plank: Plank) -> None:
        self.pod_namespace = pod_namespace
        self.queue_names = set(plank.job_queue_capacities)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.notices: list[Problem] = []
        """Advice that never fails the load (see Config.notices)."""

    def _error(self, job: JobBase, field: str | None, message: str) -> None:
        self.errors.append(Problem(job.source_path, message, job=job.name, field=field))

    def _warn(self, job: JobBase, field: str | None, message: str) -> None:
        self.warnings.append(Problem(job.source_path, message, job=job.name, field=field))

    # Jobs of one repo ------------------------------------------------------------

    def presubmits(self, repo: str, jobs: list[Presubmit]) -> None:
        """Prow's `validatePresubmits` for the presubmits of one repo."""
        self._names_and_contexts(repo, "presubmit", jobs)
        for job in jobs:
            self.job_base(job, ProwJobType.PRESUBMIT)
            self._regexes(job)
            self.triggering(job)
            if (
                job.trigger
                and job.rerun_command
                and not _default_triggering(job)
                and _compiles(job.trigger)
                and not compile_regex(job.trigger).search(job.rerun_command)
            ):
                # Prow's SetPresubmitRegexes refuses a rerun command its trigger misses.
                self._error(
                    job,
                    "rerun_command",
                    f'rerun command "{job.rerun_command}" does not match trigger "{job.trigger}"',
                )

    def triggering(self, job: Presubmit) -> None:
        """Prow's `validateTriggering`: always_run, run_if_changed and
        skip_if_only_changed exclude each other; trigger and rerun_command come
        together (or neither, for the defaults)."""
        self._change_rules(job, job.always_run)
        if bool(job.trigger) != bool(job.rerun_command):
            self._error(
                job,
                "trigger" if job.trigger else "rerun_command",
                "trigger and rerun_command must be set together (or neither, for the defaults)",
            )

    def always_run(self, job: Postsubmit) -> None:
        """Prow's `validateAlwaysRun`: an explicit `always_run: true` excludes
        run_if_changed and skip_if_only_changed, which exclude each other."""
        self._change_rules(job, bool(job.always_run))

    def postsubmits(self, repo: str, jobs: list[Postsubmit]) -> None:
        """Prow's `validatePostsubmits` for the postsubmits of one repo."""
        self._names_and_contexts(repo, "postsubmit", jobs)
        for job in jobs:
            self.job_base(job, ProwJobType.POSTSUBMIT)
            self._regexes(job)
            self.always_run(job)

    def periodics(self, jobs: list[Periodic]) -> None:
        """Prow's `validatePeriodics`: names unique globally, exactly one schedule."""
        seen: set[str] = set()
        for job in jobs:
            if job.name in seen:
                self._error(job, "name", f"duplicated periodic job: {job.name}")
            seen.add(job.name)
            self.job_base(job, ProwJobType.PERIODIC)
            set_fields = [f for f in ("cron", "interval", "minimum_interval") if getattr(job, f)]
            if len(set_fields) > 1:
                self._error(
                    job,
                    set_fields[1],
                    f"{' and '.join(set_fields)} are mutually exclusive: set exactly one of "
                    "cron, interval or minimum_interval",
                )
                continue
            if not set_fields:
                self._error(
                    job,
                    "interval",
                    "at least one of cron, interval or minimum_interval must be set",
                )
                continue
            if job.cron:
                for notice in cron_notices(job.cron):
                    self.notices.append(
                        Problem(job.source_path, notice, job=job.name, field="cron")
                    )
                problem = cron_problem(job.cron)
                if problem:
                    self._error(job, "cron", f'invalid cron string "{job.cron}": {problem}')
            for name, text in (
                ("interval", job.interval),
                ("minimum_interval", job.minimum_interval),
                ("retry.interval", job.retry.interval if job.retry else ""),
            ):
                if text or (name == "retry.interval" and job.retry is not None):
                    try:
                        parse_duration(text)
                    except ValueError as err:
                        self._error(job, name, f"cannot parse duration: {err}")

    # Shared rules ------------------------------------------------------------------

    def _names_and_contexts(
        self, repo: str, kind: str, jobs: list[Presubmit] | list[Postsubmit]
    ) -> None:
        # Same name, or same context, on intersecting branches of one repo.
        by_name: dict[str, list[Brancher]] = {}
        reported: set[str] = set()
        for job in jobs:
            for earlier in by_name.get(job.name, ()):
                if earlier.intersects(job) and job.name not in reported:
                    reported.add(job.name)
                    self._error(
                        job,
                        "name",
                        f"duplicated {kind} job {job.name} for {repo} (another job of that "
                        "name runs on the same branches)",
                    )
            by_name.setdefault(job.name, []).append(job)
        by_context: dict[str, list[Presubmit | Postsubmit]] = {}
        for job in jobs:
            if not job.skip_report and not job.context:
                self._error(job, "context", "job is set to report but has no context configured")
            for other in by_context.get(job.context, ()):
                if other.name != job.name and other.intersects(job):
                    self._error(
                        job,
                        "context",
                        f"jobs {other.name} and {job.name} report to the same GitHub context "
                        f'"{job.context}"',
                    )
            by_context.setdefault(job.context, []).append(job)

    def _regexes(self, job: Presubmit | Postsubmit) -> None:
        checks: list[tuple[str, str]] = []
        if isinstance(job, Presubmit) and job.trigger and not _default_triggering(job):
            checks.append(("trigger", job.trigger))
        if job.branches:
            checks.append(("branches", "|".join(job.branches)))
        if job.skip_branches:
            checks.append(("skip_branches", "|".join(job.skip_branches)))
        if job.run_if_changed:
            checks.append(("run_if_changed", job.run_if_changed))
        if job.skip_if_only_changed:
            checks.append(("skip_if_only_changed", job.skip_if_only_changed))
        for field, pattern in checks:
            try:
                compile_regex(pattern)
            except RegexError as err:
                self._error(job, field, f'invalid regex "{pattern}": {err}')
        if job.branches and job.skip_branches:
            self._warn(
                job,
                "skip_branches",
                "branches and skip_branches are both set: skip_branches wins, so set only one",
            )

    def _change_rules(self, job: Presubmit | Postsubmit, always_run: bool) -> None:
        if always_run and job.run_if_changed:
            self._error(
                job,
                "run_if_changed",
                "always_run and run_if_changed are mutually exclusive",
            )
        if always_run and job.skip_if_only_changed:
            self._error(
                job,
                "skip_if_only_changed",
                "always_run and skip_if_only_changed are mutually exclusive",
            )
        if job.run_if_changed and job.skip_if_only_changed:
            self._error(
                job,
                "skip_if_only_changed",
                "run_if_changed and skip_if_only_changed are mutually exclusive",
            )

    def job_base(self, job: JobBase, job_type: ProwJobType) -> None:
        """Prow's `validateJobBase` (with `validateAgent`) for one job of `job_type`."""
        pattern = _JENKINS_JOB_NAME if job.agent == "jenkins" else _JOB_NAME
        if not pattern.fullmatch(job.name):
            self._error(job, "name", f'name must match the regex "^{pattern.pattern}$"')
        if job.max_concurrency < 0:
            self._error(job, "max_concurrency", f"{job.max_concurrency} must not be negative")
        self.agent(job)
        for field, message in validate_pod_spec(job_type, job.spec, job.decoration_config):
            self._error(job, field, message)
        for field, message in (
            *validate_labels(job.labels),
            *validate_annotations(job.annotations),
        ):
            self._error(job, field, message)
        if job.job_queue_name and job.job_queue_name not in self.queue_names:
            self._error(
                job,
                "job_queue_name",
                f'invalid job queue name "{job.job_queue_name}": not in plank.job_queue_capacities',
            )
        if not (job.spec and job.spec.get("containers")):
            return  # as Prow: the rest only concerns jobs with containers
        for field, message in (
            *validate_rerun_auth_config(job.rerun_auth_config),
            *validate_utility_config(job),
            *validate_decoration(job.spec, job.decoration_config),
        ):
            self._error(job, field, message)

    def agent(self, job: JobBase) -> None:
        """Prow's `validateAgent`: the fields a job's agent requires or forbids."""
        agent = job.agent
        has_pipeline = job.pipeline_run_spec is not None or job.tekton_pipeline_run_spec is not None
        k8s, tekton = "kubernetes", "tekton-pipeline"
        if agent not in AGENTS:
            self._warn(job, "agent", f'agent "{agent}" is unknown and cannot be validated')
        elif job.spec is not None and agent != k8s:
            self._error(job, "agent", f'job specs require agent: kubernetes (found "{agent}")')
        elif agent == k8s and job.spec is None:
            self._error(job, "spec", "kubernetes jobs require a spec")
        elif has_pipeline and agent != tekton:
            self._error(
                job, "agent", f'pipeline_run_spec requires agent: {tekton} (found "{agent}")'
            )
        elif agent == tekton and not has_pipeline:
            self._error(
                job, "pipeline_run_spec", f"agent: {tekton} jobs require a pipeline_run_spec"
            )
        elif job.decoration_config is not None and agent != k8s:
            self._error(
                job, "decoration_config", f'decoration requires agent: kubernetes (found "{agent}")'
            )
        elif job.error_on_eviction and agent != k8s:
            self._error(
                job, "error_on_eviction", f'only applies to agent: kubernetes (found "{agent}")'
            )
        elif job.namespace != self.pod_namespace and agent != tekton:
            self._error(
                job,
                "namespace",
                f'namespace "{job.namespace}" differs from pod_namespace "{self.pod_namespace}": '
                f"namespace customization requires agent: {tekton}",
            )


def validate_rerun_auth_config(config: dict[str, Any] | None) -> list[Finding]:
    """Prow's `RerunAuthConfig.Validate`: `allow_anyone` with an allow list is a
    contradiction (the list suggests not anyone was meant)."""
    if not config or not config.get("allow_anyone"):
        return []
    lists = ("github_users", "github_team_ids", "github_team_slugs", "github_orgs")
    if any(config.get(name) for name in lists):
        return [
            (
                "rerun_auth_config",
                "allow_anyone is true and permitted users or groups are specified",
            )
        ]
    return []


def validate_utility_config(job: JobBase) -> list[Finding]:
    """Prow's `UtilityConfig.Validate`: `clone_uri` (and those of `extra_refs`) must
    parse as URLs (Go's `url.Parse`, after anything up to an "@"), and with an OAuth
    token secret they must be http or https.

    As in Prow, the extra refs' clone URIs are only checked when the job sets a
    `clone_uri` of its own."""
    if not job.clone_uri:
        return []
    oauth = job.decoration_config is not None and job.decoration_config.oauth_token_secret
    found: list[Finding] = []
    uris = [("clone_uri", job.clone_uri)]
    uris += [
        (f"extra_refs[{i}].clone_uri", ref.clone_uri or "") for i, ref in enumerate(job.extra_refs)
    ]
    for field, uri in uris:
        try:
            scheme = parse_scheme(uri[uri.find("@") + 1 :])
        except URLError as err:
            found.append((field, f"couldn't parse uri from clone_uri: {err}"))
            continue
        if oauth and scheme not in ("http", "https"):
            found.append(
                (field, f"scheme must be http or https when OAuth secret is specified: {uri}")
            )
    return found


def _default_triggering(job: Presubmit) -> bool:
    """Whether the job has Prow's default trigger and rerun command. Those need no
    check: with a valid job name (letters, digits, "-", "_", "."; checked on its
    own) the trigger compiles and matches the rerun command by construction, and
    compiling and first running every one of Kubernetes' 2,261 would cost a fifth
    of a second at every load."""
    return job.trigger == default_trigger_for(job.name) and job.rerun_command == (
        default_rerun_command_for(job.name)
    )


def _compiles(pattern: str) -> bool:
    try:
        compile_regex(pattern)
    except RegexError:
        return False
    return True


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a cron schedule Prow accepts, or None if it is."""
    try:
        parse_cron(expression)
    except CronError as err:
        return str(err)
    return None


def cron_notices(expression: str) -> list[str]:
    """What a cron spec Prow accepts will do that its author probably did not mean."""
    found = []
    surprise = surprises(expression)
    if surprise is not None:
        found.append(f'cron "{expression}": {surprise}')
    if expression.startswith(("TZ=", "CRON_TZ=")):
        found.append(
            f'cron "{expression}": horologium schedules every spec as "TZ=UTC " + spec, '
            "so a spec with its own time zone is refused there and never runs, in Prow as "
            "in minprow: write the times in UTC"
        )
    return found


def check_all(
    checker: Checker,
    presubmits: dict[str, list[Presubmit]],
    postsubmits: dict[str, list[Postsubmit]],
    periodics: Iterable[Periodic],
) -> None:
    """Prow's `ValidateJobConfig` over the whole job config."""
    for repo, pres in presubmits.items():
        checker.presubmits(repo, pres)
    for repo, posts in postsubmits.items():
        checker.postsubmits(repo, posts)
    checker.periodics(list(periodics))

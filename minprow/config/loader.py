"""`load_config`: config.yaml, the job config and plugins.yaml read into one `Config`.

Corresponds to Prow's `Load` / `LoadStrict` in pkg/config/config.go (`loadConfig`,
`ReadJobConfig`, `mergeJobConfigs`, `parseProwConfig`, `finalizeJobConfig`,
`validateComponentConfig`, `ValidateJobConfig`) and to loading the plugin
configuration (pkg/plugins). Every file is parsed once; every problem found is
reported, each naming its file, job and field. Unknown fields are warnings, or
errors with `strict=True` (Prow's `checkconfig --strict`), which also checks pod
spec keys against the Kubernetes API.
"""

from __future__ import annotations

import gc
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from minprow.config import gojson
from minprow.config.branch_protection import BranchProtection, unmanaged_problems
from minprow.config.branch_protection import problems as branch_protection_problems
from minprow.config.cadence import cadence_notices
from minprow.config.configuration import Config
from minprow.config.finalize import UTILITY_IMAGE, JobDefaults, build_job, unknown_fields
from minprow.config.jobs import JobBase, Periodic, Postsubmit, Presubmit
from minprow.config.locate import with_lines
from minprow.config.plugins import PluginConfig, plugin_problems
from minprow.config.podspec import unknown_pod_spec_fields
from minprow.config.problems import ConfigError, Problem, validation_problems
from minprow.config.prow import (
    IMPLEMENTED_SECTIONS,
    JOB_CONFIG_SECTIONS,
    LOG_LEVELS,
    NOT_IMPLEMENTED_SECTIONS,
    GitHubReporter,
    Horologium,
    Plank,
    Preset,
    Sinker,
    SlackReporter,
)
from minprow.config.sections import duration_setting, plank_problems, string_setting
from minprow.config.validate import Checker, check_all
from minprow.config.yamlio import (
    FastLoader,
    Parsed,
    display_path,
    job_config_files,
    read_many,
    read_yaml,
)
from minprow.model import ProwJobType

M = TypeVar("M", bound=BaseModel)
J = TypeVar("J", bound=JobBase)

_UNKNOWN = "unknown field: Prow does not know it"
_TOP_LEVEL = JOB_CONFIG_SECTIONS | IMPLEMENTED_SECTIONS | NOT_IMPLEMENTED_SECTIONS


@cache
def _field_names() -> frozenset[str]:
    """Every field name a configuration key may be a respelling of."""
    models: list[type[BaseModel]] = [Presubmit, Postsubmit, Periodic, Preset, Plank, Sinker]
    models += [Horologium, GitHubReporter, SlackReporter, PluginConfig, BranchProtection]
    return gojson.field_names(models) | _TOP_LEVEL


def load_config(
    config_path: Path | None,
    job_config_path: Path | None = None,
    plugin_config_path: Path | None = None,
    *,
    strict: bool = False,
    processes: int = 1,
) -> Config:
    """Read, default and validate Prow's configuration.

    `config_path` is config.yaml (None: all defaults); `job_config_path` a
    directory walked for *.yaml / *.yml, or one file; `plugin_config_path`
    plugins.yaml. Raises `ConfigError` listing every problem; with `strict`,
    what would otherwise be a warning is an error too. `processes` > 1 parses
    the job config files in that many processes (yamlio.read_many): only for a
    caller with no other threads, such as a command that loads and exits."""
    # Loading builds a large tree of acyclic objects that all stay alive, so every
    # cyclic collection on the way walks a growing heap for nothing: a third of
    # the time of loading Kubernetes' config. The collector is paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _Loader(strict, processes).load(config_path, job_config_path, plugin_config_path)
    finally:
        if collecting:
            gc.enable()


class _Loader:
    def __init__(self, strict: bool, processes: int = 1) -> None:
        self.strict = strict
        self.processes = processes
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.notices: list[Problem] = []
        self.config = Config()
        self._go_files: set[str] = set()
        """Files holding a null or a respelled field name: decoded by Go's rules."""
        FastLoader.set_field_names(_field_names())

    def load(
        self, config_path: Path | None, job_config_path: Path | None, plugin_path: Path | None
    ) -> Config:
        config = self.config
        main, main_file = self._read_mapping(config_path, _TOP_LEVEL)
        if self.errors:
            # Everything else depends on config.yaml (presets, decoration defaults,
            # namespaces): what follows from a broken one would only be noise.
            raise ConfigError(self.errors)
        self._main_file = main_file or "config.yaml"
        self._prow_sections(main, main_file)
        documents = [(main, main_file)]
        if job_config_path is not None:
            if not job_config_path.exists():
                self.errors.append(
                    Problem(display_path(job_config_path), "no such file or directory")
                )
            else:
                files, walk_problems = job_config_files(job_config_path)
                self.errors.extend(walk_problems)
                parsed = read_many(files, processes=self.processes)
                for path, read in zip(files, parsed, strict=True):
                    data, shown = self._read_mapping(path, JOB_CONFIG_SECTIONS, read)
                    for key in data:
                        if key not in JOB_CONFIG_SECTIONS:
                            self._unknown(
                                Problem(
                                    shown,
                                    "unknown key in a job config file (only presets, presubmits, "
                                    "postsubmits and periodics belong here)",
                                    field=str(key),
                                )
                            )
                    documents.append((data, shown))
        self._presets(documents)
        self._jobs(documents)
        self.notices.extend(cadence_notices(config.periodics, config.horologium))
        if plugin_path is not None:
            self._plugins(plugin_path)
        if self.strict:
            self._pod_spec_fields()
        problems = self.errors + (self.warnings if self.strict else [])
        if problems:
            problems, notices = with_lines(problems, self.notices)
            raise ConfigError(problems, notices)
        config.warnings, config.notices = with_lines(self.warnings, self.notices)
        return config

    # Files -------------------------------------------------------------------------

    def _read_mapping(
        self,
        path: Path | None,
        top_level: frozenset[str] = frozenset(),
        parsed: Parsed | None = None,
    ) -> tuple[dict[str, Any], str]:
        """The file's mapping; its top-level keys decoded as Go would when `top_level`
        names them (the sections within are decoded as each is read)."""
        if path is None:
            return {}, ""
        shown = display_path(path)
        self.config.sources.append(path)
        data, problem, go_decode = parsed or read_yaml(path, shown)
        if problem is not None:
            self.errors.append(problem)
            return {}, shown
        if data is None:
            return {}, shown
        if not isinstance(data, dict):
            self.errors.append(Problem(shown, f"must be a YAML mapping, got {type(data).__name__}"))
            return {}, shown
        if go_decode:
            self._go_files.add(shown)
            if top_level:
                respelled: list[gojson.Respelled] = []
                data = gojson.decode_keys(data, top_level, respelled)
                self._respelled(shown, None, respelled)
        return data, shown

    def _go(self, cls: type[M], data: Any, file: str, prefix: str, job: str | None = None) -> Any:
        """`data` as Go's decoding sees it (nulls as zero values, field names in any
        case), when its file needs that."""
        if file not in self._go_files:
            return data
        respelled: list[gojson.Respelled] = []
        data = gojson.decode(cls, data, prefix, respelled)
        self._respelled(file, job, respelled)
        return data

    def _respelled(self, file: str, job: str | None, respelled: list[gojson.Respelled]) -> None:
        for item in respelled:
            self.notices.append(
                Problem(
                    file,
                    f'"{item.written}" is read as "{item.field}" (Go matches field names '
                    f'case-insensitively, as Prow does): write "{item.field}"',
                    job=job,
                    field=item.where,
                )
            )

    def _unknown(self, problem: Problem) -> None:
        self.warnings.append(problem)

    def _model(self, cls: type[M], data: Any, file: str, prefix: str) -> M | None:
        if data is None:
            data = {}
        data = self._go(cls, data, file, prefix)
        try:
            model = cls.model_validate(data)
        except ValidationError as err:
            self.errors.extend(validation_problems(err, file, None, prefix))
            return None
        for path in unknown_fields(model, prefix):
            self._unknown(Problem(file, _UNKNOWN, field=path))
        return model

    # config.yaml -------------------------------------------------------------------

    def _prow_sections(self, main: dict[str, Any], file: str) -> None:
        config = self.config
        for key in main:
            if key in JOB_CONFIG_SECTIONS or key in IMPLEMENTED_SECTIONS:
                continue
            if key in NOT_IMPLEMENTED_SECTIONS:
                config.raw_sections[key] = main[key]
            else:
                self._unknown(
                    Problem(file, "unknown top-level key: Prow does not know it", field=str(key))
                )
        config.not_implemented = sorted(config.raw_sections)
        config.plank = self._model(Plank, main.get("plank"), file, "plank") or Plank()
        config.sinker = self._model(Sinker, main.get("sinker"), file, "sinker") or Sinker()
        config.horologium = (
            self._model(Horologium, main.get("horologium"), file, "horologium") or Horologium()
        )
        config.github_reporter = (
            self._model(GitHubReporter, main.get("github_reporter"), file, "github_reporter")
            or GitHubReporter()
        )
        config.branch_protection = (
            self._model(BranchProtection, main.get("branch-protection"), file, "branch-protection")
            or BranchProtection()
        )
        for where, message in branch_protection_problems(config.branch_protection):
            self.errors.append(Problem(file, message, field=where))
        for where, message in unmanaged_problems(config.branch_protection):
            self.warnings.append(Problem(file, message, field=where))
        self.errors.extend(plank_problems(config.plank, file))
        for kind in config.github_reporter.job_types_to_report:
            if kind not in (ProwJobType.PRESUBMIT, ProwJobType.POSTSUBMIT):
                self.errors.append(
                    Problem(
                        file,
                        f'invalid job type "{kind}": only presubmit and postsubmit can be '
                        "reported to GitHub",
                        field="github_reporter.job_types_to_report",
                    )
                )
        slack = main.get("slack_reporter_configs") or {}
        if not isinstance(slack, dict):
            self.errors.append(Problem(file, "must be a mapping", field="slack_reporter_configs"))
            slack = {}
        for key, value in slack.items():
            where = f"slack_reporter_configs.{key}"
            reporter = self._model(SlackReporter, value, file, where)
            if reporter is None:
                continue
            if not reporter.channel:
                self.errors.append(Problem(file, "channel must be set", field=f"{where}.channel"))
            config.slack_reporter_configs[str(key)] = reporter
        config.prowjob_namespace = string_setting(
            main, "prowjob_namespace", "default", file, self.errors
        )
        config.pod_namespace = string_setting(main, "pod_namespace", "default", file, self.errors)
        config.log_level = string_setting(main, "log_level", "info", file, self.errors)
        if config.log_level.lower() not in LOG_LEVELS:
            self.errors.append(
                Problem(
                    file,
                    f'not a valid log level "{config.log_level}": use one of {", ".join(LOG_LEVELS)}',
                    field="log_level",
                )
            )
        timeout = main.get("default_job_timeout")
        if timeout is not None:
            config.default_job_timeout = duration_setting(
                timeout, file, "default_job_timeout", self.errors
            )
        decorate_all = main.get("decorate_all_jobs", False)
        if not isinstance(decorate_all, bool):
            self.errors.append(
                Problem(
                    file, f"must be true or false, got {decorate_all!r}", field="decorate_all_jobs"
                )
            )
        else:
            config.decorate_all_jobs = decorate_all

    # Presets and jobs ----------------------------------------------------------------

    def _presets(self, documents: list[tuple[dict[str, Any], str]]) -> None:
        pairs: dict[str, str] = {}
        for data, file in documents:
            raw = data.get("presets") or []
            if not isinstance(raw, list):
                self.errors.append(Problem(file, "must be a list", field="presets"))
                continue
            for i, item in enumerate(raw):
                preset = self._model(Preset, item, file, f"presets[{i}]")
                if preset is None:
                    continue
                for label, value in preset.labels.items():
                    pair = f"{label}:{value}"
                    if pair in pairs:
                        self.errors.append(
                            Problem(
                                file,
                                f"duplicated preset 'label:value' pair {pair} (also in {pairs[pair]})",
                                field=f"presets[{i}].labels",
                            )
                        )
                    pairs[pair] = file
                self.config.presets.append(preset)

    def _jobs(self, documents: list[tuple[dict[str, Any], str]]) -> None:
        config = self.config
        defaults = JobDefaults(
            pod_namespace=config.pod_namespace,
            decorate_all_jobs=config.decorate_all_jobs,
            plank=config.plank,
            presets=config.presets,
            fill_decoration=not self.strict,
        )
        for data, file in documents:
            self._repo_jobs(
                Presubmit, data.get("presubmits"), file, "presubmits", config.presubmits, defaults
            )
            self._repo_jobs(
                Postsubmit,
                data.get("postsubmits"),
                file,
                "postsubmits",
                config.postsubmits,
                defaults,
            )
            periodics = data.get("periodics")
            if periodics is None:
                continue
            if not isinstance(periodics, list):
                self.errors.append(Problem(file, "must be a list of jobs", field="periodics"))
                continue
            for i, raw in enumerate(periodics):
                job = build_job(
                    Periodic,
                    self._go(Periodic, raw, file, "", _job_name(raw)),
                    file,
                    f"periodics[{i}]",
                    None,
                    defaults,
                    self.errors,
                    self.warnings,
                )
                if job is not None:
                    config.periodics.append(job)
        self._filled_decoration(defaults.filled)
        checker = Checker(config.pod_namespace, config.plank)
        check_all(checker, config.presubmits, config.postsubmits, config.periodics)
        self.errors.extend(checker.errors)
        self.warnings.extend(checker.warnings)
        self.notices.extend(checker.notices)

    def _repo_jobs(
        self,
        cls: type[J],
        section: Any,
        file: str,
        name: str,
        into: dict[str, list[J]],
        defaults: JobDefaults,
    ) -> None:
        if section is None:
            return
        if not isinstance(section, dict):
            self.errors.append(
                Problem(file, 'must be a mapping of "org/repo" to a list of jobs', field=name)
            )
            return
        for repo, jobs in section.items():
            where = f"{name}.{repo}"
            if jobs is None:
                continue  # a null list of jobs is Go's empty slice
            if not isinstance(jobs, list):
                self.errors.append(Problem(file, "must be a list of jobs", field=where))
                continue
            built = into.setdefault(str(repo), [])
            for i, raw in enumerate(jobs):
                raw = self._go(cls, raw, file, "", _job_name(raw))
                job = build_job(
                    cls, raw, file, f"{where}[{i}]", str(repo), defaults, self.errors, self.warnings
                )
                if job is not None:
                    built.append(job)

    def _filled_decoration(self, filled: dict[str, list[str]]) -> None:
        what = {
            "utility_images": f'minprow runs them with its own podutils image "{UTILITY_IMAGE}"',
            "gcs_configuration": "minprow writes their logs and artifacts to the artifacts "
            "directory of up, run or serve (path_strategy explicit)",
        }
        for missing, jobs in filled.items():
            count = f'{len(jobs)} decorated job{"s" * (len(jobs) != 1)} (first "{jobs[0]}")'
            self.notices.append(
                Problem(
                    self._main_file,
                    f"{count} have no {missing} in plank's default decoration config: "
                    f"{what[missing]}. Prow refuses such jobs (as check-config --strict does); "
                    "set plank.default_decoration_config_entries to choose",
                    field=f"plank.default_decoration_config_entries.config.{missing}",
                )
            )

    # plugins.yaml and strict checks --------------------------------------------------

    def _plugins(self, path: Path) -> None:
        data, file = self._read_mapping(path)
        plugins = self._model(PluginConfig, data, file, "")
        if plugins is not None:
            # Untyped plugin sections are not "unknown": drop those warnings again.
            self.warnings = [
                w
                for w in self.warnings
                if not (w.file == file and w.field in (plugins.model_extra or {}))
            ]
            self.config.plugins = plugins
            for where, message in plugin_problems(plugins):
                self.errors.append(Problem(file, message, field=where))

    def _pod_spec_fields(self) -> None:
        config = self.config
        jobs: list[JobBase] = [
            *config.all_presubmits(),
            *config.all_postsubmits(),
            *config.periodics,
        ]
        seen: dict[tuple[int, str], tuple[str, ...]] = {}
        for job in jobs:
            if job.spec is not None:
                for path in unknown_pod_spec_fields(job.spec, seen):
                    self.warnings.append(
                        Problem(
                            job.source_path,
                            "unknown field: not in the Kubernetes PodSpec API",
                            job=job.name,
                            field=path,
                        )
                    )


def _job_name(raw: Any) -> str | None:
    """A job's name before it is decoded, for messages (`name`, in any case)."""
    name = gojson.lookup(raw, "name")
    return name if isinstance(name, str) and name else None

"""One test per validation rule: every problem names its file, job and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from minprow.config import ConfigError, load_config

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"

BASE = FIXTURES / "base" / "config.yaml"

# fixture (fixtures/config/invalid/<id>.yaml), job, field, part of the message
RULES = [
    ("duplicate-presubmit", "pull-dup", "name", "duplicated presubmit job pull-dup"),
    ("duplicate-postsubmit", "post-dup", "name", "duplicated postsubmit job post-dup"),
    ("duplicate-periodic", "ci-dup", "name", "duplicated periodic job"),
    ("duplicate-context", "pull-ctx-b", "context", 'report to the same GitHub context "shared"'),
    ("regex-branches", "pull-bad-branches", "branches", 'invalid regex "(main"'),
    ("regex-skip-branches", "pull-bad-skip", "skip_branches", 'invalid regex "release-["'),
    (
        "regex-run-if-changed",
        "pull-bad-ric",
        "run_if_changed",
        'invalid regex "(": error parsing regexp: missing )',
    ),
    (
        "regex-skip-if-only-changed",
        "pull-bad-sioc",
        "skip_if_only_changed",
        "no argument for repetition operator",
    ),
    ("regex-trigger", "pull-bad-trigger", "trigger", 'invalid regex "(?m)^/test ("'),
    (
        "always-run-with-run-if-changed",
        "pull-ar-ric",
        "run_if_changed",
        "always_run and run_if_changed are mutually exclusive",
    ),
    (
        "always-run-with-skip-if-only-changed",
        "pull-ar-sioc",
        "skip_if_only_changed",
        "always_run and skip_if_only_changed are mutually exclusive",
    ),
    (
        "run-if-changed-with-skip-if-only-changed",
        "pull-ric-sioc",
        "skip_if_only_changed",
        "run_if_changed and skip_if_only_changed are mutually exclusive",
    ),
    (
        "postsubmit-always-run-with-run-if-changed",
        "post-ar-ric",
        "run_if_changed",
        "mutually exclusive",
    ),
    ("trigger-without-rerun-command", "pull-trigger-only", "trigger", "must be set together"),
    ("rerun-command-without-trigger", "pull-rerun-only", "rerun_command", "must be set together"),
    (
        "rerun-command-not-matching-trigger",
        "pull-mismatch",
        "rerun_command",
        'rerun command "/run" does not match trigger',
    ),
    ("interval-with-cron", "ci-both", "interval", "cron and interval are mutually exclusive"),
    (
        "minimum-interval-with-interval",
        "ci-min-and-interval",
        "minimum_interval",
        "interval and minimum_interval are mutually exclusive",
    ),
    ("periodic-without-schedule", "ci-never", "interval", "at least one of cron, interval"),
    ("bad-interval", "ci-bad-interval", "interval", "invalid duration '1 hour'"),
    ("bad-minimum-interval", "ci-bad-min", "minimum_interval", "invalid duration '10x'"),
    ("bad-cron", "ci-bad-cron", "cron", 'invalid cron string "61 * * * *"'),
    ("bad-decoration-timeout", "pull-bad-timeout", "decoration_config.timeout", "'forever'"),
    ("negative-grace-period", "pull-negative-grace", "decoration_config.grace_period", "negative"),
    ("bad-name", "pull bad name", "name", "must match the regex"),
    ("negative-max-concurrency", "pull-neg-mc", "max_concurrency", "-1 must not be negative"),
    ("no-containers", "pull-no-containers", "spec.containers", "at least 1 container"),
    ("no-spec", "pull-no-spec", "spec", "kubernetes jobs require a spec"),
    (
        "several-containers-undecorated",
        "pull-two-containers",
        "spec.containers",
        "decoration must be enabled to use multiple containers",
    ),
    (
        "decorated-without-command",
        "pull-no-command",
        "spec.containers[0]",
        "must specify command and/or args",
    ),
    ("spec-with-jenkins-agent", "pull-jenkins-spec", "agent", 'found "jenkins"'),
    ("wrong-type-always-run", "pull-wrong-type", "always_run", "valid boolean, got 'yes'"),
    ("wrong-type-max-concurrency", "pull-wrong-mc", "max_concurrency", "valid integer, got '1'"),
    ("namespace-customized", "pull-own-namespace", "namespace", "requires agent: tekton"),
    ("reserved-env", "pull-reserved-env", "spec.containers[0].env", "env JOB_NAME is reserved"),
    (
        "undefined-volume-mount",
        "pull-undefined-mount",
        "spec.containers[0].volumeMounts",
        'volumeMount named "cache" is undefined',
    ),
    ("unknown-job-queue", "pull-queue", "job_queue_name", 'invalid job queue name "huge"'),
    ("invalid-label", "pull-bad-label", "labels.bad key!", "invalid label key"),
    (
        "preset-conflicts-with-job",
        "pull-preset-job-conflict",
        "spec.containers[0].env",
        'env var "GOPROXY" from preset preset-go=true is already set by the job',
    ),
    (
        "preset-conflicts-with-preset",
        "pull-two-presets",
        "spec.volumes",
        'volume "cache" from preset preset-b=true is already defined by preset preset-a=true',
    ),
    ("duplicate-preset-labels", None, "presets[1].labels", "duplicated preset 'label:value' pair"),
]


def _problems(fixture: str, strict: bool = False) -> list[str]:
    path = FIXTURES / "invalid" / f"{fixture}.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, path, strict=strict)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize(("fixture", "job", "field", "fragment"), RULES, ids=[r[0] for r in RULES])
def test_rule(fixture: str, job: str | None, field: str, fragment: str) -> None:
    path = FIXTURES / "invalid" / f"{fixture}.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, path)
    matching = [
        p
        for p in caught.value.problems
        if p.field == field and p.job == job and fragment in p.message
    ]
    assert matching, "\n".join(str(p) for p in caught.value.problems)
    problem = matching[0]
    assert Path(problem.file).resolve() == path.resolve()
    line = str(problem)
    assert problem.line is not None  # the job's line, or its field's
    assert line.startswith(f"{problem.file}:{problem.line}: ")
    if job is not None:
        assert f'job "{job}"' in line
    assert f'field "{field}"' in line
    assert fragment in str(caught.value)


def test_yaml_syntax_error_is_one_problem_with_its_line() -> None:
    path = FIXTURES / "invalid" / "yaml-syntax.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, path)
    (problem,) = caught.value.problems
    assert problem.line == 6
    assert str(problem).startswith(f"{problem.file}:6: invalid YAML:")


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    for fixture in ("regex-trigger", "bad-cron", "negative-max-concurrency"):
        (jobs / f"{fixture}.yaml").write_bytes(
            (FIXTURES / "invalid" / f"{fixture}.yaml").read_bytes()
        )
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, jobs)
    assert {(p.job, p.field) for p in caught.value.problems} == {
        ("pull-bad-trigger", "trigger"),
        ("ci-bad-cron", "cron"),
        ("pull-neg-mc", "max_concurrency"),
    }
    assert str(caught.value).startswith("3 problems in the configuration:")


def test_duplicate_presubmit_across_files_names_the_second_file() -> None:
    directory = FIXTURES / "duplicate-across-files"
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, directory)
    (problem,) = caught.value.problems
    assert (problem.job, problem.field) == ("pull-shared-name", "name")
    assert problem.file.endswith("b-second.yaml")


def test_same_name_on_disjoint_branches_is_allowed_as_in_prow() -> None:
    config = load_config(BASE, FIXTURES / "valid" / "same-name-other-branches.yaml")
    jobs = config.presubmits_for("org", "repo")
    assert [(j.name, j.branches) for j in jobs] == [
        ("pull-release", ["^main$"]),
        ("pull-release", ["^release-1$"]),
    ]


def test_unknown_job_fields_warn_and_fail_under_strict() -> None:
    path = FIXTURES / "valid" / "unknown-fields.yaml"
    config = load_config(BASE, path)
    fields = sorted((w.job, w.field) for w in config.warnings)
    assert fields == [
        ("pull-unknown", "always_runn"),
        ("pull-unknown", "decoration_config.timout"),
        ("pull-unknown", "decoration_config.utility_images.clonerefz"),
    ]
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, path, strict=True)
    strict_fields = {(p.job, p.field) for p in caught.value.problems}
    # Strict also checks pod spec keys against the Kubernetes API.
    assert strict_fields == {
        *fields,
        ("pull-unknown", "spec.containers[0].imagePullPolicyy"),
        ("pull-unknown", "spec.serviceAccount_name"),
    }


def test_branches_with_skip_branches_is_a_warning() -> None:
    config = load_config(BASE, FIXTURES / "valid" / "branches-and-skip-branches.yaml")
    (warning,) = config.warnings
    assert (warning.job, warning.field) == ("pull-both", "skip_branches")
    with pytest.raises(ConfigError):
        load_config(BASE, FIXTURES / "valid" / "branches-and-skip-branches.yaml", strict=True)

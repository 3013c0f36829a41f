"""Prow's defaults for the config.yaml sections minprow implements, and presets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from minprow.config import ConfigError, Preset, load_config
from minprow.config.presets import merge_presets
from minprow.config.problems import Problem
from minprow.config.prow import matches_filter
from minprow.model import ProwJobType

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"


def test_defaults_of_an_empty_config() -> None:
    config = load_config(None)
    plank = config.plank
    assert (
        plank.pod_pending_timeout,
        plank.pod_running_timeout,
        plank.pod_unscheduled_timeout,
    ) == (
        timedelta(minutes=10),
        timedelta(hours=48),
        timedelta(minutes=5),
    )
    assert (plank.max_concurrency, plank.max_goroutines, plank.max_revivals) == (0, 20, 3)
    sinker = config.sinker
    assert (sinker.resync_period, sinker.max_prowjob_age, sinker.max_pod_age) == (
        timedelta(hours=1),
        timedelta(days=7),
        timedelta(hours=24),
    )
    assert sinker.terminated_pod_ttl == sinker.max_pod_age
    assert config.github_reporter.job_types_to_report == [
        ProwJobType.PRESUBMIT,
        ProwJobType.POSTSUBMIT,
    ]
    assert config.horologium.tick_interval == timedelta(minutes=1)
    assert (config.prowjob_namespace, config.pod_namespace, config.log_level) == (
        "default",
        "default",
        "info",
    )
    assert config.default_job_timeout == timedelta(hours=24)
    assert config.not_implemented == []


SECTION_ERRORS = [
    ("sinker-bad-duration.yaml", "sinker.max_pod_age", "invalid duration"),
    (
        "github-reporter-periodic.yaml",
        "github_reporter.job_types_to_report",
        'invalid job type "periodic"',
    ),
    ("slack-without-channel.yaml", "slack_reporter_configs.*.channel", "channel must be set"),
    (
        "plank-both-decoration-forms.yaml",
        "plank.default_decoration_config_entries",
        "mutually exclusive",
    ),
    ("plank-negative-concurrency.yaml", "plank.max_concurrency", "must not be negative"),
    ("bad-log-level.yaml", "log_level", 'not a valid log level "loud"'),
]


@pytest.mark.parametrize(
    ("fixture", "field", "fragment"), SECTION_ERRORS, ids=[s[0] for s in SECTION_ERRORS]
)
def test_section_errors(fixture: str, field: str, fragment: str) -> None:
    path = FIXTURES / "sections" / fixture
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert [(p.field, fragment in p.message) for p in caught.value.problems] == [(field, True)]
    assert Path(caught.value.problems[0].file).resolve() == path.resolve()


def test_slack_reporter_defaults_and_lookup() -> None:
    config = load_config(FIXTURES / "sections" / "slack.yaml")
    assert config.slack_reporter_for("org", "repo") is config.slack_reporter_configs["org/repo"]
    assert config.slack_reporter_for("org", "x") is config.slack_reporter_configs["org"]
    assert config.slack_reporter_for("", "") is config.slack_reporter_configs["*"]
    assert config.slack_reporter_configs["*"].report_template.startswith(
        "Job {{.Spec.Job}} of type"
    )
    assert config.plank.job_url_prefix("org", "repo") == "https://org.example/view/"
    assert config.plank.job_url_prefix("else", "repo") == "https://example/view/"


FILTERS = [
    ("", "", "org/repo", "default", True),
    ("*", "*", "org/repo", "build", True),
    ("org", "", "org/repo", "default", True),
    ("org/repo", "", "org/repo", "default", True),
    ("org/other", "", "org/repo", "default", False),
    ("", "build", "org/repo", "default", False),
    ("org", "build", "org/repo", "build", True),
]


@pytest.mark.parametrize(("repo", "cluster", "org_repo", "job_cluster", "matches"), FILTERS)
def test_decoration_entry_filters(
    repo: str, cluster: str, org_repo: str, job_cluster: str, matches: bool
) -> None:
    assert matches_filter(repo, cluster, org_repo, job_cluster) is matches


def test_presets_merge_without_touching_the_original_spec() -> None:
    spec = {
        "containers": [{"image": "a", "env": [{"name": "A", "value": "1"}]}],
        "initContainers": [{"image": "i"}],
    }
    presets = [
        Preset.model_validate(
            {
                "labels": {"p": "true"},
                "env": [{"name": "B", "value": "2"}],
                "volumes": [{"name": "v", "emptyDir": {}}],
                "volumeMounts": [{"name": "v", "mountPath": "/v"}],
                "tolerations": [{"key": "k", "operator": "Exists"}],
            }
        ),
        Preset.model_validate({"labels": {"q": "true"}, "env": [{"name": "C", "value": "3"}]}),
        Preset.model_validate({"env": [{"name": "D", "value": "4"}]}),
    ]
    merged, conflicts = merge_presets(spec, {"p": "true"}, presets)
    assert conflicts == []
    assert merged is not None
    assert [e["name"] for e in merged["containers"][0]["env"]] == ["A", "B", "D"]
    assert merged["volumes"] == [{"name": "v", "emptyDir": {}}]
    assert merged["containers"][0]["volumeMounts"] == [{"name": "v", "mountPath": "/v"}]
    assert merged["tolerations"] == [{"key": "k", "operator": "Exists"}]
    assert merged["initContainers"] is spec["initContainers"]  # init containers untouched, shared
    assert [e["name"] for e in spec["containers"][0]["env"]] == ["A"]  # the input is unchanged
    assert "volumes" not in spec
    assert merged["containers"][0]["env"][0] is spec["containers"][0]["env"][0]  # shallow


def test_preset_without_match_returns_the_same_spec() -> None:
    spec = {"containers": [{"image": "a"}]}
    merged, conflicts = merge_presets(spec, {}, [Preset.model_validate({"labels": {"p": "x"}})])
    assert merged is spec
    assert conflicts == []


def test_problem_line_format() -> None:
    problem = Problem(
        "config/jobs/x.yaml", 'invalid regex "(": missing )', job="foo", field="run_if_changed"
    )
    assert (
        str(problem)
        == 'config/jobs/x.yaml: job "foo": field "run_if_changed": invalid regex "(": missing )'
    )
    assert str(Problem("c.yaml", "bad", line=3)) == "c.yaml:3: bad"

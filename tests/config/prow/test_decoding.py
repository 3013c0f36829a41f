"""Reading config.yaml and the job config as Prow's own tables say.

The cases are Prow's (fixtures/config/prow/decoding.yaml): job defaulting, whole
configs loaded as Prow's Load would (which load, which fail and on what, what the
jobs become), Prow's inputs read by Go's decoding rules, and the config.yaml
sections minprow implements (github_reporter, slack_reporter_configs, plank)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from prow_cases import cases, ids, write_configs

from minprow.config import Config, ConfigError, Plank, load_config
from minprow.config.finalize import JobDefaults, build_job
from minprow.config.jobs import Presubmit
from minprow.config.problems import Problem


@pytest.mark.parametrize(
    "case", cases("decoding", "default_job_base"), ids=ids("decoding", "default_job_base")
)
def test_default_job_base(case: dict[str, Any]) -> None:
    defaults = JobDefaults(
        pod_namespace=case.get("pod_namespace", ""),
        decorate_all_jobs=False,
        plank=Plank(),
        presets=[],
    )
    raw = {"name": "job", **case["job"]}
    job = build_job(Presubmit, raw, "jobs.yaml", "job", "org/repo", defaults, [], [])
    assert job is not None
    assert {k: getattr(job, k) for k in case["expected"]} == case["expected"]


def _load(root: Path, prow_config: str, job_configs: list[str] | None = None) -> Config:
    return load_config(*write_configs(root, prow_config, job_configs))


def _among(problems: list[Problem], expected: list[dict[str, Any]]) -> None:
    for want in expected:
        assert any(
            ("job" not in want or p.job == want["job"])
            and ("field" not in want or p.field == want["field"])
            and want.get("message", "") in p.message
            for p in problems
        ), f"expected {want} among {[str(p) for p in problems]}"


def _check_loaded(case: dict[str, Any], root: Path) -> None:
    if case.get("error"):
        with pytest.raises(ConfigError) as caught:
            _load(root, case.get("prow_config", ""), case.get("job_configs"))
        _among(caught.value.problems, case.get("errors", []))
        return
    config = _load(root, case.get("prow_config", ""), case.get("job_configs"))
    assert config.pod_namespace == "default"
    for name, attributes in case.get("jobs", {}).items():
        found = config.find_job(name)
        assert found is not None, name
        job = found[1]
        assert {k: getattr(job, k) for k in attributes} == attributes
    if "job_count" in case:
        assert config.summary()["jobs"] == case["job_count"]


@pytest.mark.parametrize(
    "case", cases("decoding", "valid_config_loading"), ids=ids("decoding", "valid_config_loading")
)
def test_valid_config_loading(case: dict[str, Any], tmp_path: Path) -> None:
    _check_loaded(case, tmp_path)


@pytest.mark.parametrize(
    "case", cases("decoding", "go_decoding"), ids=ids("decoding", "go_decoding")
)
def test_go_decoding(case: dict[str, Any], tmp_path: Path) -> None:
    _check_loaded(case, tmp_path)


@pytest.mark.parametrize(
    "case", cases("decoding", "github_report_type"), ids=ids("decoding", "github_report_type")
)
def test_github_report_type(case: dict[str, Any], tmp_path: Path) -> None:
    if case.get("error"):
        with pytest.raises(ConfigError) as caught:
            _load(tmp_path, case["prow_config"])
        _among(caught.value.problems, case["errors"])
        return
    types = _load(tmp_path, case["prow_config"]).github_reporter.job_types_to_report
    assert [str(t) for t in types] == case["job_types_to_report"]


@pytest.mark.parametrize(
    "case", cases("decoding", "component_config"), ids=ids("decoding", "component_config")
)
def test_component_config(case: dict[str, Any], tmp_path: Path) -> None:
    prefixes = case["job_url_prefix_config"]
    prow_config = yaml.safe_dump({"plank": {"job_url_prefix_config": prefixes}})
    if case.get("error"):
        with pytest.raises(ConfigError) as caught:
            _load(tmp_path, prow_config)
        bad = {f"plank.job_url_prefix_config.{k}" for k, v in prefixes.items() if " " in v}
        assert {p.field for p in caught.value.problems} == bad
        assert all("invalid character" in p.message for p in caught.value.problems)
        return
    assert _load(tmp_path, prow_config).plank.job_url_prefix_config == prefixes


@pytest.mark.parametrize(
    "case", cases("decoding", "slack_reporter"), ids=ids("decoding", "slack_reporter")
)
def test_slack_reporter(case: dict[str, Any], tmp_path: Path) -> None:
    prow_config = yaml.safe_dump({"slack_reporter_configs": case["slack_reporter_configs"]})
    if case.get("error"):
        with pytest.raises(ConfigError):
            _load(tmp_path, prow_config)
        return
    reporters = _load(tmp_path, prow_config).slack_reporter_configs
    assert sorted(reporters) == sorted(case["slack_reporter_configs"])
    for reporter in reporters.values():
        assert reporter.channel
        assert reporter.report_template  # Prow's default when none is given


@pytest.mark.parametrize(
    "case", cases("decoding", "report_template"), ids=ids("decoding", "report_template")
)
def test_report_template(case: dict[str, Any], tmp_path: Path) -> None:
    plank = _load(tmp_path, yaml.safe_dump({"plank": case["plank"]})).plank
    assert plank.report_templates == case["report_templates"]

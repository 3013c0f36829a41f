"""Decoration defaults as Prow's own tables say: which plank entries apply, how they merge.

The cases are Prow's (fixtures/config/prow/decoration.yaml): entry matching by repo and
cluster, plank's entries as loaded, a job's decoration merged over them (minprow's job
defaulting, minprow.config.finalize, without minprow's own fill-ins, as Prow), Prow's
`ApplyDefault`, and whole config.yaml files loaded as Prow's Load and LoadStrict would."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from prow_cases import cases, go_ns, ids, write_configs

from minprow.config import ConfigError, DefaultDecorationConfigEntry, Plank, load_config
from minprow.config.finalize import JobDefaults, build_job
from minprow.config.jobs import JobBase, Periodic, Postsubmit, Presubmit
from minprow.config.problems import Problem
from minprow.model import DecorationConfig

DURATIONS = ("timeout", "grace_period", "pod_pending_timeout", "pod_running_timeout")
DURATIONS += ("pod_unscheduled_timeout",)


def _plain(config: DecorationConfig | None) -> dict[str, Any] | None:
    """A decoration config as data: unset fields left out, durations in nanoseconds."""
    if config is None:
        return None
    data = config.model_dump(by_alias=True, exclude_none=True)
    for key in DURATIONS:
        if isinstance(data.get(key), timedelta):
            data[key] = data[key] // timedelta(microseconds=1) * 1000
    return data


def _expected(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A table's decoration config, durations in nanoseconds."""
    if data is None:
        return None
    return {k: go_ns(v) if k in DURATIONS else v for k, v in data.items()}


@pytest.mark.parametrize(
    "case", cases("decoration", "default_matches"), ids=ids("decoration", "default_matches")
)
def test_default_matches(case: dict[str, Any]) -> None:
    entry = DefaultDecorationConfigEntry(repo=case.get("repo", ""), cluster=case.get("cluster", ""))
    assert entry.matches(case.get("org_repo", ""), case.get("job_cluster", "")) is case["matches"]


@pytest.mark.parametrize(
    "case",
    cases("decoration", "finalize_default_decoration_configs"),
    ids=ids("decoration", "finalize_default_decoration_configs"),
)
def test_finalize_default_decoration_configs(case: dict[str, Any], tmp_path: Path) -> None:
    config_yaml = tmp_path / "config.yaml"
    config_yaml.write_text(yaml.safe_dump({"plank": case["plank"]}))
    if case.get("error"):
        with pytest.raises(ConfigError) as caught:
            load_config(config_yaml)
        assert [p.field for p in caught.value.problems] == [
            "plank.default_decoration_config_entries"
        ]
        return
    entries = load_config(config_yaml).plank.decoration_entries
    got = [{"repo": e.repo, "cluster": e.cluster, "config": _plain(e.config)} for e in entries]
    assert got == [{**e, "config": _expected(e["config"])} for e in case["entries"]]


def _defaulted(cls: type[JobBase], case: dict[str, Any], repo: str | None) -> JobBase:
    plank = Plank.model_validate({"default_decoration_config_entries": case["entries"]})
    defaults = JobDefaults(
        pod_namespace="default",
        decorate_all_jobs=case.get("decorate_all_jobs", False),
        plank=plank,
        presets=[],
        fill_decoration=False,  # Prow's defaulting, without minprow's own fill-ins
    )
    errors: list[Problem] = []
    raw = {"name": "job", **case["job"]}
    job = build_job(cls, raw, "jobs.yaml", "job", repo, defaults, errors, [])
    assert errors == []
    assert job is not None
    return job


@pytest.mark.parametrize(
    "case",
    cases("decoration", "set_decoration_defaults"),
    ids=ids("decoration", "set_decoration_defaults"),
)
@pytest.mark.parametrize("kind", [Presubmit, Postsubmit], ids=["presubmit", "postsubmit"])
def test_set_decoration_defaults(case: dict[str, Any], kind: type[JobBase]) -> None:
    job = _defaulted(kind, case, case.get("repo", ""))
    assert _plain(job.decoration_config) == _expected(case["expected"])


@pytest.mark.parametrize(
    "case",
    cases("decoration", "set_periodic_decoration_defaults"),
    ids=ids("decoration", "set_periodic_decoration_defaults"),
)
def test_set_periodic_decoration_defaults(case: dict[str, Any]) -> None:
    job = _defaulted(Periodic, case, None)
    assert _plain(job.decoration_config) == _expected(case["expected"])


@pytest.mark.parametrize(
    "case", cases("decoration", "apply_default"), ids=ids("decoration", "apply_default")
)
def test_apply_default(case: dict[str, Any]) -> None:
    provided = DecorationConfig.model_validate(case["provided"])
    defaults = DecorationConfig.model_validate(case["defaults"])
    assert _plain(provided.apply_default(defaults)) == _expected(case["expected"])


@pytest.mark.parametrize("case", cases("decoration", "raw_yaml"), ids=ids("decoration", "raw_yaml"))
def test_raw_yaml(case: dict[str, Any], tmp_path: Path) -> None:
    config_yaml, _ = write_configs(tmp_path, case["prow_config"])
    if case.get("strict_error") or case.get("error"):
        with pytest.raises(ConfigError):
            load_config(config_yaml, strict=True)
    else:
        load_config(config_yaml, strict=True)
    if case.get("error") and not case.get("minprow_fills"):
        with pytest.raises(ConfigError):
            load_config(config_yaml)
        return
    config = load_config(config_yaml)
    if case.get("minprow_fills"):
        filled = sorted(
            (n.field or "").rpartition(".")[2]
            for n in config.notices
            if "default_decoration_config_entries" in (n.field or "")
        )
        assert filled == sorted(case["minprow_fills"])
        return
    assert len(config.periodics) == 1
    if "expected" in case:
        assert _plain(config.periodics[0].decoration_config) == _expected(case["expected"])

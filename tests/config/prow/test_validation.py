"""Job validation as Prow's own tables say: names, agents, pod specs, triggers, periodics.

The cases are Prow's (fixtures/config/prow/validation.yaml). Prow's tests validate
job structs built without defaulting, so the jobs here are built the same way (a
field not given is Go's zero value), then checked by minprow's validator
(minprow.config.validate) or by loading them (for the regex checks of loading)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from prow_cases import cases, ids

from minprow.config import ConfigError, JobBase, Plank, Postsubmit, Presubmit, load_config
from minprow.config.jobs import Periodic
from minprow.config.podspec import validate_decoration, validate_labels, validate_pod_spec
from minprow.config.problems import Problem
from minprow.config.validate import Checker, validate_utility_config
from minprow.model import DecorationConfig, ProwJobType

J = TypeVar("J", bound=JobBase)
Outcome = tuple[str | None, str | None, str]
"""(job, field, message) of one problem."""


def _undefaulted(cls: type[J], fields: dict[str, Any]) -> J:
    """The job as Prow's tests build it: Go's zero values, no defaulting."""
    job = cls.model_validate({"name": "", "agent": "", **fields})
    for name in ("context", "trigger", "rerun_command"):
        if name in cls.model_fields and name not in fields:
            setattr(job, name, "")
    return job


def _outcomes(problems: list[Problem]) -> list[Outcome]:
    return [(p.job, p.field, p.message) for p in problems]


def _findings(found: list[tuple[str, str]]) -> list[Outcome]:
    return [(None, field, message) for field, message in found]


def _assert_exactly(actual: list[Outcome], expected: list[dict[str, Any]] | None) -> None:
    """Every expected problem is there, and nothing else."""
    left = list(actual)
    for want in expected or ():
        hit = next(
            (
                got
                for got in left
                if ("job" not in want or got[0] == want["job"])
                and ("field" not in want or got[1] == want["field"])
                and want.get("message", "") in got[2]
            ),
            None,
        )
        assert hit is not None, f"expected {want} among {actual}"
        left.remove(hit)
    assert left == [], f"unexpected problems: {left}"


def _checker(pod_namespace: str = "", queues: dict[str, int] | None = None) -> Checker:
    return Checker(pod_namespace, Plank.model_validate({"job_queue_capacities": queues or {}}))


@pytest.mark.parametrize(
    "case", cases("validation", "validate_agent"), ids=ids("validation", "validate_agent")
)
def test_validate_agent(case: dict[str, Any]) -> None:
    checker = _checker("default")
    checker.agent(_undefaulted(Presubmit, case["job"]))
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))
    _assert_exactly(_outcomes(checker.warnings), case.get("warnings"))


@pytest.mark.parametrize(
    "case", cases("validation", "validate_pod_spec"), ids=ids("validation", "validate_pod_spec")
)
def test_validate_pod_spec(case: dict[str, Any]) -> None:
    raw = case.get("decoration_config")
    decoration = None if raw is None else DecorationConfig.model_validate(raw)
    job_type = ProwJobType(case.get("job_type", "presubmit"))
    found = validate_pod_spec(job_type, case["spec"], decoration)
    _assert_exactly(_findings(found), case.get("errors"))


@pytest.mark.parametrize(
    "case",
    cases("validation", "validate_decoration"),
    ids=ids("validation", "validate_decoration"),
)
def test_validate_decoration(case: dict[str, Any]) -> None:
    raw = case["decoration_config"]
    decoration = None if raw is None else DecorationConfig.model_validate(raw)
    found = validate_decoration({"containers": [case["container"]]}, decoration)
    _assert_exactly(_findings(found), case.get("errors"))


@pytest.mark.parametrize(
    "case", cases("validation", "validate_labels"), ids=ids("validation", "validate_labels")
)
def test_validate_labels(case: dict[str, Any]) -> None:
    _assert_exactly(_findings(validate_labels(case["labels"])), case.get("errors"))


@pytest.mark.parametrize(
    "case", cases("validation", "validate_job_base"), ids=ids("validation", "validate_job_base")
)
def test_validate_job_base(case: dict[str, Any]) -> None:
    checker = _checker("target-namespace", {"queue": 0})
    job = _undefaulted(Presubmit, case["job"])
    checker.job_base(job, ProwJobType.PRESUBMIT)
    _assert_exactly(_outcomes(checker.errors), _for_job(job, case.get("errors")))
    _assert_exactly(_outcomes(checker.warnings), _for_job(job, case.get("warnings")))


def _for_job(job: JobBase, expected: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return [{"job": job.name, **want} for want in expected or ()]


@pytest.mark.parametrize(
    "case", cases("validation", "utility_config"), ids=ids("validation", "utility_config")
)
def test_utility_config(case: dict[str, Any]) -> None:
    job = _undefaulted(Presubmit, case["job"])
    _assert_exactly(_findings(validate_utility_config(job)), case.get("errors"))


@pytest.mark.parametrize(
    "case", cases("validation", "triggering"), ids=ids("validation", "triggering")
)
def test_triggering(case: dict[str, Any]) -> None:
    checker = _checker()
    checker.triggering(_undefaulted(Presubmit, case["job"]))
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))


@pytest.mark.parametrize(
    "case", cases("validation", "always_run"), ids=ids("validation", "always_run")
)
def test_always_run(case: dict[str, Any]) -> None:
    checker = _checker()
    checker.always_run(_undefaulted(Postsubmit, case["job"]))
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))


@pytest.mark.parametrize(
    "case",
    cases("validation", "validate_presubmits"),
    ids=ids("validation", "validate_presubmits"),
)
def test_validate_presubmits(case: dict[str, Any]) -> None:
    checker = _checker()
    checker.presubmits("org/repo", [_undefaulted(Presubmit, j) for j in case["jobs"]])
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))


@pytest.mark.parametrize(
    "case",
    cases("validation", "validate_postsubmits"),
    ids=ids("validation", "validate_postsubmits"),
)
def test_validate_postsubmits(case: dict[str, Any]) -> None:
    checker = _checker()
    checker.postsubmits("org/repo", [_undefaulted(Postsubmit, j) for j in case["jobs"]])
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))


def _ns(value: timedelta | None) -> int | None:
    return None if value is None else value // timedelta(microseconds=1) * 1000


@pytest.mark.parametrize(
    "case", cases("validation", "validate_periodics"), ids=ids("validation", "validate_periodics")
)
def test_validate_periodics(case: dict[str, Any]) -> None:
    checker = _checker()
    jobs = [_undefaulted(Periodic, j) for j in case["jobs"]]
    checker.periodics(jobs)
    _assert_exactly(_outcomes(checker.errors), case.get("errors"))
    if "intervals" in case:
        parsed = [
            {
                "interval": _ns(job.interval_duration),
                "minimum_interval": _ns(job.minimum_interval_duration),
            }
            for job in jobs
        ]
        wanted = case["intervals"]
        assert [{k: p[k] for k in w} for p, w in zip(parsed, wanted, strict=True)] == wanted


@pytest.mark.parametrize(
    "case", cases("validation", "set_regexes"), ids=ids("validation", "set_regexes")
)
def test_set_regexes(case: dict[str, Any], tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(case["jobs"])
    try:
        load_config(None, jobs)
        problems: list[Problem] = []
    except ConfigError as err:
        problems = err.problems
    _assert_exactly(_outcomes(problems), case.get("errors"))

"""Which jobs run, as Prow's own tables say: branches, changed files, comments.

The cases are Prow's (fixtures/config/prow/matching.yaml); minprow's job models
(minprow.config.jobs) must give the same outcomes, through Go's regexp (RE2)."""

from __future__ import annotations

from typing import Any

import pytest
from prow_cases import cases, ids

from minprow.config import Brancher, Postsubmit, Presubmit


def _job(kind: str, fields: dict[str, Any]) -> Presubmit | Postsubmit:
    data = {"name": "", **fields}  # a job without a name has Go's zero value
    return (
        Presubmit.model_validate(data) if kind == "presubmit" else Postsubmit.model_validate(data)
    )


def _presubmit(fields: dict[str, Any]) -> Presubmit:
    job = _job("presubmit", fields)
    assert isinstance(job, Presubmit)
    return job


@pytest.mark.parametrize(
    "case",
    cases("matching", "runs_against_changes"),
    ids=ids("matching", "runs_against_changes"),
)
def test_runs_against_changes(case: dict[str, Any]) -> None:
    job = _job(case["kind"], case["job"])
    assert job.runs_against_changes(case["changes"]) is case["runs"]


@pytest.mark.parametrize(
    "case", cases("matching", "run_against_branch"), ids=ids("matching", "run_against_branch")
)
def test_run_against_branch(case: dict[str, Any]) -> None:
    job = _presubmit(case["job"])
    assert {b: job.should_run_for_branch(b) for b in case["runs"]} == case["runs"]


@pytest.mark.parametrize(
    "case", cases("matching", "brancher_intersects"), ids=ids("matching", "brancher_intersects")
)
def test_brancher_intersects(case: dict[str, Any]) -> None:
    a, b = Brancher.model_validate(case["a"]), Brancher.model_validate(case["b"])
    assert (a.intersects(b), b.intersects(a)) == (case["intersects"], case["intersects"])


@pytest.mark.parametrize(
    "case", cases("matching", "presubmit_should_run"), ids=ids("matching", "presubmit_should_run")
)
def test_presubmit_should_run(case: dict[str, Any]) -> None:
    job = _presubmit(case["job"])
    runs = job.should_run(
        case["ref"],
        case.get("changes", []),
        forced=case.get("forced", False),
        defaults=case.get("defaults", False),
    )
    assert runs is case["runs"]


@pytest.mark.parametrize(
    "case", cases("matching", "postsubmit_should_run"), ids=ids("matching", "postsubmit_should_run")
)
def test_postsubmit_should_run(case: dict[str, Any]) -> None:
    job = _job("postsubmit", case["job"])
    assert isinstance(job, Postsubmit)
    assert job.should_run(case["ref"], case.get("changes", [])) is case["runs"]


@pytest.mark.parametrize(
    "case",
    cases("matching", "needs_explicit_trigger"),
    ids=ids("matching", "needs_explicit_trigger"),
)
def test_needs_explicit_trigger(case: dict[str, Any]) -> None:
    job = _presubmit(case["job"])
    assert job.needs_explicit_trigger() is case["needs_explicit_trigger"]
    assert job.triggers_conditionally() is case["triggers_conditionally"]


@pytest.mark.parametrize(
    "case", cases("matching", "trigger_matches"), ids=ids("matching", "trigger_matches")
)
def test_trigger_matches(case: dict[str, Any]) -> None:
    job = _presubmit(case["job"])
    assert job.trigger_matches(case["body"]) is case["matches"]
    # As Prow's SetPresubmitRegexes requires of every presubmit it loads:
    assert job.trigger_matches(job.rerun_command)


@pytest.mark.parametrize(
    "case", cases("matching", "default_triggering"), ids=ids("matching", "default_triggering")
)
def test_default_triggering(case: dict[str, Any]) -> None:
    job = _presubmit({"name": case["name"]})
    assert (job.trigger, job.rerun_command) == (case["trigger"], case["rerun_command"])
    assert job.trigger_matches(job.rerun_command)

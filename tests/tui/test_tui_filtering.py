"""The filter line's syntax and the row formatting, as tables (no app needed)."""

from __future__ import annotations

import pytest
from tuiapp_jobs import SPECS, jobs

from minprow.tui.filtering import JobFilter
from minprow.tui.rows import JobList, JobRow, format_elapsed
from minprow.tui.widgets.job_table import COLUMNS, layout

PARSED = [
    ("", (), ()),
    ("E2E  gce", ("e2e", "gce"), ()),
    ("state:Failure pr:#12", (), (("state", "failure"), ("pr", "#12"))),
    ("state:", (), ()),
    ("foo:bar", ("foo:bar",), ()),
    ("repo:org/repo author:x e2e", ("e2e",), (("repo", "org/repo"), ("author", "x"))),
]


@pytest.mark.parametrize(("text", "words", "terms"), PARSED, ids=[t or "empty" for t, *_ in PARSED])
def test_parse(text: str, words: tuple[str, ...], terms: tuple[tuple[str, str], ...]) -> None:
    parsed = JobFilter.parse(text)
    assert (parsed.words, parsed.terms) == (words, terms)
    assert parsed.empty == (not words and not terms)


MATCHES = [
    ("pr:#101", {"j01", "j02", "j03"}),
    ("pr:abc", set()),
    ("state:", {spec.name for spec in SPECS}),
    ("type:post", {"j06"}),
    ("job:ci-", {"j07", "j10"}),
    ("PULL-UNIT bob", {"j04"}),
]


@pytest.mark.parametrize(("text", "expected"), MATCHES, ids=[t for t, _ in MATCHES])
def test_matches(text: str, expected: set[str]) -> None:
    job_filter = JobFilter.parse(text)
    assert {row.name for row in map(JobRow.of, jobs()) if job_filter.matches(row)} == expected


ELAPSED = [
    (0, "0s"),
    (59.9, "59s"),
    (60, "1m00s"),
    (3599, "59m59s"),
    (3600, "1h00m"),
    (90061, "25h01m"),
    (-5, "0s"),
]


@pytest.mark.parametrize(("seconds", "shown"), ELAPSED, ids=[s for _, s in ELAPSED])
def test_format_elapsed(seconds: float, shown: str) -> None:
    assert format_elapsed(seconds) == shown


def test_job_list_keeps_counts_order_and_filter_through_changes() -> None:
    listed = JobList()
    listed.replace_all(jobs())
    listed.set_filter(JobFilter.parse("author:alice"))
    assert [row.name for row in listed.shown] == ["j02", "j01", "j03"]
    finished = listed.get("j01")
    assert finished is not None
    job = finished.job.model_copy(deep=True)
    job.status.state = job.status.state.FAILURE
    listed.put(job)
    assert [row.name for row in listed.shown] == ["j02", "j01", "j03"]
    assert listed.by_state[job.status.state.PENDING] == 1
    assert listed.by_state[job.status.state.FAILURE] == 3
    listed.remove("j02")
    listed.remove("j02")
    assert [row.name for row in listed.shown] == ["j01", "j03"]
    assert len(listed) == len(SPECS) - 1
    assert listed.index_of("j03") == 1
    assert listed.index_of("j04") is None


LAYOUTS = [
    (160, ["STATE", "JOB", "TYPE", "REPO / PR", "STARTED", "DURATION", "CLUSTER"]),
    (120, ["STATE", "JOB", "TYPE", "REPO / PR", "STARTED", "DURATION", "CLUSTER"]),
    (100, ["STATE", "JOB", "REPO / PR", "STARTED", "DURATION"]),
    (80, ["STATE", "JOB", "REPO / PR", "DURATION"]),
    (60, ["STATE", "JOB", "DURATION"]),
]


@pytest.mark.parametrize(("width", "titles"), LAYOUTS, ids=[str(w) for w, _ in LAYOUTS])
def test_narrow_terminals_drop_columns_before_squeezing_the_job(
    width: int, titles: list[str]
) -> None:
    columns = layout(width)
    assert [COLUMNS[index][0] for index, _ in columns] == titles
    assert sum(w for _, w in columns) + len(columns) - 1 <= max(width, 60)

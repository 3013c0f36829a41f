"""Job semantics as Prow's jobs.go: branches, changed files, triggers, defaults."""

from __future__ import annotations

from datetime import timedelta

import pytest

from minprow.config import Periodic, Postsubmit, Presubmit

BRANCHES = [
    # branches, skip_branches, branch, runs
    ([], [], "anything", True),
    (["^main$"], [], "main", True),
    (["^main$"], [], "main-2", False),
    (["main"], [], "not-main-at-all", True),  # unanchored search, like Go's MatchString
    (["release-v1.149"], [], "release-v1x149", True),
    (["^master$", "^main$"], [], "main", True),  # joined with |
    ([], [r"release-v\d+.\d+"], "release-v1.2", False),
    ([], [r"release-v\d+.\d+"], "main", True),
    (["^release-"], ["^release-1$"], "release-1", False),  # skip_branches wins
    (["^release-"], ["^release-1$"], "release-2", True),
]


@pytest.mark.parametrize(
    ("branches", "skip", "branch", "runs"),
    BRANCHES,
    ids=[f"{b}-{s}-{br}" for b, s, br, _ in BRANCHES],
)
def test_brancher(branches: list[str], skip: list[str], branch: str, runs: bool) -> None:
    job = Presubmit(name="j", branches=branches, skip_branches=skip)
    assert job.should_run_for_branch(branch) is runs


CHANGES = [
    # run_if_changed, skip_if_only_changed, changed files, (determined, runs)
    ("", "", ["a.go"], (False, False)),
    ("^docs/", "", ["docs/a.md"], (True, True)),
    ("^docs/", "", ["src/a.go"], (True, False)),
    ("^docs/", "", [], (True, False)),
    ("", r"\.md$", ["README.md"], (True, False)),
    ("", r"\.md$", ["README.md", "main.go"], (True, True)),
    ("", r"\.md$", [], (True, False)),  # no files: Prow's loop finds nothing to run for
]


@pytest.mark.parametrize(
    ("run_if_changed", "skip_if_only_changed", "files", "expected"),
    CHANGES,
    ids=["no-regex", "ric-hit", "ric-miss", "ric-empty", "sioc-only", "sioc-mixed", "sioc-empty"],
)
def test_change_matcher(
    run_if_changed: str, skip_if_only_changed: str, files: list[str], expected: tuple[bool, bool]
) -> None:
    job = Presubmit(
        name="j", run_if_changed=run_if_changed, skip_if_only_changed=skip_if_only_changed
    )
    assert job.can_run_with_changes(files) == expected


SHOULD_RUN = [
    # fields, base, files, forced, defaults, runs
    ({"always_run": True}, "main", [], False, False, True),
    ({"always_run": True, "branches": ["^main$"]}, "dev", [], False, False, False),
    ({}, "main", ["a"], False, False, False),  # comment-only job
    ({}, "main", ["a"], True, False, True),  # /test
    ({}, "main", ["a"], False, True, True),  # defaults
    ({"run_if_changed": "^a$"}, "main", ["a"], False, False, True),
    ({"run_if_changed": "^a$"}, "main", ["b"], False, False, False),
    ({"run_if_changed": "^a$", "branches": ["^x$"]}, "main", ["a"], True, False, False),
]


@pytest.mark.parametrize(
    ("fields", "base", "files", "forced", "defaults", "runs"),
    SHOULD_RUN,
    ids=[
        "always",
        "always-other-branch",
        "manual",
        "forced",
        "defaults",
        "changed",
        "unchanged",
        "forced-wrong-branch",
    ],
)
def test_presubmit_should_run(
    fields: dict[str, object],
    base: str,
    files: list[str],
    forced: bool,
    defaults: bool,
    runs: bool,
) -> None:
    job = Presubmit.model_validate({"name": "j", **fields})
    assert job.should_run(base, files, forced=forced, defaults=defaults) is runs


POSTSUBMIT = [
    ({}, "refs/heads/main", [], True),  # postsubmits run unless told not to
    ({"always_run": False}, "main", [], False),
    ({"branches": ["^v1"]}, "refs/tags/v1.2", [], True),  # tags match like branches
    ({"run_if_changed": "^src/"}, "main", ["docs/x"], False),
    ({"run_if_changed": "^src/", "always_run": False}, "main", ["src/x"], True),
]


@pytest.mark.parametrize(
    ("fields", "ref", "files", "runs"),
    POSTSUBMIT,
    ids=["default", "always-run-false", "tag", "ric-miss", "ric-hit"],
)
def test_postsubmit_should_run(
    fields: dict[str, object], ref: str, files: list[str], runs: bool
) -> None:
    job = Postsubmit.model_validate({"name": "p", **fields})
    assert job.should_run(ref, files) is runs


def test_presubmit_defaults() -> None:
    job = Presubmit(name="pull-x.y")
    assert job.context == "pull-x.y"
    assert job.trigger == r"(?m)^/test( | .* )pull-x.y,?($|\s.*)"
    assert job.rerun_command == "/test pull-x.y"
    assert (job.agent, job.cluster, job.max_concurrency) == ("kubernetes", "default", 0)
    assert job.needs_explicit_trigger()
    assert job.context_required()
    assert not Presubmit(name="o", optional=True).context_required()
    assert Presubmit(name="o", optional=True).is_optional()


def test_explicit_trigger_is_not_defaulted_when_half_set() -> None:
    job = Presubmit(name="j", trigger="(?m)^/go$")
    assert job.rerun_command == ""  # left for validation to reject


TRIGGERS = [
    ("/test j", True),
    ("/test a j b", True),
    ("/test j,", True),
    ("please\n/test j\nthanks", True),
    ("/test jj", False),
    ("/test all", False),
    ("/retest", False),
    (" /test j", False),
]


@pytest.mark.parametrize(("comment", "matches"), TRIGGERS, ids=[c for c, _ in TRIGGERS])
def test_default_trigger(comment: str, matches: bool) -> None:
    assert Presubmit(name="j").trigger_matches(comment) is matches
    assert Presubmit(name="j").triggers_on(comment) is matches


def test_regexes_are_compiled_once_per_pattern() -> None:
    a = Presubmit(name="a", branches=["^main$", "^dev$"])
    b = Presubmit(name="b", branches=["^main$", "^dev$"])
    assert a.branch_regex() is b.branch_regex()
    assert a.branch_regex() is a.branch_regex()


def test_periodic_intervals() -> None:
    # Cron schedules are horologium's (minprow/horologium/cron.py), read as Prow reads them.
    job = Periodic(name="p", interval="1h10m")
    assert job.interval_duration == timedelta(hours=1, minutes=10)
    assert job.minimum_interval_duration is None


def test_unknown_fields_are_kept_for_the_checker() -> None:
    job = Presubmit.model_validate({"name": "j", "alwaysrun": True})
    assert job.unknown_fields == ["alwaysrun"]

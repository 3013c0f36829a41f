"""The GitHub reporter through crier: statuses per state, the 140-character
description, 422 as final, the summary comment's life, deleted jobs, filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from crier_helpers import (
    BASE_SHA,
    SHA,
    FakeComment,
    FakeGitHub,
    FakeUser,
    is_unprocessable,
    make_job,
    running,
    set_state,
    settle,
)
from fakes import VirtualClock

from minprow.config import Config
from minprow.config.prow import GitHubReporter as GitHubReporterConfig
from minprow.config.prow import Plank as PlankConfig
from minprow.crier import Crier
from minprow.crier.reporters._summary import COMMENT_TAG
from minprow.crier.reporters.github import (
    DELETED_DESCRIPTION,
    MAX_DESCRIPTION,
    GitHubReporter,
    description,
)
from minprow.model import ProwJobState, ProwJobType
from minprow.store import JobStore

S = ProwJobState


def reporter_for(
    github: FakeGitHub, store: JobStore, **settings: Any
) -> tuple[GitHubReporter, Callable[[], Config]]:
    config = Config(github_reporter=GitHubReporterConfig(**settings))
    reporter = GitHubReporter(github, lambda: config, store, is_permanent=is_unprocessable)
    return reporter, lambda: config


@pytest.mark.parametrize(
    ("final", "expected"),
    [
        (S.SUCCESS, ["pending", "pending", "success"]),
        (S.FAILURE, ["pending", "pending", "failure"]),
        (S.ABORTED, ["pending", "pending", "failure"]),
        (S.ERROR, ["pending", "pending", "error"]),
    ],
    ids=["success", "failure", "aborted-is-failure-as-prow", "error"],
)
async def test_a_status_per_state(
    store: JobStore, clock: VirtualClock, final: ProwJobState, expected: list[str]
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store, no_comment_repos=["acme"])
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
        await set_state(store, "job-1", S.PENDING, "Job triggered.")
        await settle(crier)
        await set_state(store, "job-1", final, "Job finished.")
        await settle(crier)
    assert github.states() == expected
    last = github.statuses[-1]
    assert (last.sha, last.context, last.target_url) == (
        SHA,
        "pull-widget-unit",
        "https://prow.example/view/job-1",
    )
    assert last.description.startswith("Job finished.")
    assert last.description.endswith(f" BaseSHA:{BASE_SHA}")
    assert store.get("job-1").status.prev_report_states == {"github-reporter": final}


@pytest.mark.parametrize(
    ("human", "base_sha", "starts"),
    [
        ("Job succeeded.", BASE_SHA, "Job succeeded.\u2001"),
        ("x" * 300, BASE_SHA, "x" * 43 + " ... "),
        ("é" * 200, None, "é" * 67 + " ... "),
        ("Job succeeded.", None, "Job succeeded."),
    ],
    ids=["padded-to-140", "long-elided", "unicode-counted-in-characters", "no-base-sha"],
)
def test_description_fits_github(human: str, base_sha: str | None, starts: str) -> None:
    text = description(human, base_sha)
    assert len(text) <= MAX_DESCRIPTION
    assert text.startswith(starts)
    if base_sha:
        assert len(text) == MAX_DESCRIPTION
        assert text.endswith(f" BaseSHA:{base_sha}")


async def test_a_long_description_is_accepted_by_github(
    store: JobStore, clock: VirtualClock
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await set_state(store, "job-1", S.PENDING, "a very long description " * 20)
        await settle(crier)
    assert github.states() == ["pending"]
    assert len(github.statuses[-1].description) == MAX_DESCRIPTION


async def test_422_for_a_vanished_commit_is_final(store: JobStore, clock: VirtualClock) -> None:
    github = FakeGitHub(missing_commits={SHA})
    reporter, _ = reporter_for(github, store)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
    assert github.calls == ["create_status"]
    assert clock.sleeps == []
    assert store.get("job-1").status.prev_report_states == {"github-reporter": S.TRIGGERED}


@pytest.mark.parametrize(
    ("job_kwargs", "settings", "expected_states"),
    [
        ({"type": ProwJobType.PERIODIC}, {}, []),
        ({"type": ProwJobType.POSTSUBMIT}, {}, ["pending"]),
        ({"type": ProwJobType.POSTSUBMIT}, {"job_types_to_report": ["presubmit"]}, []),
        ({"report": False}, {}, []),
        ({"report": None}, {}, []),
        ({"type": ProwJobType.BATCH}, {"job_types_to_report": ["presubmit", "batch"]}, []),
    ],
    ids=[
        "periodic",
        "postsubmit-default",
        "postsubmit-filtered",
        "skip-report",
        "report-unset",
        "batch-never",
    ],
)
async def test_which_jobs_get_a_status(
    store: JobStore,
    clock: VirtualClock,
    job_kwargs: dict[str, Any],
    settings: dict[str, Any],
    expected_states: list[str],
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store, **settings)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job(**job_kwargs))
        await settle(crier)
    assert github.states() == expected_states
    if job_kwargs.get("type") is ProwJobType.POSTSUBMIT and expected_states:
        assert github.statuses[0].sha == BASE_SHA


def rows(github: FakeGitHub) -> list[list[str]]:
    """The failed contexts of each comment left on the pull request."""
    result = []
    for comment in github.comments:
        assert COMMENT_TAG in comment.body
        table = comment.body.split("--- | --- | --- | --- | ---\n")
        lines = table[1].split("\n\n")[0].splitlines() if len(table) > 1 else []
        result.append([line.split(" | ")[0] for line in lines])
    return result


async def test_the_summary_comment_follows_failures_and_fixes(
    store: JobStore, clock: VirtualClock
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store)

    async def finish(name: str, job: str, state: ProwJobState) -> None:
        await store.create(make_job(name, job=job))
        await settle(crier)
        await set_state(store, name, state)
        await settle(crier)

    async with running(Crier(store, [reporter], clock)) as crier:
        await finish("a-1", "unit", S.FAILURE)
        assert rows(github) == [["unit"]]
        first = github.comments[0]
        assert first.body.startswith("@alice: The following test **failed**")
        assert "`/test unit`" in first.body

        await finish("b-1", "lint", S.FAILURE)
        assert rows(github) == [["unit", "lint"]]
        assert github.comments[0].id != first.id  # a new failure: a new comment at the bottom

        await finish("a-2", "unit", S.SUCCESS)
        assert rows(github) == [["lint"]]
        assert "edit_comment" in github.calls

        await finish("b-2", "lint", S.SUCCESS)
        assert github.comments == []


async def test_a_foreign_comment_with_the_tag_is_left_alone(
    store: JobStore, clock: VirtualClock
) -> None:
    github = FakeGitHub()
    github.comments.append(FakeComment(1, f"quoting the bot\n{COMMENT_TAG}", FakeUser("mallory")))
    reporter, _ = reporter_for(github, store)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await set_state(store, "job-1", S.SUCCESS)
        await settle(crier)
    assert [c.user.login for c in github.comments] == ["mallory"]


@pytest.mark.parametrize(
    ("settings", "final", "expected"),
    [
        ({"no_comment_repos": ["acme/widget"]}, S.FAILURE, []),
        ({"no_comment_repos": ["acme"]}, S.FAILURE, []),
        ({"summary_comment_repos": ["acme"]}, S.SUCCESS, ["@alice: all tests **passed!**"]),
        ({"summary_comment_repos": ["acme/widget"]}, S.FAILURE, ["@alice: The following test"]),
        ({"summary_comment_repos": ["acme"]}, S.ABORTED, []),
    ],
    ids=[
        "no-comment-repo",
        "no-comment-org",
        "summary-passed",
        "summary-failed",
        "summary-aborted",
    ],
)
async def test_comment_settings(
    store: JobStore,
    clock: VirtualClock,
    settings: dict[str, Any],
    final: ProwJobState,
    expected: list[str],
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store, **settings)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await set_state(store, "job-1", final)
        await settle(crier)
    assert github.states()[-1] != "pending"
    assert [c.body[: len(e)] for c, e in zip(github.comments, expected, strict=False)] == expected
    assert len(github.comments) == len(expected)


async def test_a_summary_waits_for_every_job_of_the_pull(
    store: JobStore, clock: VirtualClock
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store, summary_comment_repos=["acme"])
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job("a", job="unit"))
        await store.create(make_job("b", job="lint"))
        await set_state(store, "a", S.SUCCESS)
        await settle(crier)
        assert github.comments == []
        await set_state(store, "b", S.SUCCESS)
        await settle(crier)
    assert [c.body.splitlines()[0] for c in github.comments] == ["@alice: all tests **passed!**"]


@pytest.mark.parametrize(
    ("last_state", "expected"),
    [
        (S.PENDING, ["pending", "pending", "error"]),
        (S.SUCCESS, ["pending", "pending", "success"]),
    ],
    ids=["pending-resolved", "finished-left-alone"],
)
async def test_a_deleted_prowjob_resolves_its_pending_status(
    store: JobStore, clock: VirtualClock, last_state: ProwJobState, expected: list[str]
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store, no_comment_repos=["acme"])
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await settle(crier)
        await set_state(store, "job-1", S.PENDING)
        await settle(crier)
        if last_state is not S.PENDING:
            await set_state(store, "job-1", last_state)
            await settle(crier)
        await store.delete("job-1")
        await settle(crier)
    assert github.states() == expected
    if last_state is S.PENDING:
        assert github.statuses[-1].description.startswith(DELETED_DESCRIPTION)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            "[PR history](https://prow.example/pr-history?org={{.Spec.Refs.Org}}&pr={{with index .Spec.Refs.Pulls 0}}{{.Number}}{{end}})",
            "[PR history](https://prow.example/pr-history?org=acme&pr=7)",
        ),
        ("{{range .Spec.Refs.Pulls}}{{.Number}}{{end}}", None),
    ],
    ids=["rendered", "unsupported-left-out"],
)
async def test_plank_report_template_in_the_comment(
    store: JobStore, clock: VirtualClock, template: str, expected: str | None
) -> None:
    github = FakeGitHub()
    config = Config(plank=PlankConfig(report_templates={"*": template}))
    reporter = GitHubReporter(github, lambda: config, store, is_permanent=is_unprocessable)
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(make_job())
        await set_state(store, "job-1", S.FAILURE)
        await settle(crier)
    [comment] = github.comments
    lines = comment.body.splitlines()
    if expected is None:
        assert "{{" not in comment.body
        assert lines[-5] == "<details>"
    else:
        assert expected in lines


async def test_jobs_of_one_pull_finishing_together_leave_one_comment(
    store: JobStore, clock: VirtualClock
) -> None:
    github = FakeGitHub()
    reporter, _ = reporter_for(github, store)
    async with running(Crier(store, [reporter], clock)) as crier:
        for name in ("unit", "lint", "e2e"):
            await store.create(make_job(name, job=name))
        for name in ("unit", "lint", "e2e"):
            await set_state(store, name, S.FAILURE)
        await settle(crier)
    assert [sorted(r) for r in rows(github)] == [["e2e", "lint", "unit"]]
    assert reporter._pr_locks == {}

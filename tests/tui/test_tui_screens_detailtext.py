"""The detail screen's text: links from the refs' own fields, else built for GitHub;
artifacts from the decoration config; the history the job's fields prove."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.markup import to_content
from textual.style import Style
from tuiscreens_helpers import load_job

from minprow.model import ProwJobState
from minprow.model.decoration import GCSConfiguration
from minprow.model.prowjob import Pull, Refs
from minprow.tui.screens import detailtext

SHA = "9f8e7d6c5b4a39281706f5e4d3c2b1a098f7e6d5"
BASE = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"


def links(markup: str) -> list[str]:
    found = (
        Style.parse(s.style).link for s in to_content(markup).spans if isinstance(s.style, str)
    )
    return [link for link in found if link]


@pytest.mark.parametrize(
    ("refs", "expected"),
    [
        (
            Refs(org="acme", repo="widgets", base_ref="main", base_sha=BASE),
            [
                "https://github.com/acme/widgets",
                "https://github.com/acme/widgets/tree/main",
                f"https://github.com/acme/widgets/commit/{BASE}",
            ],
        ),
        (
            Refs(
                org="acme",
                repo="widgets",
                repo_link="https://git.acme.dev/acme/widgets",
                base_ref="main",
                base_sha=BASE,
                base_link=f"https://git.acme.dev/acme/widgets/-/commit/{BASE}",
                pulls=[
                    Pull(
                        number=7,
                        author="bob",
                        sha=SHA,
                        link="https://git.acme.dev/acme/widgets/-/merge_requests/7",
                        commit_link=f"https://git.acme.dev/acme/widgets/-/commit/{SHA}",
                        author_link="https://git.acme.dev/bob",
                    )
                ],
            ),
            [
                "https://git.acme.dev/acme/widgets",
                "https://git.acme.dev/acme/widgets/tree/main",
                f"https://git.acme.dev/acme/widgets/-/commit/{BASE}",
                "https://git.acme.dev/acme/widgets/-/merge_requests/7",
                "https://git.acme.dev/bob",
                f"https://git.acme.dev/acme/widgets/-/commit/{SHA}",
            ],
        ),
        (
            Refs(org="acme", repo="widgets", pulls=[Pull(number=7, author="bob", sha=SHA)]),
            [
                "https://github.com/acme/widgets",
                "https://github.com/acme/widgets/pull/7",
                "https://github.com/bob",
                f"https://github.com/acme/widgets/pull/7/commits/{SHA}",
            ],
        ),
    ],
    ids=["built-for-github", "the-refs-own-links", "pull-without-base"],
)
def test_refs_links(refs: Refs, expected: list[str]) -> None:
    job = load_job("presubmit_pending")
    job.spec.refs = refs
    job.spec.extra_refs = None
    assert links(detailtext.refs_section(job)) == expected


def test_a_title_cannot_inject_markup() -> None:
    job = load_job("presubmit_pending")
    assert job.spec.refs is not None
    assert job.spec.refs.pulls
    job.spec.refs.pulls[0].title = "[link='https://evil.example']click[/link] [b]me"
    shown = to_content(detailtext.refs_section(job))
    assert "[link='https://evil.example']click[/link] [b]me" in shown.plain
    assert "https://evil.example" not in links(detailtext.refs_section(job))


@pytest.mark.parametrize(
    ("gcs", "expected"),
    [
        (
            GCSConfiguration(bucket="acme-prow-artifacts", path_strategy="explicit"),
            "gs://acme-prow-artifacts/pr-logs/pull/acme_widgets/42/pull-minprow-unit/1861234567890",
        ),
        (
            GCSConfiguration(local_output_dir="/var/artifacts", path_strategy="explicit"),
            "/var/artifacts/pr-logs/pull/acme_widgets/42/pull-minprow-unit/1861234567890",
        ),
        (None, None),
    ],
    ids=["bucket", "local-output-dir", "plank-default"],
)
def test_artifacts_location(gcs: GCSConfiguration | None, expected: str | None) -> None:
    job = load_job("presubmit_pending")
    assert job.spec.decoration_config is not None
    job.spec.decoration_config.gcs_configuration = gcs
    assert detailtext.artifacts_location(job) == expected


@pytest.mark.parametrize(
    ("state", "completed", "expected"),
    [
        (ProwJobState.PENDING, None, ["triggered", "pending"]),
        (
            ProwJobState.FAILURE,
            datetime(2026, 11, 24, 8, 9, tzinfo=UTC),
            ["triggered", "pending", "failure"],
        ),
        (ProwJobState.TRIGGERED, None, ["triggered", "pending"]),
    ],
    ids=["running", "ended", "pending-time-kept"],
)
def test_derived_history(
    state: ProwJobState, completed: datetime | None, expected: list[str]
) -> None:
    job = load_job("presubmit_pending")
    job.status.state = state
    job.status.completion_time = completed
    labels = [to_content(label).plain.split()[-1] for _, label in detailtext.derived_history(job)]
    assert labels == expected

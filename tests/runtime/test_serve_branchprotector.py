"""`minprow serve --components branchprotector` keeps GitHub's branch protection as
config.yaml says, every `--branchprotector-interval` (issue 17).

A real `serve` process against the fake GitHub over HTTP: at start every branch
of acme's repositories gets its protection (the required presubmit's context,
not the optional one's); a protection changed on GitHub by hand is put back at
the next interval; an archived repository is left alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import FakeGitHub
from runtime_helpers import UpProcess
from servekube_helpers import poll

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector" / "serve"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().in_thread() as fake:
        fake.repos.add_repo("acme", "widgets")
        fake.repos.add_branch("acme", "widgets", "release-1.0")
        fake.repos.add_repo("acme", "attic", archived=True)
        yield fake


def _contexts(github: FakeGitHub, branch: str) -> list[str] | None:
    body = github.repos.protections.get(("acme", "widgets", branch))
    checks = (body or {}).get("required_status_checks") or {}
    return checks.get("contexts")


def test_serve_applies_and_restores_branch_protection(tmp_path: Path, github: FakeGitHub) -> None:
    process = UpProcess(
        tmp_path,
        tmp_path / "state",
        "--components", "branchprotector",
        "--branchprotector-interval", "1s",
        "--store", "sqlite",
        "--config-path", str(FIXTURES / "config.yaml"),
        "--job-config-path", str(FIXTURES / "jobs"),
        "--github-token-path", str(FIXTURES / "token"),
        "--github-endpoint", github.url,
        command="serve",
    )  # fmt: skip
    try:
        for branch in ("main", "release-1.0"):
            assert poll(f"{branch} protected", lambda b=branch: _contexts(github, b)) == [
                "pull-widgets-unit"
            ]
        assert github.repos.protections[("acme", "widgets", "main")]["enforce_admins"] is True
        assert not any(key[1] == "attic" for key in github.repos.protections)
        # Someone loosens the protection on GitHub by hand: the next run puts it back.
        github.repos.protect(
            "acme", "widgets", "main", {"required_status_checks": None, "enforce_admins": False}
        )
        assert poll("main protected again", lambda: _contexts(github, "main")) == [
            "pull-widgets-unit"
        ]
        process.wait_for("branchprotector: 1 repositories, 2 branches")
    finally:
        process.stop()

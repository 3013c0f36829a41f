"""`minprow branchprotector` as a user runs it, against the fake GitHub over HTTP.

Without --confirm it prints a diff per branch and changes nothing; with it,
GitHub holds each branch's policy (the required presubmits' contexts that run on
the branch: not optional ones, not skip_report ones, a release job only on the
release branch); a second run changes nothing; `protect: false` removes a
protection GitHub has; a repository GitHub does not know fails alone, exit 1.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegithub import FakeGitHub

CLI = Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector" / "cli"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().in_thread() as fake:
        fake.repos.add_repo("acme", "widgets")
        fake.repos.add_branch("acme", "widgets", "release-1.0")
        fake.repos.add_repo("acme", "docs")
        fake.repos.protect("acme", "docs", "main", {"enforce_admins": True})
        yield fake


def _run(github: FakeGitHub, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable, "-m", "minprow", "branchprotector",
            "--config-path", str(CLI / "config.yaml"),
            "--job-config-path", str(CLI / "jobs"),
            "--github-token-path", str(CLI / "token"),
            "--github-endpoint", github.url,
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip


def _contexts(github: FakeGitHub, branch: str) -> list[str]:
    body = github.repos.protections[("acme", "widgets", branch)]
    return sorted(body["required_status_checks"]["contexts"])


def test_dry_run_then_confirm_then_nothing_to_do(github: FakeGitHub) -> None:
    dry = _run(github)
    assert dry.returncode == 1  # acme/ghost is not on GitHub
    assert "acme/ghost" in dry.stderr
    assert "acme/widgets=main: protect" in dry.stdout
    assert "acme/widgets=release-1.0: protect" in dry.stdout
    assert "acme/docs=main: remove protection" in dry.stdout
    assert '+required_status_checks.contexts: ["cla/linuxfoundation", "pull-widgets-unit"]' in (
        dry.stdout
    )
    assert "-enforce_admins: true" in dry.stdout  # docs' protection, going
    assert set(github.repos.protections) == {("acme", "docs", "main")}  # nothing written

    confirmed = _run(github, "--confirm")
    assert confirmed.returncode == 1
    assert _contexts(github, "main") == ["cla/linuxfoundation", "pull-widgets-unit"]
    assert _contexts(github, "release-1.0") == [
        "cla/linuxfoundation",
        "pull-widgets-release",
        "pull-widgets-unit",
    ]
    assert github.repos.protections[("acme", "widgets", "main")]["enforce_admins"] is True
    assert ("acme", "docs", "main") not in github.repos.protections

    again = _run(github, "--confirm")
    assert "0 to change" in again.stderr
    assert again.stdout == ""


def test_flags_that_contradict_each_other_are_refused(github: FakeGitHub) -> None:
    done = _run(github, "--github-enabled-org", "acme", "--github-disabled-org", "acme")
    assert done.returncode == 1
    assert "acme" in done.stderr
    assert "--github-enabled-org" in done.stderr

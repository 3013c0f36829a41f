"""`minprow explain`: every job of a repo and why a PR or a push would or would not
run it, offline from flags and online against the fake GitHub (in a thread, as
`main` runs its own event loop)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub

from minprow.runtime.components import GitHubSettings
from minprow.runtime.explain import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "explain"
CONFIG = FIXTURES / "config.yaml"
JOBS = FIXTURES / "jobs"
PLUGINS = FIXTURES / "plugins.yaml"
ORG, REPO = "acme", "widgets"
HEAD = "c" * 40


def explain(
    *,
    org_repo: str = f"{ORG}/{REPO}",
    pr: int | None = None,
    push_ref: str | None = None,
    changed_files: list[str] | None = None,
    author: str | None = None,
    base_ref: str | None = None,
    github: GitHubSettings | None = None,
    output: str = "json",
    config: Path | None = CONFIG,
    jobs: Path | None = JOBS,
    plugins: Path | None = PLUGINS,
) -> int:
    return main(
        config,
        jobs,
        plugins,
        org_repo=org_repo,
        pr=pr,
        push_ref=push_ref,
        changed_files=changed_files,
        author=author,
        base_ref=base_ref,
        github=github,
        output=output,
    )


def by_job(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return {row["job"]: row for row in rows}


# Offline: the PR's facts from flags.

PULL_CASES = [
    # (base, changed files, job, verdict, a phrase of the reason)
    ("main", ["cmd/main.go"], "unit", "RUN", "always_run: true"),
    ("main", ["cmd/main.go"], "go-lint", "RUN", "matches changed file 'cmd/main.go'"),
    ("main", ["docs/a.md"], "go-lint", "SKIP", "matches none of the 1 changed file"),
    ("main", ["docs/a.md"], "go-lint", "SKIP", "'/test go-lint'"),
    ("main", [], "go-lint", "SKIP", "the list of changed files is empty"),
    ("main", ["docs/a.md", "main.go"], "not-docs", "RUN", "does not match changed file 'main.go'"),
    ("main", ["docs/a.md", "docs/b.md"], "not-docs", "SKIP", "matches all 2 changed files"),
    ("main", [], "not-docs", "SKIP", "the list of changed files is empty"),
    ("main", [], "release-only", "SKIP", "no branches pattern ('release-1.1') matches 'main'"),
    ("release-1.1", [], "release-only", "RUN", "branches pattern 'release-1.1' matches"),
    ("prerelease-1.10", [], "release-only", "RUN", "(unanchored)"),
    ("release-1x1", [], "release-only", "RUN", "(unanchored)"),
    ("main", [], "skip-main", "SKIP", "skip_branches pattern 'main' matches 'main'"),
    ("main-old", [], "skip-main", "SKIP", "(unanchored)"),
    ("release-1.1", [], "skip-main", "RUN", "no skip_branches pattern matches"),
    ("main", [], "optional-check", "RUN", "optional: not required for merge"),
    ("main", ["a.go"], "e2e", "ON-DEMAND", "comment '/test e2e'"),
    ("main", [], "custom", "ON-DEMAND", r"'/run custom' (trigger '(?m)^/run custom\s*$')"),
    ("release-1.1", [], "e2e", "ON-DEMAND", "explicit trigger"),
]


@pytest.mark.parametrize(
    ("base", "files", "job", "verdict", "phrase"),
    PULL_CASES,
    ids=[f"{c[2]}-{c[3]}-{c[0]}-{len(c[1])}files" for c in PULL_CASES],
)
def test_offline_pull_request(
    capsys: pytest.CaptureFixture[str],
    base: str,
    files: list[str],
    job: str,
    verdict: str,
    phrase: str,
) -> None:
    assert explain(pr=7, base_ref=base, changed_files=files, author="alice") == 0
    row = by_job(capsys)[job]
    assert (row["details"]["verdict"], row["runs"]) == (verdict, verdict == "RUN")
    assert phrase in row["reason"]


def test_offline_lists_every_presubmit_with_details(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(base_ref="main", changed_files=["pkg/x.go"]) == 0
    rows = by_job(capsys)
    assert list(rows) == [
        "unit",
        "go-lint",
        "not-docs",
        "release-only",
        "skip-main",
        "optional-check",
        "e2e",
        "custom",
    ]
    assert set(rows["unit"]) == {"job", "runs", "reason", "details"}
    assert rows["go-lint"]["details"]["matched_file"] == "pkg/x.go"
    assert rows["skip-main"]["details"]["matched_skip_branch"] == "main"
    assert rows["custom"]["details"]["rerun_command"] == "/run custom"


def test_offline_without_changed_files_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(base_ref="main") == 0
    assert "no changed files given" in by_job(capsys)["go-lint"]["reason"]


def test_table_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(pr=7, base_ref="main", changed_files=["a.go"], output="table") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("pull request acme/widgets#7 (from flags): base 'main'")
    assert out[1].startswith("trust: not checked")
    assert out[2].split() == ["JOB", "VERDICT", "REASON"]
    assert out[3].split()[:3] == ["unit", "RUN", "always_run:"]
    assert any(line.split()[:2] == ["e2e", "ON-DEMAND"] for line in out)


# Pushes.

PUSH_CASES = [
    # (ref, changed files, job, verdict, a phrase of the reason)
    ("refs/heads/main", ["a.go"], "post-all", "RUN", "runs on every push"),
    ("refs/heads/main", ["a.go"], "post-go", "RUN", "matches changed file 'a.go'"),
    ("refs/heads/main", ["README.md"], "post-go", "SKIP", "matches none"),
    ("refs/heads/main", ["docs/x.md"], "post-not-docs", "SKIP", "matches all 1 changed file"),
    ("refs/heads/main", ["docs/x.md", "y"], "post-not-docs", "RUN", "does not match"),
    ("refs/heads/main", [], "post-release", "SKIP", "no branches pattern"),
    ("refs/tags/v1.2.0", [], "post-release", "RUN", "tag 'v1.2.0' is matched as a branch"),
    ("refs/heads/main", [], "post-main-only", "RUN", r"branches pattern '^main$' matches"),
    ("refs/heads/main-old", [], "post-main-only", "SKIP", "no branches pattern"),
    ("refs/tags/v1.2.0", [], "post-no-tags", "SKIP", r"skip_branches pattern '^v\d' matches"),
    ("refs/heads/main", [], "post-off", "SKIP", "always_run: false and no change regex"),
]


@pytest.mark.parametrize(
    ("ref", "files", "job", "verdict", "phrase"),
    PUSH_CASES,
    ids=[f"{c[2]}-{c[3]}-{c[0].rsplit('/', 1)[-1]}-{len(c[1])}files" for c in PUSH_CASES],
)
def test_push(
    capsys: pytest.CaptureFixture[str],
    ref: str,
    files: list[str],
    job: str,
    verdict: str,
    phrase: str,
) -> None:
    assert explain(push_ref=ref, changed_files=files) == 0
    row = by_job(capsys)[job]
    assert (row["details"]["verdict"], row["runs"]) == (verdict, verdict == "RUN")
    assert phrase in row["reason"]


def test_push_table_mentions_deletion(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(push_ref="refs/heads/main", output="table") == 0
    out = capsys.readouterr().out
    assert "deletes the ref runs no postsubmits" in out
    assert "post-all" in out


DISABLED_CASES = [
    # (id, event flags, job, a phrase of the reason)
    (
        "pr-always-run",
        {"base_ref": "main"},
        "unit",
        "trigger plugin is not enabled for acme/widgets",
    ),
    ("pr-on-demand", {"base_ref": "main"}, "e2e", "(else: runs only on an explicit trigger"),
    ("push", {"push_ref": "refs/heads/main"}, "post-all", "trigger plugin is not enabled"),
]


@pytest.mark.parametrize(
    ("flags", "job", "phrase"), [c[1:] for c in DISABLED_CASES], ids=[c[0] for c in DISABLED_CASES]
)
def test_trigger_not_enabled_runs_nothing(
    capsys: pytest.CaptureFixture[str], flags: dict[str, Any], job: str, phrase: str
) -> None:
    assert explain(plugins=FIXTURES / "plugins-elsewhere.yaml", **flags) == 0
    rows = by_job(capsys)
    assert not any(row["runs"] for row in rows.values())
    assert rows[job]["details"]["verdict"] == "SKIP"
    assert phrase in rows[job]["reason"]


def test_without_plugin_config_trigger_is_assumed(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(plugins=None, base_ref="main") == 0
    assert by_job(capsys)["unit"]["runs"]


# Bad input: a clear error, no traceback.

ERROR_CASES = [
    (
        "unknown-repo",
        {"org_repo": "acme/nope", "base_ref": "main"},
        1,
        "no presubmits or postsubmits for acme/nope",
    ),
    ("not-org-repo", {"org_repo": "widgets", "base_ref": "main"}, 2, "expected org/repo"),
    ("bad-output", {"base_ref": "main", "output": "yaml"}, 2, "-o 'yaml'"),
    ("pr-and-push", {"pr": 1, "push_ref": "refs/heads/main"}, 2, "not both"),
    ("no-base-offline", {"pr": 1}, 2, "pass --base-ref"),
    (
        "no-config",
        {"config": None, "jobs": None, "base_ref": "main"},
        1,
        "no config.yaml or jobs/ in",
    ),
    ("empty-push-ref", {"push_ref": " "}, 2, "--push needs a ref"),
]


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [c[1:] for c in ERROR_CASES],
    ids=[c[0] for c in ERROR_CASES],
)
def test_bad_input(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    kwargs: dict[str, Any],
    code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.yaml to find when none is given
    assert explain(**kwargs) == code
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_repo_with_postsubmits_only_has_no_presubmits(capsys: pytest.CaptureFixture[str]) -> None:
    assert explain(org_repo="acme/docs", base_ref="main", output="table") == 0
    assert "no presubmits for acme/docs" in capsys.readouterr().out


# Online: the PR from the fake GitHub.


@pytest.fixture
def github(tmp_path: Path) -> Iterator[tuple[FakeGitHub, GitHubSettings]]:
    token = tmp_path / "token"
    token.write_text("s3cret\n")
    with FakeGitHub(tokens={"s3cret"}).in_thread() as fake:
        fake.members["acme"] = {"alice"}
        fake.members["trusted-org"] = {"carol"}
        fake.collaborators[(ORG, REPO)] = {"dave"}
        yield fake, GitHubSettings(endpoint=fake.url, token_path=token)


ONLINE_CASES = [
    # (id, author, labels, extra PR fields, unit's verdict, a phrase of unit's reason)
    ("org-member", "alice", [], {}, "RUN", "always_run: true"),
    ("collaborator", "dave", [], {}, "RUN", "always_run: true"),
    ("trusted-org-member", "carol", [], {}, "RUN", "always_run: true"),
    ("trusted-app", "dependabot[bot]", [], {}, "RUN", "always_run: true"),
    ("stranger", "mallory", [], {}, "SKIP", "'mallory' is not trusted"),
    ("stranger-ok-to-test", "mallory", ["ok-to-test"], {}, "RUN", "always_run: true"),
    ("draft", "alice", [], {"draft": True}, "SKIP", "draft PR"),
    ("not-mergeable", "alice", [], {"mergeable": False}, "SKIP", "not mergeable"),
]


@pytest.mark.parametrize(
    ("author", "labels", "fields", "verdict", "phrase"),
    [c[1:] for c in ONLINE_CASES],
    ids=[c[0] for c in ONLINE_CASES],
)
def test_online_pull_request(
    capsys: pytest.CaptureFixture[str],
    github: tuple[FakeGitHub, GitHubSettings],
    author: str,
    labels: list[str],
    fields: dict[str, Any],
    verdict: str,
    phrase: str,
) -> None:
    fake, settings = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD, author=author, **fields)
    fake.pull_files[(ORG, REPO, 7)] = [{"filename": "docs/a.md"}, {"filename": "cmd/x.go"}]
    if labels:
        fake.labels[(ORG, REPO, 7)] = labels
    assert explain(pr=7, github=settings) == 0
    rows = by_job(capsys)
    assert rows["unit"]["details"]["verdict"] == verdict
    assert phrase in rows["unit"]["reason"]
    assert rows["skip-main"]["details"]["verdict"] == "SKIP"  # the fake's PRs are against main
    if verdict == "RUN":
        assert rows["go-lint"]["details"]["matched_file"] == "cmd/x.go"


def test_online_ignore_ok_to_test(
    capsys: pytest.CaptureFixture[str], github: tuple[FakeGitHub, GitHubSettings]
) -> None:
    fake, settings = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD, author="mallory")
    plugins = FIXTURES / "plugins-ignore-ok-to-test.yaml"
    assert explain(pr=7, github=settings, plugins=plugins) == 0
    unit = by_job(capsys)["unit"]
    assert unit["details"]["verdict"] == "SKIP"
    assert "trigger ignores ok-to-test here" in unit["reason"]


def test_online_table_names_trust_and_source(
    capsys: pytest.CaptureFixture[str], github: tuple[FakeGitHub, GitHubSettings]
) -> None:
    fake, settings = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD, author="mallory")
    assert explain(pr=7, github=settings, output="table") == 0
    out = capsys.readouterr().out
    assert "pull request acme/widgets#7 (from GitHub): base 'main', author 'mallory'" in out
    assert "trust: NOT trusted: User is not a member of the org." in out
    assert "the list of changed files is empty" in out


def test_online_flags_override_github(
    capsys: pytest.CaptureFixture[str], github: tuple[FakeGitHub, GitHubSettings]
) -> None:
    fake, settings = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD, author="mallory")
    fake.pull_files[(ORG, REPO, 7)] = [{"filename": "docs/a.md"}]
    code = explain(
        pr=7, github=settings, author="alice", base_ref="release-1.1", changed_files=["x.go"]
    )
    assert code == 0
    rows = by_job(capsys)
    assert rows["release-only"]["details"]["verdict"] == "RUN"
    assert rows["go-lint"]["details"]["matched_file"] == "x.go"
    assert fake.calls("GET", f"/repos/{ORG}/{REPO}/pulls/7/files") == []


ONLINE_ERRORS = [
    ("pr-not-found", "s3cret", 1, "pull request acme/widgets#8 not found on GitHub"),
    ("bad-token", "wrong", 1, "cannot read acme/widgets#8 from GitHub"),
]


@pytest.mark.parametrize(
    ("token", "code", "message"), [c[1:] for c in ONLINE_ERRORS], ids=[c[0] for c in ONLINE_ERRORS]
)
def test_online_errors(
    capsys: pytest.CaptureFixture[str],
    github: tuple[FakeGitHub, GitHubSettings],
    tmp_path: Path,
    token: str,
    code: int,
    message: str,
) -> None:
    fake, _ = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD)
    token_file = tmp_path / "this-token"
    token_file.write_text(token)
    assert explain(pr=8, github=GitHubSettings(fake.url, token_path=token_file)) == code
    captured = capsys.readouterr()
    assert message in captured.err
    assert "Traceback" not in captured.err


GATE_CASES = [
    # (id, PR fields, e2e's verdict: /test still works on drafts, not when unmergeable)
    ("draft", {"draft": True}, "ON-DEMAND"),
    ("not-mergeable", {"mergeable": False}, "SKIP"),
    ("mergeable-unknown", {"mergeable": None}, "ON-DEMAND"),
]


@pytest.mark.parametrize(
    ("fields", "verdict"), [c[1:] for c in GATE_CASES], ids=[c[0] for c in GATE_CASES]
)
def test_online_gates_on_demand_jobs(
    capsys: pytest.CaptureFixture[str],
    github: tuple[FakeGitHub, GitHubSettings],
    fields: dict[str, Any],
    verdict: str,
) -> None:
    fake, settings = github
    fake.add_pull(ORG, REPO, 7, head_sha=HEAD, author="alice", **fields)
    assert explain(pr=7, github=settings) == 0
    assert by_job(capsys)["e2e"]["details"]["verdict"] == verdict


CREDENTIAL_CASES = [
    # (id, settings from a tmp dir, exit code, a phrase of the error)
    ("token-and-app", {"token_path": "token", "app_id": "42"}, 2, "not both"),
    ("app-without-key", {"app_id": "42"}, 2, "needs --github-app-private-key-path"),
    ("app-key-missing", {"app_id": "42", "app_private_key_path": "nope.pem"}, 1, "nope.pem"),
    ("token-file-missing", {"token_path": "nope"}, 1, "cannot read acme/widgets#7"),
]


@pytest.mark.parametrize(
    ("fields", "code", "phrase"),
    [c[1:] for c in CREDENTIAL_CASES],
    ids=[c[0] for c in CREDENTIAL_CASES],
)
def test_bad_credentials(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    fields: dict[str, str],
    code: int,
    phrase: str,
) -> None:
    paths = {k: tmp_path / v for k, v in fields.items() if k.endswith("_path")}
    settings = GitHubSettings(endpoint="http://127.0.0.1:9", app_id=fields.get("app_id"), **paths)
    assert explain(pr=7, github=settings) == code
    err = capsys.readouterr().err
    assert phrase in err
    assert "Traceback" not in err


def test_online_needs_a_pull_number(
    capsys: pytest.CaptureFixture[str], github: tuple[FakeGitHub, GitHubSettings]
) -> None:
    _, settings = github
    assert explain(base_ref="main", github=settings) == 2
    assert "pass --pr N" in capsys.readouterr().err

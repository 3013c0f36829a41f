"""Webhooks on a laptop: `minprow up` / `serve` with no GitHub credentials, fed with
`minprow send-event`, as a user runs them (real subprocesses, real git, real Docker).

The payload is the repository's demo (fixtures/github/demo/, the vendored
pull_request.opened moved to minprow/minprow), its shas pointed at a real local
clone; the config is the repository's own config.yaml, jobs/ and plugins.yaml."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import git
import pytest
import yaml
from runtime_helpers import UpProcess

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "github" / "demo" / "pull_request.opened.json"
COMMENT = REPO / "fixtures" / "github" / "webhooks" / "issue_comment.created.json"
E2E_CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"
IDLE = "No plugin enabled for minprow/minprow acts on pull_request events"

RunMinprow = Callable[..., subprocess.CompletedProcess[str]]


def _clone(tmp_path: Path) -> tuple[Path, str, str]:
    """A clone of "minprow/minprow": `feature` changes config.yaml and adds feature.txt
    off main, and main moves on after the fork: (path, main's tip, feature's tip)."""
    root = tmp_path / "clone"
    repo = git.Repo.init(root, initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")

    def commit(files: dict[str, str], message: str) -> str:
        for name, text in files.items():
            (root / name).write_text(text)
        repo.index.add(list(files))
        return repo.index.commit(message).hexsha

    commit({"README.md": "hello\n", "config.yaml": "{}\n"}, "base")
    repo.git.checkout("-b", "feature")
    head = commit({"config.yaml": "# changed\n{}\n", "feature.txt": "from the PR\n"}, "feature")
    repo.git.checkout("main")
    base = commit({"other.txt": "main moved on\n"}, "main moves on")
    return root, base, head


def _demo(tmp_path: Path, base: str, head: str, association: str = "MEMBER") -> Path:
    """The demo payload, pointed at the clone's commits, by an author so associated."""
    event: dict[str, Any] = json.loads(DEMO.read_text())
    event["pull_request"]["base"]["sha"] = base
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["author_association"] = association
    path = tmp_path / f"pull_request.{association or 'none'}.json"
    path.write_text(json.dumps(event))
    return path


def _send(secret: list[str], event_type: str, payload: Path, port: int) -> str:
    """`minprow send-event` with `secret` (its --hmac-path or --state-dir flag)."""
    sent = subprocess.run(
        [
            sys.executable, "-m", "minprow", "send-event", *secret,
            "--event-type", event_type, "--payload", str(payload),
            "--address", f"http://127.0.0.1:{port}/hook",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stdout + sent.stderr
    return sent.stdout


def _prowjobs(state: Path) -> list[dict[str, Any]]:
    got = subprocess.run(
        [sys.executable, "-m", "minprow", "get", "prowjobs", "--state-dir", str(state), "-o", "json"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    items: list[dict[str, Any]] = json.loads(got.stdout)["items"]
    return items


def _demo_jobs(changed: list[str]) -> list[str]:
    """The demo presubmits of minprow/minprow (jobs/) a PR changing `changed` runs."""
    names: list[str] = []
    for path in sorted((REPO / "jobs").rglob("*.yaml")):
        for job in (
            (yaml.safe_load(path.read_text()) or {})
            .get("presubmits", {})
            .get("minprow/minprow", [])
        ):
            pattern = job.get("run_if_changed")
            if job.get("always_run") or (pattern and any(re.search(pattern, f) for f in changed)):
                names.append(job["name"])
    return sorted(names)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of this repository's own Prow config: config.yaml, jobs/ and plugins.yaml."""
    work = tmp_path / "project"
    work.mkdir()
    shutil.copy(REPO / "config.yaml", work)
    shutil.copy(REPO / "plugins.yaml", work)
    shutil.copytree(REPO / "jobs", work / "jobs")
    (tmp_path / "hmac").write_text("a-webhook-secret\n")
    return work


def _serve(project: Path, *args: str) -> UpProcess:
    """`minprow serve` of the hook alone (the jobs are made, not run), no GitHub flags."""
    hmac = project.parent / "hmac"
    return UpProcess(
        project, project.parent / "state", "--components", "hook",
        "--hmac-secret-file", str(hmac), *args, command="serve",
    )  # fmt: skip


UNTRUSTED = "alice is not trusted in minprow/minprow: the payload's author_association is NONE"


@pytest.mark.parametrize(
    ("association", "mapped", "changed", "said"),
    [
        ("MEMBER", True, ["config.yaml", "feature.txt"], ""),
        ("OWNER", False, [], "changed files of minprow/minprow#1 unknown: no --local-repo"),
        ("COLLABORATOR", True, ["config.yaml", "feature.txt"], ""),
        ("NONE", True, None, UNTRUSTED),
    ],
    ids=["member-with-clone", "owner-no-clone", "collaborator", "untrusted"],
)
def test_the_shipped_config_runs_the_demo_presubmits_from_the_payload(
    tmp_path: Path,
    project: Path,
    association: str,
    mapped: bool,
    changed: list[str] | None,
    said: str,
) -> None:
    """`changed`: the files trigger learns from the clone (None: it starts nothing)."""
    clone, base, head = _clone(tmp_path)
    local = ["--local-repo", f"minprow/minprow={clone}"] if mapped else []
    expected = [] if changed is None else _demo_jobs(changed)
    payload = _demo(tmp_path, base, head, association)
    serve = _serve(project, *local)
    try:
        serve.wait_for("minprow is up")
        answer = _send(["--hmac-path", str(tmp_path / "hmac")], "pull_request", payload, serve.port)
        assert answer.strip() == "200 Event received. Have a nice day."
        if said:
            serve.wait_for(said)
        for _ in expected:
            serve.wait_for("creating ProwJob")
        assert serve.stop() == 0
    finally:
        if serve.proc.poll() is None:
            serve.proc.kill()
    log = "".join(serve.lines)
    assert "hook plugins: trigger for minprow/minprow" in log
    assert log.count("no GitHub credentials: trigger trusts the author_association") == 1
    assert "Traceback" not in log
    if changed is None:
        assert "would have commented 'Hi @alice, thanks for the pull request.'" in log
    jobs = _prowjobs(tmp_path / "state")
    assert sorted(j["spec"]["job"] for j in jobs) == expected
    # Tested against the payload's base sha, as nobody could be asked where main is.
    assert {j["spec"]["refs"]["base_sha"] for j in jobs} <= {base}


def test_up_picks_up_a_plugins_yaml_created_while_it_runs(
    tmp_path: Path, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    """No plugins.yaml: webhooks are answered saying nothing runs them. The repository's
    plugins.yaml copied in while `up` runs: the next one runs its presubmit in Docker,
    checked out from the --local-repo clone (no network, no credentials)."""
    clone, base, head = _clone(tmp_path)
    work = tmp_path / "project"
    (work / "jobs").mkdir(parents=True)
    shutil.copy(E2E_CONFIG, work / "config.yaml")
    job = {
        "name": "pull-minprow-hello",
        "always_run": True,
        "decorate": True,
        "spec": {
            "containers": [
                {
                    "image": busybox_image,
                    "command": ["sh", "-c", "cat feature.txt; echo PR $PULL_NUMBER"],
                }
            ]
        },
    }
    (work / "jobs" / "demo.yaml").write_text(
        yaml.safe_dump({"presubmits": {"minprow/minprow": [job]}})
    )
    state = tmp_path / "state"
    payload = _demo(tmp_path, base, head)
    up = UpProcess(
        work, state, "--no-tui", "--no-kind", "--executor", "docker",
        "--local-repo", f"minprow/minprow={clone}",
    )  # fmt: skip
    try:
        up.wait_for("hook plugins: none")
        up.wait_for("minprow is up")
        assert IDLE in _send(["--state-dir", str(state)], "pull_request", payload, up.port)
        shutil.copy(REPO / "plugins.yaml", work / "plugins.yaml")
        up.wait_for("hook plugins: trigger for minprow/minprow", limit=30)
        answer = _send(["--state-dir", str(state)], "pull_request", payload, up.port)
        assert answer.strip() == "200 Event received. Have a nice day."
        up.wait_for("-> success: Job succeeded.", limit=120)
        assert up.stop() == 0
    finally:
        if up.proc.poll() is None:
            up.proc.kill()
        owner = f"minprow.io/workspaces={state / 'workspaces' / 'docker'}"
        for container in docker_client.containers.list(all=True, filters={"label": owner}):
            container.remove(force=True)
    [pj] = _prowjobs(state)
    assert (pj["spec"]["job"], pj["status"]["state"]) == ("pull-minprow-hello", "success")
    assert "Traceback" not in "".join(up.lines)
    runs = list((work / "artifacts" / "pr-logs" / "pull" / "minprow_minprow" / "1").glob("*/*"))
    assert len(runs) == 1
    assert "from the PR\nPR 1\n" in (runs[0] / "build-log.txt").read_text()


def test_plugins_that_need_a_client_say_so_once_and_never_fail(
    tmp_path: Path, project: Path
) -> None:
    """lgtm, hold, label, help and cat only label and comment: with no credentials they
    are not run, and said so at start; a comment with their commands is answered, and
    trigger says why it does not act on it, without a traceback."""
    needy = ["lgtm", "hold", "label", "help", "cat"]
    (project / "plugins.yaml").write_text(
        yaml.safe_dump({"plugins": {"minprow/minprow": ["trigger", *needy]}})
    )
    demo = json.loads(DEMO.read_text())
    comment: dict[str, Any] = json.loads(COMMENT.read_text())
    comment["repository"] = demo["repository"]
    comment["issue"].update(number=1, pull_request={"url": "https://example.com/pulls/1"})
    comment["comment"]["body"] = "/lgtm\n/hold\n/meow\n/test all"
    payload = tmp_path / "comment.json"
    payload.write_text(json.dumps(comment))
    serve = _serve(project)
    try:
        serve.wait_for("minprow is up")
        answer = _send(
            ["--hmac-path", str(tmp_path / "hmac")], "issue_comment", payload, serve.port
        )
        assert answer.strip() == "200 Event received. Have a nice day."
        serve.wait_for("commands in comments on minprow/minprow#1 are not acted on")
        assert serve.stop() == 0
    finally:
        if serve.proc.poll() is None:
            serve.proc.kill()
    log = "".join(serve.lines)
    cannot = (
        f"plugins.yaml enables {', '.join(needy)}, which cannot work without GitHub "
        "credentials (--github-token-path, or --github-app-id with "
        "--github-app-private-key-path): they do not run"
    )
    assert log.count(cannot) == 1, log
    assert "Traceback" not in log
    assert "TypeError" not in log


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("minprow", "--local-repo minprow: write it as ORG/REPO=PATH"),
        ("minprow/minprow=/nonexistent", "/nonexistent is not a git clone"),
    ],
    ids=["not-org-repo", "not-a-clone"],
)
def test_a_bad_local_repo_is_an_error_at_start(minprow: RunMinprow, value: str, said: str) -> None:
    result = minprow("serve", "--local-repo", value)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr


def test_send_event_without_a_secret_says_where_it_looked(
    minprow: RunMinprow, tmp_path: Path
) -> None:
    result = minprow(
        "send-event", "--state-dir", tmp_path, "--event-type", "pull_request", "--payload", DEMO
    )
    assert result.returncode == 1
    assert f"no --hmac-path, and no webhook secret at {tmp_path / 'hmac-secret'}" in (result.stderr)
    assert "Traceback" not in result.stderr

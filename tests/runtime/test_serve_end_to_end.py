"""End to end: a signed pull_request webhook (a real GitHub payload) sent with
`minprow send-event` to a running `minprow serve`; trigger makes the ProwJob,
plank runs it in Docker, crier posts its statuses to the fake GitHub."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from fakegithub import FakeGitHub
from runtime_helpers import UpProcess, make_remote

from tests.conftest import free_port

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "fixtures" / "e2e" / "config.yaml"
PAYLOAD = REPO / "fixtures" / "github" / "webhooks" / "pull_request.opened.json"


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().in_thread() as fake:
        yield fake


def _payload(base: str, head: str) -> dict[str, Any]:
    """The vendored pull_request.opened payload, moved to acme/widgets PR 7 by alice."""
    event: dict[str, Any] = json.loads(PAYLOAD.read_text())
    owner = {"login": "acme", "id": 2, "type": "Organization"}
    repository = {
        **event["repository"],
        "name": "widgets",
        "full_name": "acme/widgets",
        "owner": owner,
        "html_url": "https://github.com/acme/widgets",
    }
    pull = event["pull_request"]
    pull.update(number=7, title="Add a feature", body="", draft=False, mergeable=True)
    pull["user"] = {**pull["user"], "login": "alice"}
    pull["head"] = {**pull["head"], "sha": head, "ref": "feature"}
    pull["base"] = {**pull["base"], "sha": base, "ref": "main", "repo": repository}
    pull["labels"] = []
    event.update(number=7, repository=repository, organization=owner)
    event["sender"] = {**event["sender"], "login": "alice"}
    return event


def test_a_webhook_runs_its_presubmit_and_reports_success_to_github(
    tmp_path: Path, github: FakeGitHub, busybox_image: str, docker_client: docker.DockerClient
) -> None:
    bare, base, head = make_remote(tmp_path)
    github.members["acme"] = {"alice"}
    github.refs[("acme", "widgets", "heads/main")] = base
    github.add_pull("acme", "widgets", 7, head_sha=head)
    github.pull_files[("acme", "widgets", 7)] = [{"filename": "feature.txt", "status": "added"}]
    jobs = {
        "presubmits": {
            "acme/widgets": [
                {
                    "name": "pull-widgets-test",
                    "always_run": True,
                    "decorate": True,
                    "clone_uri": bare.as_uri(),
                    "spec": {
                        "containers": [
                            {
                                "image": busybox_image,
                                "command": ["sh", "-c", "cat feature.txt; echo PR $PULL_NUMBER"],
                            }
                        ]
                    },
                }
            ]
        }
    }
    (tmp_path / "jobs.yaml").write_text(yaml.safe_dump(jobs))
    (tmp_path / "plugins.yaml").write_text(yaml.safe_dump({"plugins": {"acme": ["trigger"]}}))
    (tmp_path / "hmac").write_text("a-webhook-secret\n")
    (tmp_path / "token").write_text("a-github-token\n")
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps(_payload(base, head)))
    port = free_port()
    serve = UpProcess(
        tmp_path,
        tmp_path / "state",
        "--config-path", str(CONFIG), "--job-config-path", str(tmp_path / "jobs.yaml"),
        "--plugin-config", str(tmp_path / "plugins.yaml"), "--hmac-secret-file", str(tmp_path / "hmac"),
        "--github-token-path", str(tmp_path / "token"), "--github-endpoint", github.url,
        "--executor", "docker",
        command="serve", port=port,
    )  # fmt: skip
    try:
        serve.wait_for("minprow is up")
        sent = subprocess.run(
            [
                sys.executable, "-m", "minprow", "send-event", "--hmac-path", str(tmp_path / "hmac"),
                "--event-type", "pull_request", "--payload", str(payload),
                "--address", f"http://127.0.0.1:{port}/hook",
            ],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stdout + sent.stderr
        serve.wait_for("-> success: Job succeeded.")
        deadline = time.monotonic() + 30
        states: list[str] = []
        while time.monotonic() < deadline:
            posted = github.statuses.get(("acme", "widgets", head), [])
            states = [s["state"] for s in posted if s["context"] == "pull-widgets-test"]
            if "success" in states:
                break
            time.sleep(0.1)
        assert states[0] == "pending"
        assert states[-1] == "success"
        assert serve.stop() == 0
    finally:
        if serve.proc.poll() is None:
            serve.proc.kill()
        owner = f"minprow.io/workspaces={tmp_path / 'state' / 'workspaces' / 'docker'}"
        for container in docker_client.containers.list(all=True, filters={"label": owner}):
            container.remove(force=True)
    runs = list((tmp_path / "artifacts" / "pr-logs" / "pull" / "acme_widgets" / "7").glob("*/*"))
    assert len(runs) == 1
    assert "from the pull request\nPR 7\n" in (runs[0] / "build-log.txt").read_text()

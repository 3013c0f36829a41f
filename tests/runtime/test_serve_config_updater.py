"""A merged pull request changing `jobs/merged.yaml` reaches a running `minprow serve`
through the config-updater plugin (issue 17), in both modes:

- embedded: the file is written into the job config directory serve reads, and
  serve loads the new job (horologium starts the new periodic);
- kube: the `job-config` ConfigMap of the service cluster (the fake API server)
  gets the key, gzipped, with the merge commit under `VERSION`; the test then
  does the kubelet's part (the ConfigMap's keys written into the directory it
  is mounted at, gzipped as they are: minprow reads gzipped job files as Prow
  does) and serve loads the new job.

Real processes, real HTTP, the real `pull_request.closed` payload made a merge
(the vendored example is a close without merge, which the plugin ignores: the
first delivery). The same merge delivered a second time changes nothing and
posts no second comment.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakegithub import FakeGitHub
from runtime_helpers import UpProcess
from servekube_helpers import Cluster, api_when_up, clusters, kubeconfig, poll

from minprow.github.hmac import sign

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "configupdater"
PAYLOAD = REPO / "fixtures" / "github" / "webhooks" / "pull_request.closed.json"
ORG, NAME, NUMBER = "Codertocat", "Hello-World", 2
MERGE_SHA = "5d1f4c0ffee5d1f4c0ffee5d1f4c0ffee5d1f4c0"
NEW_JOB = (FIXTURES / "new-job.yaml").read_bytes()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub().in_thread() as fake:
        key = (ORG, NAME, NUMBER)
        fake.pulls[key] = json.loads(PAYLOAD.read_text())["pull_request"]
        fake.pull_files[key] = [
            {"filename": "jobs/merged.yaml", "status": "added", "additions": 7},
            {"filename": "README.md", "status": "modified", "additions": 1},
        ]
        fake.repos.set_file(ORG, NAME, "jobs/merged.yaml", NEW_JOB, ref=MERGE_SHA)
        yield fake


def _payload(merged: bool) -> bytes:
    event: dict[str, Any] = json.loads(PAYLOAD.read_text())
    if merged:
        event["pull_request"].update(merged=True, merge_commit_sha=MERGE_SHA)
    return json.dumps(event).encode()


def _deliver(process: UpProcess, body: bytes) -> None:
    secret = (FIXTURES / "hmac").read_text().strip()
    request = urllib.request.Request(
        f"http://127.0.0.1:{process.port}/hook",
        data=body,
        headers={
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": sign(body, secret),
            "Content-Type": "application/json",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def _handled(process: UpProcess) -> None:
    """Wait until no webhook is waiting in serve's inbox (every delivery handled)."""

    def idle() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{process.port}/metrics") as answer:
            text = answer.read().decode()
        return any(
            line.startswith("minprow_webhook_inbox_depth ") and float(line.split()[1]) == 0
            for line in text.splitlines()
        )

    poll("the inbox drained", idle)


def _jobs(process: UpProcess) -> set[str]:
    items = api_when_up(process, "/prowjobs.js?omit=pod_spec")["items"]
    return {j["spec"]["job"] for j in items}


def _comments(github: FakeGitHub) -> list[str]:
    return [c["body"] for c in github.comments.get((ORG, NAME, NUMBER), [])]


def _serve(tmp_path: Path, project: Path, github: FakeGitHub, *extra: str) -> UpProcess:
    return UpProcess(
        project,
        tmp_path / "state",
        "--components", "hook,horologium",
        "--config-path", str(project / "config.yaml"),
        "--job-config-path", str(project / "jobs"),
        "--plugin-config", str(project / "plugins.yaml"),
        "--hmac-secret-file", str(FIXTURES / "hmac"),
        "--github-token-path", str(FIXTURES / "token"),
        "--github-endpoint", github.url,
        *extra,
        command="serve",
    )  # fmt: skip


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(FIXTURES / "project", project)
    return project


def _merge_then_again(process: UpProcess, github: FakeGitHub) -> None:
    """The real closed-without-merge delivery (ignored), then the merge."""
    process.wait_for("minprow is up")
    assert "base-periodic" in poll("the first periodic", lambda: _jobs(process))
    _deliver(process, _payload(merged=False))
    _handled(process)
    assert _comments(github) == []
    _deliver(process, _payload(merged=True))


def test_embedded_mode_writes_the_job_file_and_serve_loads_it(
    tmp_path: Path, github: FakeGitHub
) -> None:
    project = _project(tmp_path)
    process = _serve(tmp_path, project, github, "--store", "sqlite")
    try:
        _merge_then_again(process, github)
        written = project / "jobs" / "merged.yaml"
        poll("jobs/merged.yaml written", lambda: written.exists() and written.read_bytes())
        assert written.read_bytes() == NEW_JOB  # the file itself, not gzipped
        comment = poll("the PR comment", lambda: _comments(github))[0]
        assert MERGE_SHA[:12] in comment
        assert str(written) in comment
        assert "merged-periodic" in poll(
            "the merged job started", lambda: "merged-periodic" in _jobs(process) and _jobs(process)
        )
        _deliver(process, _payload(merged=True))  # the same merge, delivered again
        _handled(process)
        assert len(_comments(github)) == 1
        assert not (project / "jobs" / "README.md").exists()  # not in `maps`
    finally:
        process.stop()


def _configmap(cluster: Cluster, name: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = cluster.thread.call(
        lambda: json.loads(json.dumps(cluster.thread.fake.configmaps.get(("default", name))))
    )
    return found


def _mount(configmap: dict[str, Any], directory: Path) -> None:
    """The kubelet's part: every key of the ConfigMap as a file of the mounted directory."""
    for key, value in (configmap.get("data") or {}).items():
        (directory / key).write_text(value)
    for key, value in (configmap.get("binaryData") or {}).items():
        (directory / key).write_bytes(base64.b64decode(value))


def test_kube_mode_updates_the_configmap_and_serve_loads_the_mount(
    tmp_path: Path, github: FakeGitHub
) -> None:
    project = _project(tmp_path)
    with clusters("service") as named:
        config = kubeconfig(tmp_path / "kubeconfig", named, current="service")
        cluster = named["service"]
        process = _serve(tmp_path, project, github, "--store", "kube", "--kubeconfig", str(config))
        try:
            _merge_then_again(process, github)
            configmap = poll("the job-config ConfigMap", lambda: _configmap(cluster, "job-config"))
            assert configmap["data"]["VERSION"] == MERGE_SHA
            assert configmap["metadata"]["labels"] == {
                "app.kubernetes.io/name": "prow",
                "app.kubernetes.io/component": "updateconfig-plugin",
            }
            gzipped = base64.b64decode(configmap["binaryData"]["merged.yaml"])
            assert gzip.decompress(gzipped) == NEW_JOB
            comment = poll("the PR comment", lambda: _comments(github))[0]
            assert "job-config" in comment
            assert "merged.yaml" in comment
            assert "jobs/merged.yaml" in comment
            assert "default" in comment
            version = configmap["metadata"]["resourceVersion"]
            _deliver(process, _payload(merged=True))  # the same merge, delivered again
            _handled(process)
            assert len(_comments(github)) == 1
            after = _configmap(cluster, "job-config")
            assert after is not None
            assert after["metadata"]["resourceVersion"] == version
            _mount(configmap, project / "jobs")
            assert "merged-periodic" in poll(
                "the merged job started",
                lambda: "merged-periodic" in _jobs(process) and _jobs(process),
            )
        finally:
            process.stop()

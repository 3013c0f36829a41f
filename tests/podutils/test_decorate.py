"""prepare and finish: a job's decoration end to end, with real git remotes, a
local directory and the GCS emulator as destinations."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import git
import pytest

from minprow.model import GCSConfiguration, ProwJob
from minprow.podutils import CloneError, Workspace, finish, prepare
from minprow.podutils.render import render
from tests.conftest import GCS
from tests.podutils.conftest import NOW, Remote, load_prowjob, make_remote, with_refs

PRESUBMIT_DIR = "pr-logs/pull/acme_widget/1/pull-widget-unit/1861000000000000001"
STAMP = int(NOW.timestamp())


def _gcs(job: ProwJob) -> GCSConfiguration:
    decoration = job.spec.decoration_config
    assert decoration is not None
    assert decoration.gcs_configuration is not None
    return decoration.gcs_configuration


def _presubmit(remote: Remote, *, bucket: str | None = None, **refs: Any) -> ProwJob:
    """The presubmit testing PR 1 of `remote`, uploading to `bucket` (else the default dir)."""
    job = with_refs(load_prowjob("presubmit"), remote.refs(1, **refs))
    _gcs(job).bucket = bucket
    return job


def _json(path: Path) -> Any:
    return json.loads(path.read_text())


def test_workspace_paths(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    assert (ws.code, ws.logs, ws.artifacts, ws.build_log) == (
        tmp_path / "code",
        tmp_path / "logs",
        tmp_path / "logs" / "artifacts",
        tmp_path / "logs" / "build-log.txt",
    )


def test_prepare_clones_and_writes_started(remote: Remote, tmp_path: Path) -> None:
    job = _presubmit(remote)
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    prepare(job, render(job), ws, now=NOW, default_dir=out)
    checkout = git.Repo(ws.code / "src" / "github.com" / "acme" / "widget")
    records = _json(ws.logs / "clone-records.json")
    assert records[0]["final_sha"] == checkout.head.commit.hexsha
    assert ws.artifacts.is_dir()
    run = out / PRESUBMIT_DIR
    assert _json(run / "started.json") == {
        "timestamp": STAMP,
        "pull": "1",
        "repos": {"acme/widget": f"master,1:{remote.pulls[1]}"},
        "repo-commit": checkout.head.commit.hexsha,
        "repo-version": checkout.head.commit.hexsha,
    }
    assert (run / "clone-log.txt").read_text() == (ws.logs / "clone-log.txt").read_text()
    assert (run / "clone-records.json").read_text() == (ws.logs / "clone-records.json").read_text()
    # A local directory gets no latest-build or alias markers (Prow's local mode).
    assert sorted(p.name for p in run.iterdir()) == [
        "clone-log.txt",
        "clone-records.json",
        "started.json",
    ]
    assert not (out / "pr-logs" / "directory").exists()


def test_prepare_without_refs_only_writes_started(tmp_path: Path) -> None:
    job = load_prowjob("periodic")
    _gcs(job).local_output_dir = str(tmp_path / "local")
    ws = Workspace(tmp_path / "ws")
    prepare(job, render(job), ws, now=NOW, default_dir=tmp_path / "unused")
    run = tmp_path / "local" / "logs" / "ci-widget-nightly" / "1861000000000000003"
    assert [p.name for p in run.iterdir()] == ["started.json"]
    assert _json(run / "started.json") == {"timestamp": STAMP}
    assert not (ws.logs / "clone-log.txt").exists()
    assert not (tmp_path / "unused").exists()


def test_prepare_uploads_markers_to_a_bucket(remote: Remote, tmp_path: Path, gcs: GCS) -> None:
    job = _presubmit(remote, bucket=f"gs://{gcs.bucket}")
    prepare(job, render(job), Workspace(tmp_path / "ws"), now=NOW, default_dir=tmp_path / "out")
    assert gcs.names() == {
        f"{PRESUBMIT_DIR}/started.json",
        f"{PRESUBMIT_DIR}/clone-log.txt",
        f"{PRESUBMIT_DIR}/clone-records.json",
        "pr-logs/directory/pull-widget-unit/latest-build.txt",
        "pr-logs/pull/acme_widget/1/pull-widget-unit/latest-build.txt",
        "pr-logs/directory/pull-widget-unit/1861000000000000001.txt",
    }
    latest = gcs.blob("pr-logs/directory/pull-widget-unit/latest-build.txt")
    assert latest.download_as_bytes() == b"1861000000000000001"
    alias = gcs.blob("pr-logs/directory/pull-widget-unit/1861000000000000001.txt")
    link = f"gs://{gcs.bucket}/{PRESUBMIT_DIR}"
    assert alias.download_as_bytes() == link.encode()
    assert alias.metadata == {"link": link}
    assert gcs.blob(f"{PRESUBMIT_DIR}/started.json").content_type.startswith("application/json")
    assert gcs.blob(f"{PRESUBMIT_DIR}/clone-log.txt").content_type.startswith("text/plain")


def test_prepare_path_prefix_and_postsubmit_markers(tmp_path: Path, gcs: GCS) -> None:
    widget, tools = make_remote(tmp_path / "widget"), make_remote(tmp_path / "tools")
    job = load_prowjob("postsubmit")
    assert job.spec.refs
    assert job.spec.extra_refs
    job = with_refs(
        job,
        job.spec.refs.model_copy(update={"clone_uri": widget.uri}),
        [job.spec.extra_refs[0].model_copy(update={"clone_uri": tools.uri, "base_ref": "master"})],
    )
    _gcs(job).bucket = f"gs://{gcs.bucket}/prow"
    _gcs(job).path_prefix = "ci"
    ws = Workspace(tmp_path / "ws")
    prepare(job, render(job), ws, now=NOW, default_dir=tmp_path / "out")
    assert (ws.code / "src" / "acme.dev" / "tools" / "README").is_file()
    run = "prow/ci/logs/post-widget-build/1861000000000000002"
    assert gcs.names() == {
        f"{run}/started.json",
        f"{run}/clone-log.txt",
        f"{run}/clone-records.json",
        "prow/logs/post-widget-build/latest-build.txt",
    }
    started = json.loads(gcs.blob(f"{run}/started.json").download_as_bytes())
    assert started["repo-commit"] == widget.base
    assert set(started["repos"]) == {"acme/widget", "acme/tools"}


def test_failed_clone_uploads_what_initupload_does(remote: Remote, tmp_path: Path) -> None:
    job = _presubmit(remote, clone_uri=str(tmp_path / "no-such-repo.git"))
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    with pytest.raises(
        CloneError, match=r"cloning acme/widget failed.*does not appear to be a git repository"
    ):
        prepare(job, render(job), ws, now=NOW, default_dir=out)
    run = out / PRESUBMIT_DIR
    assert sorted(p.name for p in run.iterdir()) == [
        "build-log.txt",
        "clone-log.txt",
        "clone-records.json",
        "finished.json",
        "started.json",
    ]
    assert (run / "build-log.txt").read_text() == (run / "clone-log.txt").read_text()
    assert (
        (run / "build-log.txt").read_text().startswith("# FAILED\n# Cloning acme/widget at master")
    )
    assert _json(run / "finished.json") == {
        "timestamp": STAMP,
        "passed": False,
        "result": "FAILURE",
    }
    assert _json(run / "started.json")["repo-commit"] == remote.pulls[1]


def _run_job(job: ProwJob, ws: Workspace, out: Path) -> None:
    prepare(job, render(job), ws, now=NOW, default_dir=out)
    ws.build_log.write_text("running tests\nok\n")
    (ws.artifacts / "junit").mkdir()
    (ws.artifacts / "junit" / "junit_unit.xml").write_text("<testsuite/>")
    (ws.artifacts / "metadata.json").write_text(
        '{"version": "v1.2.3", "links": {"b": "2", "a": "1"}}'
    )


@pytest.mark.parametrize(
    ("exit_code", "passed", "result"),
    [
        (0, True, "SUCCESS"),
        (2, False, "FAILURE"),
        (130, False, "ABORTED"),
        (None, False, "FAILURE"),
    ],
    ids=["passed", "failed", "aborted", "lost"],
)
def test_finish_writes_logs_artifacts_and_finished(
    remote: Remote, tmp_path: Path, exit_code: int | None, passed: bool, result: str
) -> None:
    job = _presubmit(remote)
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    _run_job(job, ws, out)
    finish(
        job, render(job), ws, exit_code=exit_code, now=NOW + timedelta(minutes=3), default_dir=out
    )
    run = out / PRESUBMIT_DIR
    assert (run / "build-log.txt").read_text() == "running tests\nok\n"
    assert (run / "artifacts" / "junit" / "junit_unit.xml").read_text() == "<testsuite/>"
    assert ProwJob.from_json((run / "prowjob.json").read_text()) == job
    assert (run / "finished.json").read_text() == json.dumps(
        {
            "timestamp": STAMP + 180,
            "passed": passed,
            "metadata": {"links": {"a": "1", "b": "2"}, "version": "v1.2.3"},
            "result": result,
            "revision": remote.pulls[1],
        },
        separators=(",", ":"),
    )


def test_finish_twice_writes_the_same_files(remote: Remote, tmp_path: Path) -> None:
    job = _presubmit(remote)
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    _run_job(job, ws, out)

    def files() -> dict[str, bytes]:
        return {
            str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()
        }

    finish(job, render(job), ws, exit_code=0, now=NOW, default_dir=out)
    first = files()
    finish(job, render(job), ws, exit_code=0, now=NOW, default_dir=out)
    assert files() == first


def test_finish_without_a_build_log_says_so(tmp_path: Path) -> None:
    job = load_prowjob("periodic")
    _gcs(job).bucket = None
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    prepare(job, render(job), ws, now=NOW, default_dir=out)
    finish(job, render(job), ws, exit_code=1, now=NOW, default_dir=out)
    run = out / "logs" / "ci-widget-nightly" / "1861000000000000003"
    assert (run / "build-log.txt").read_text().startswith(f"Failed to open {ws.build_log}")
    assert _json(run / "finished.json") == {
        "timestamp": STAMP,
        "passed": False,
        "result": "FAILURE",
    }


def test_finish_to_a_bucket(remote: Remote, tmp_path: Path, gcs: GCS) -> None:
    job = _presubmit(remote, bucket=gcs.bucket)
    ws = Workspace(tmp_path / "ws")
    _run_job(job, ws, tmp_path / "out")
    finish(job, render(job), ws, exit_code=0, now=NOW, default_dir=tmp_path / "out")
    names = gcs.names()
    for name in (
        "build-log.txt",
        "finished.json",
        "prowjob.json",
        "artifacts/junit/junit_unit.xml",
        "artifacts/metadata.json",
    ):
        assert f"{PRESUBMIT_DIR}/{name}" in names
    assert gcs.blob(f"{PRESUBMIT_DIR}/build-log.txt").content_type.startswith("text/plain")
    finished = gcs.blob(f"{PRESUBMIT_DIR}/finished.json")
    assert finished.content_type.startswith("application/json")
    assert json.loads(finished.download_as_bytes())["result"] == "SUCCESS"
    assert not (tmp_path / "out").exists()


def test_batch_runs_go_under_pull_batch(remote: Remote, tmp_path: Path) -> None:
    job = load_prowjob("batch")
    job = with_refs(job, remote.refs(1, 2))
    _gcs(job).bucket = None
    ws, out = Workspace(tmp_path / "ws"), tmp_path / "out"
    prepare(job, render(job), ws, now=NOW, default_dir=out)
    finish(job, render(job), ws, exit_code=0, now=NOW, default_dir=out)
    run = out / "pr-logs" / "pull" / "batch" / "pull-widget-unit" / "1861000000000000004"
    assert {p.name for p in run.iterdir()} >= {
        "started.json",
        "finished.json",
        "build-log.txt",
        "prowjob.json",
    }
    assert (ws.code / "src" / "github.com" / "acme" / "widget" / "two.txt").is_file()

"""Decoration done in-process: what the pod utilities do around a job's test process.

For executors without init containers and a sidecar (docker, host), minprow
does their work itself, before and after the job's process:

- `prepare` is Prow's clonerefs + initupload (pkg/clonerefs/run.go,
  pkg/initupload/run.go): clone the refs into the workspace, then upload
  `started.json`, `clone-log.txt` and `clone-records.json`, and to a bucket the
  `latest-build.txt` markers and the presubmit alias. When cloning failed it
  also uploads the clone log as `build-log.txt` and a failed `finished.json`,
  as initupload does, and raises CloneError.
- `finish` is the sidecar (pkg/sidecar/run.go) plus the `prowjob.json` crier's
  GCS reporter writes: upload `build-log.txt`, the `$ARTIFACTS` tree under
  `artifacts/`, `prowjob.json`, and last `finished.json`, so a reader that sees
  `finished.json` sees everything else. Calling it twice writes the same files
  again.

Both are synchronous (executors run them with `asyncio.to_thread`), take the
clock as `now`, and raise UploadError when the destination cannot be written. Paths are Prow's layout (`gcspaths`); the destination is
chosen by `upload.destination_for`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from minprow.model import ProwJob
from minprow.podutils import gcspaths, metadata
from minprow.podutils.clonerefs import (
    CLONE_LOG,
    CLONE_RECORDS,
    CloneError,
    CloneRecord,
    clone_refs,
    format_records,
    records_json,
)
from minprow.podutils.jobspec import JobSpec
from minprow.podutils.render import RunPlan
from minprow.podutils.upload import Destination, destination_for

log = logging.getLogger("minprow.podutils.decorate")

BUILD_LOG = "build-log.txt"
ARTIFACTS = "artifacts"
METADATA_FILE = "metadata.json"
"""What a job writes to `$ARTIFACTS/metadata.json` goes into finished.json's `metadata`."""
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"


@dataclass(frozen=True)
class Workspace:
    """A job's directories on the machine that runs it."""

    root: Path

    @property
    def code(self) -> Path:
        """`$GOPATH`: the refs are cloned to `code/src/<host>/<path>`."""
        return self.root / "code"

    @property
    def logs(self) -> Path:
        """Prow's `/logs`: the build log, the clone log and the artifacts."""
        return self.root / "logs"

    @property
    def artifacts(self) -> Path:
        """`$ARTIFACTS`: uploaded under the run's `artifacts/`."""
        return self.logs / ARTIFACTS

    @property
    def build_log(self) -> Path:
        """Where the executor writes the test container's output."""
        return self.logs / BUILD_LOG

    @property
    def clone_log(self) -> Path:
        return self.logs / CLONE_LOG

    @property
    def clone_records(self) -> Path:
        return self.logs / CLONE_RECORDS


def prepare(
    job: ProwJob, plan: RunPlan, workspace: Workspace, *, now: datetime, default_dir: Path
) -> None:
    """Clone the plan's refs and upload what initupload uploads; CloneError when cloning failed."""
    for directory in (workspace.code, workspace.artifacts):
        directory.mkdir(parents=True, exist_ok=True)
    records: list[CloneRecord] | None = None
    failure: CloneError | None = None
    if plan.refs:
        try:
            records = clone_refs(plan.refs, workspace.code, log=workspace.clone_log)
        except CloneError as err:
            failure, records = err, err.records
    destination = destination_for(job, default_dir=default_dir)
    upload_started(job, destination, records, now=now, failure=str(failure) if failure else "")
    if failure is not None:
        raise failure


def upload_started(
    job: ProwJob,
    destination: Destination,
    records: Sequence[CloneRecord] | None,
    *,
    now: datetime,
    failure: str = "",
) -> None:
    """initupload's uploads (pkg/initupload/run.go): `started.json`, and with clone
    `records` the clone log and records, and when `failure` (or a failed record)
    says cloning failed, the clone log as `build-log.txt` and a failed
    `finished.json`; to a bucket also the `latest-build.txt` markers and the
    presubmit alias."""
    run_dir = gcspaths.job_path(job)
    if records is not None:
        if not failure and any(r.failed for r in records):
            failure = "cloning the appropriate refs failed"
        clone_log = format_records(records) or f"{failure}\n"
        destination.put_bytes(_at(run_dir, CLONE_LOG), clone_log.encode(), content_type=_TEXT)
        destination.put_bytes(
            _at(run_dir, CLONE_RECORDS), records_json(records).encode(), content_type=_JSON
        )
        if failure:
            destination.put_bytes(_at(run_dir, BUILD_LOG), clone_log.encode(), content_type=_TEXT)
            _put_json(destination, _at(run_dir, metadata.FINISHED), metadata.clone_failed(now))
    _put_json(
        destination, _at(run_dir, metadata.STARTED), metadata.started(job, now, records or ())
    )
    if destination.is_bucket:
        _put_markers(job, destination, run_dir)
    log.info("prepared %s (%s) at %s", job.name, job.spec.job, destination.url(run_dir))


def finish(
    job: ProwJob,
    plan: RunPlan,
    workspace: Workspace,
    *,
    exit_code: int | None,
    now: datetime,
    default_dir: Path,
) -> None:
    """Upload the build log, artifacts, `prowjob.json` and then `finished.json`."""
    destination = destination_for(job, default_dir=default_dir)
    run_dir = gcspaths.job_path(job)
    if not workspace.build_log.is_file():
        workspace.build_log.parent.mkdir(parents=True, exist_ok=True)
        # What Prow's sidecar uploads when the process log is missing.
        workspace.build_log.write_text(f"Failed to open {workspace.build_log}: no such file\n")
    destination.put_file(_at(run_dir, BUILD_LOG), workspace.build_log)
    destination.put_tree(_at(run_dir, ARTIFACTS), workspace.artifacts)
    destination.put_bytes(
        _at(run_dir, metadata.PROWJOB), metadata.prowjob_json(job).encode(), content_type=_JSON
    )
    finished = metadata.finished(
        job, now, exit_code=exit_code, metadata=_job_metadata(workspace.artifacts)
    )
    _put_json(destination, _at(run_dir, metadata.FINISHED), finished)
    log.info(
        "finished %s (%s): %s at %s",
        job.name,
        job.spec.job,
        finished["result"],
        destination.url(run_dir),
    )


def _put_markers(job: ProwJob, destination: Destination, run_dir: str) -> None:
    # initupload, for buckets only: latest-build.txt holds the build ID and the
    # presubmit alias holds the run's full path (also as x-goog-meta-link).
    spec = JobSpec.from_prowjob(job)
    alias = gcspaths.alias_for_spec(spec)
    if alias:
        link = destination.url(run_dir)
        destination.put_bytes(alias, link.encode(), content_type=_TEXT, metadata={"link": link})
    gcs = job.spec.decoration_config.gcs_configuration if job.spec.decoration_config else None
    for path in gcspaths.latest_build_for_spec(
        spec, gcspaths.builder_for(gcs), local=job.is_local_run
    ):
        destination.put_bytes(path, spec.buildid.encode(), content_type=_TEXT)


def _job_metadata(artifacts: Path) -> dict[str, Any]:
    # The sidecar's combineMetadata for one container: a JSON object, else nothing.
    path = artifacts / METADATA_FILE
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        log.warning("ignoring %s: %s", path, err)
        return {}
    if not isinstance(data, dict):
        log.warning("ignoring %s: not a JSON object", path)
        return {}
    return data


def _put_json(destination: Destination, path: str, data: dict[str, Any]) -> None:
    destination.put_bytes(path, metadata.to_json(data).encode(), content_type=_JSON)


def _at(run_dir: str, name: str) -> str:
    return gcspaths.join(run_dir, name)

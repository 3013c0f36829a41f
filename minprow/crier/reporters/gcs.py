"""The GCS reporter: a finished job's metadata files, when the job did not write them.

Corresponds to Prow's pkg/crier/reporters/gcs/reporter.go (`gcsreporter`). For
a decorated job that has a build ID and has finished, in the job's run
directory (`podutils.gcspaths.job_path`) at its destination
(`podutils.upload.destination_for`: a GCS bucket or a local directory):

- `finished.json` is written only when it is not there yet (the executor's
  own, written when the test process ended, wins): `timestamp` (the
  completion time), `passed`, `metadata.uploader = "crier"` and `result` (the
  ProwJob state), as Prow's `MarshalFinishedJSON`;
- `started.json` likewise only when missing (a job that never started, e.g.
  one aborted while waiting), from the job's refs and start time;
- `prowjob.json` always: the ProwJob as it ended.

Prow writes with a "does not exist" precondition; minprow reads first, so an
executor writing `finished.json` in the same instant could be overwritten.
A destination minprow cannot use (an S3 bucket, a job whose paths cannot be
computed) is a permanent error; a failed read or write is retried.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from minprow.crier.reporter import PermanentReportError
from minprow.model import ProwJob, ProwJobState
from minprow.podutils import Destination, JobSpecError, UploadError, destination_for
from minprow.podutils.gcspaths import job_path, join
from minprow.podutils.metadata import FINISHED, PROWJOB, STARTED, prowjob_json, started

NAME = "gcsreporter"


class GCSReporter:
    """Crier's reporter named "gcsreporter"; see the module docstring."""

    name = NAME

    def __init__(self, *, artifacts_dir: Path, credentials_file: Path | None = None) -> None:
        self.artifacts_dir = artifacts_dir
        """Where a job goes whose decoration config names no bucket or directory."""
        self.credentials_file = credentials_file

    def should_report(self, job: ProwJob) -> bool:
        return (
            job.spec.decoration_config is not None
            and bool(job.status.build_id)
            and job.status.state.is_final
            and job.complete
        )

    async def report(self, job: ProwJob) -> None:
        await asyncio.to_thread(self._upload, job)

    def _upload(self, job: ProwJob) -> None:
        try:
            destination = destination_for(
                job, default_dir=self.artifacts_dir, credentials_file=self.credentials_file
            )
            directory = job_path(job)
        except (UploadError, JobSpecError) as err:
            raise PermanentReportError(f"no place to write {job.name}'s metadata: {err}") from err
        for name, content in ((FINISHED, finished_json), (STARTED, started_json)):
            path = join(directory, name)
            if not _exists(destination, path):
                destination.put_bytes(path, content(job).encode())
        destination.put_bytes(join(directory, PROWJOB), prowjob_json(job).encode())


def finished_json(job: ProwJob) -> str:
    """Prow's `MarshalFinishedJSON`, indented with tabs as Go's MarshalIndent does."""
    assert job.status.completion_time is not None
    data: dict[str, Any] = {
        "timestamp": int(job.status.completion_time.timestamp()),
        "passed": job.status.state is ProwJobState.SUCCESS,
        "metadata": {"uploader": "crier"},
        "result": str(job.status.state),
    }
    return json.dumps(data, indent="\t")


def started_json(job: ProwJob) -> str:
    """Prow's `PjToStarted` with `metadata.uploader = "crier"`."""
    moment = job.status.start_time or job.status.completion_time
    assert moment is not None
    base = started(job, moment)
    data = {k: v for k, v in base.items() if k != "repo-version"}
    data["metadata"] = {"uploader": "crier"}
    if "repo-version" in base:
        data["repo-version"] = base["repo-version"]
    return json.dumps(data, indent="\t")


def _exists(destination: Destination, path: str) -> bool:
    """Whether `path` is there; a read failing for another reason than "not found" raises."""
    try:
        destination.get_bytes(path)
    except UploadError as err:
        cause = err.__cause__
        if isinstance(cause, FileNotFoundError) or getattr(cause, "code", None) == 404:
            return False
        raise
    return True

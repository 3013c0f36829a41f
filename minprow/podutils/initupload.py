"""initupload in a pod: upload `started.json` (and the clone records) before the test runs.

Corresponds to Prow's pkg/initupload/run.go and pkg/gcsupload/run.go (where
the uploads land). In a pod the job is known only from `$JOB_SPEC` and the
upload target from `$INITUPLOAD_OPTIONS`; `job_for_spec` turns the two into
the ProwJob that `decorate.upload_started` (the same code the docker and host
executors run in-process) and `gcspaths` work from, so both paths upload the
same objects to the same places.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from minprow.model import DecorationConfig, ObjectMeta, ProwJob, ProwJobSpec, ProwJobStatus
from minprow.podutils.clonerefs import CloneRecord, read_records
from minprow.podutils.decorate import upload_started
from minprow.podutils.jobspec import JobSpec
from minprow.podutils.options import GCSUploadOptions, InitUploadOptions, OptionsError
from minprow.podutils.upload import Destination, destination_for


class CloneFailed(Exception):
    """The clone records say a refs could not be cloned (initupload then exits non-zero)."""


def job_for_spec(spec: JobSpec, upload: GCSUploadOptions) -> ProwJob:
    """The ProwJob a `$JOB_SPEC` describes, uploading where `upload` says.

    The upload options' GCS configuration replaces the job's own, as Prow's
    utilities take their target from their options, not from the job spec."""
    if spec.type is None:
        raise OptionsError("$JOB_SPEC names no job type")
    decoration = spec.decoration_config or DecorationConfig()
    decoration = decoration.model_copy(update={"gcs_configuration": upload.gcs_configuration()})
    return ProwJob(
        metadata=ObjectMeta(name=spec.prowjobid),
        spec=ProwJobSpec(
            type=spec.type,
            job=spec.job,
            refs=spec.refs,
            extra_refs=spec.extra_refs,
            decoration_config=decoration,
        ),
        status=ProwJobStatus(build_id=spec.buildid),
    )


def destination(job: ProwJob, upload: GCSUploadOptions) -> Destination:
    """Where the utilities upload: `local_output_dir`, else the bucket (Prow's Validate)."""
    gcs = upload.gcs_configuration()
    if not gcs.local_output_dir and not gcs.bucket:
        raise OptionsError("GCS upload was requested no GCS bucket was provided")
    credentials = Path(upload.gcs_credentials_file) if upload.gcs_credentials_file else None
    return destination_for(job, default_dir=Path("."), credentials_file=credentials)


def initupload(spec: JobSpec, options: InitUploadOptions, *, now: datetime) -> None:
    """Upload what initupload uploads; CloneFailed (after uploading) when cloning failed.

    With `options.log` (the clone records clonerefs wrote) the records are read
    and uploaded too; a missing or malformed file is an OptionsError, as Prow's
    initupload fails on it."""
    job = job_for_spec(spec, options)
    records: list[CloneRecord] | None = None
    if options.log:
        try:
            records = read_records(Path(options.log).read_text())
        except (OSError, ValueError) as err:
            raise OptionsError(f"could not read the clone records {options.log}: {err}") from err
    upload_started(job, destination(job, options), records, now=now)
    if records is not None and any(r.failed for r in records):
        raise CloneFailed("cloning the appropriate refs failed")

"""The one renderer: what a job sees (its environment and `JOB_SPEC`), computed
once from the ProwJob for every executor and for `minprow run`; and the
decoration around a job's process (clone its refs, upload its logs and
artifacts in Prow's layout) for executors that do it in-process.

Corresponds to Prow's pkg/pod-utils, pkg/clonerefs, pkg/initupload and pkg/sidecar.
"""

from minprow.podutils.clonerefs import CloneCommand, CloneError, CloneRecord, clone_refs
from minprow.podutils.decorate import Workspace, finish, prepare
from minprow.podutils.gcspaths import job_path, job_url
from minprow.podutils.jobspec import JobSpec, JobSpecError, env_for, job_spec_json
from minprow.podutils.upload import (
    Destination,
    GCSDestination,
    LocalDestination,
    UploadError,
    destination_for,
)

__all__ = [
    "CloneCommand",
    "CloneError",
    "CloneRecord",
    "Destination",
    "GCSDestination",
    "JobSpec",
    "JobSpecError",
    "LocalDestination",
    "UploadError",
    "Workspace",
    "clone_refs",
    "destination_for",
    "env_for",
    "finish",
    "job_path",
    "job_spec_json",
    "job_url",
    "prepare",
]

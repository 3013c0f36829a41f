"""The names of the environment variables Prow gives a job's containers.

Prow's pkg/pod-utils/downwardapi (`EnvForType` and its constants). Both the
config checker (a job may not set these itself) and the renderer in
`minprow.podutils` (which sets them) read the names from here, so they agree.
"""

from __future__ import annotations

from minprow.model.prowjob import ProwJobType

CI = "CI"
JOB_SPEC = "JOB_SPEC"
JOB_NAME = "JOB_NAME"
JOB_TYPE = "JOB_TYPE"
PROW_JOB_ID = "PROW_JOB_ID"
BUILD_ID = "BUILD_ID"
BUILD_NUMBER = "BUILD_NUMBER"
"""Deprecated by Prow; set to `BUILD_ID` for the kubernetes agent only."""
REPO_OWNER = "REPO_OWNER"
REPO_NAME = "REPO_NAME"
SRC_HOST = "SRC_HOST"
SRC_BASE = "SRC_BASE"
PULL_BASE_REF = "PULL_BASE_REF"
PULL_BASE_SHA = "PULL_BASE_SHA"
PULL_REFS = "PULL_REFS"
PULL_NUMBER = "PULL_NUMBER"
PULL_PULL_SHA = "PULL_PULL_SHA"
PULL_HEAD_REF = "PULL_HEAD_REF"
PULL_TITLE = "PULL_TITLE"

_BASE_ENV = (CI, JOB_NAME, JOB_SPEC, JOB_TYPE, PROW_JOB_ID, BUILD_ID, BUILD_NUMBER)
_REFS_ENV = (REPO_OWNER, REPO_NAME, SRC_BASE, SRC_HOST, PULL_BASE_REF, PULL_BASE_SHA, PULL_REFS)
_PULL_ENV = (PULL_NUMBER, PULL_PULL_SHA, PULL_HEAD_REF, PULL_TITLE)


def env_names_for_type(job_type: ProwJobType) -> tuple[str, ...]:
    """Prow's `EnvForType`: every variable a job of this type may get."""
    if job_type == ProwJobType.PERIODIC:
        return _BASE_ENV
    if job_type in (ProwJobType.POSTSUBMIT, ProwJobType.BATCH):
        return _BASE_ENV + _REFS_ENV
    return _BASE_ENV + _REFS_ENV + _PULL_ENV

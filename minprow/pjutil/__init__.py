"""The one ProwJob factory: every ProwJob minprow creates is made here.

Corresponds to Prow's pkg/pjutil. Trigger, horologium, `mkpj`, `minprow run`
and the TUI's rerun all call it, so a job gets the same spec, labels and
annotations however it was started: `specs` turns a job config into a
`ProwJobSpec`, `prowjobs` wraps a spec into a new (or rerun) ProwJob, `buildid`
vends build ids.
"""

from minprow.pjutil.buildid import SNOWFLAKE_EPOCH_MS, BuildIDGenerator, new_build_id
from minprow.pjutil.prowjobs import (
    COMPONENT_LABELS_AND_ANNOTATIONS,
    delivery_job_name,
    new_periodic,
    new_postsubmit,
    new_presubmit,
    new_prowjob,
    rerun,
    rerun_latest,
)
from minprow.pjutil.specs import (
    batch_spec,
    complete_primary_refs,
    decorate_refs,
    periodic_spec,
    postsubmit_spec,
    presubmit_spec,
    pull_request_refs,
)

__all__ = [
    "COMPONENT_LABELS_AND_ANNOTATIONS",
    "SNOWFLAKE_EPOCH_MS",
    "BuildIDGenerator",
    "batch_spec",
    "complete_primary_refs",
    "decorate_refs",
    "delivery_job_name",
    "new_build_id",
    "new_periodic",
    "new_postsubmit",
    "new_presubmit",
    "new_prowjob",
    "periodic_spec",
    "postsubmit_spec",
    "presubmit_spec",
    "pull_request_refs",
    "rerun",
    "rerun_latest",
]

"""The one renderer: what a job sees (its environment and `JOB_SPEC`), computed
once from the ProwJob for every executor and for `minprow run`.

Corresponds to Prow's pkg/pod-utils.
"""

from minprow.podutils.jobspec import JobSpec, JobSpecError, env_for, job_spec_json

__all__ = ["JobSpec", "JobSpecError", "env_for", "job_spec_json"]

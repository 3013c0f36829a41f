"""The job's `status.url`: where a person looks at its run.

Prow's pjutil `JobURL`: with `plank.job_url_prefix_config` (by org/repo, org,
then "*"), the prefix followed by the storage path of the job's artifacts;
else nothing. minprow adds one thing for jobs whose artifacts stay on this
machine: without a prefix, the `file://` URL of the artifacts directory.
"""

from __future__ import annotations

from pathlib import Path

from minprow.config import Config
from minprow.model import ProwJob


def job_url(job: ProwJob, config: Config, *, default_dir: Path | None = None) -> str | None:
    if job.spec.decoration_config is None:
        return None
    from minprow.podutils import gcspaths, upload

    plank = config.plank
    if plank.job_url_prefix_config:
        return gcspaths.job_url(
            job,
            plank.job_url_prefix_config,
            disable_append_storage_provider=plank.job_url_prefix_disable_append_storage_provider,
        )
    if default_dir is None:
        return None
    return upload.destination_for(job, default_dir=default_dir).url_for(gcspaths.job_path(job))

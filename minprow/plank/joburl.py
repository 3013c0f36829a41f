"""The job's `status.url`: where a person looks at its run.

Prow's pjutil `JobURL`: with `plank.job_url_prefix_config` (by org/repo, org,
then "*") or the job's own `job_url_prefix`, the prefix followed by the
storage provider, bucket and path of the job's artifacts. minprow adds the
case Prow has no page for: without a prefix, the address of the artifacts
themselves (`gs://bucket/path`, or a `file://` URL on this machine).
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
    url = gcspaths.job_url(
        job,
        plank.job_url_prefix_config,
        disable_append_storage_provider=plank.job_url_prefix_disable_append_storage_provider,
    )
    if url or default_dir is None:
        return url or None
    destination = upload.destination_for(job, default_dir=default_dir)
    where = destination.url(gcspaths.job_path(job))
    return where if destination.is_bucket else Path(where).resolve().as_uri()

"""ProwJob specs from job configs: Prow's `PresubmitSpec`, `PostsubmitSpec`,
`PeriodicSpec`, `BatchSpec`, `specFromJobBase`, `CompletePrimaryRefs` and
`DecorateRefs` (pkg/pjutil/pjutil.go), and the refs of a pull request as
trigger builds them.

Spec fields follow Go's `omitempty`: a zero value (`""`, `0`, `false`) is left
unset (None), as Prow's ProwJobs do not carry it. So a job with
`skip_report: true` has no `report` rather than `report: false`.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from minprow.config.jobs import JobBase, Periodic, Postsubmit, Presubmit
from minprow.model import DecorationConfig, ProwJobSpec, ProwJobType, Pull, Refs

_T = TypeVar("_T", str, int, bool)


def presubmit_spec(job: Presubmit, refs: Refs, *, pod_namespace: str | None = None) -> ProwJobSpec:
    """Prow's `PresubmitSpec`: a presubmit's spec for a pull request's refs."""
    spec = _spec_from_job_base(job, ProwJobType.PRESUBMIT, pod_namespace)
    spec.context = _go(job.context)
    spec.report = _go(not job.skip_report)
    spec.rerun_command = _go(job.rerun_command)
    spec.jenkins_spec = _jenkins_spec(job)
    spec.refs = complete_primary_refs(refs, job)
    return spec


def postsubmit_spec(
    job: Postsubmit, refs: Refs, *, pod_namespace: str | None = None
) -> ProwJobSpec:
    """Prow's `PostsubmitSpec`: a postsubmit's spec for a pushed commit's refs."""
    spec = _spec_from_job_base(job, ProwJobType.POSTSUBMIT, pod_namespace)
    spec.context = _go(job.context)
    spec.report = _go(not job.skip_report)
    spec.refs = complete_primary_refs(refs, job)
    spec.jenkins_spec = _jenkins_spec(job)
    return spec


def periodic_spec(job: Periodic, *, pod_namespace: str | None = None) -> ProwJobSpec:
    """Prow's `PeriodicSpec`: periodics always report."""
    spec = _spec_from_job_base(job, ProwJobType.PERIODIC, pod_namespace)
    spec.report = True
    return spec


def batch_spec(job: Presubmit, refs: Refs, *, pod_namespace: str | None = None) -> ProwJobSpec:
    """Prow's `BatchSpec`: a presubmit run on several PRs merged together.

    Like Prow, it sets no `report` and no `rerun_command`."""
    spec = _spec_from_job_base(job, ProwJobType.BATCH, pod_namespace)
    spec.context = _go(job.context)
    spec.refs = complete_primary_refs(refs, job)
    return spec


def _spec_from_job_base(
    job: JobBase, job_type: ProwJobType, pod_namespace: str | None
) -> ProwJobSpec:
    decoration = _decoration(job)
    extra_refs = [decorate_refs(r, decoration) for r in job.extra_refs]
    return ProwJobSpec.model_validate(
        {
            "type": job_type,
            "job": job.name,
            "agent": _go(job.agent),
            "cluster": _go(job.cluster),
            "namespace": job.namespace or pod_namespace or None,
            "max_concurrency": _go(job.max_concurrency),
            "error_on_eviction": _go(job.error_on_eviction),
            "extra_refs": extra_refs or None,
            "decoration_config": decoration.model_copy(deep=True) if decoration else None,
            "pod_spec": _pod_spec(job.spec),
            "pipeline_run_spec": copy.deepcopy(job.pipeline_run_spec),
            "tekton_pipeline_run_spec": copy.deepcopy(job.tekton_pipeline_run_spec),
            "reporter_config": (
                job.reporter_config.model_copy(deep=True) if job.reporter_config else None
            ),
            "rerun_auth_config": copy.deepcopy(job.rerun_auth_config),
            "hidden": _go(job.hidden),
            "prowjob_defaults": copy.deepcopy(job.prowjob_defaults),
            "job_queue_name": _go(job.job_queue_name),
        }
    )


def _pod_spec(spec: dict[str, Any] | None) -> dict[str, Any] | None:
    """The job's pod spec as Go writes a `corev1.PodSpec`: a container's `name`
    has no omitempty, so an unnamed container is written with `name: ""` (and
    the ProwJob CRD requires the field)."""
    if spec is None:
        return None
    spec = copy.deepcopy(spec)
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(key) or ():
            if isinstance(container, dict):
                container.setdefault("name", "")
    return spec


def _decoration(job: JobBase) -> DecorationConfig | None:
    return job.decoration_config if job.is_decorated else None


def _jenkins_spec(job: Presubmit | Postsubmit) -> dict[str, bool] | None:
    if job.jenkins_spec is None:
        return None
    source_job = job.jenkins_spec.github_branch_source_job
    return {"github_branch_source_job": True} if source_job else {}


def _go(value: _T) -> _T | None:
    """Go's omitempty: a zero value is not written."""
    return value or None


def complete_primary_refs(refs: Refs, job: JobBase) -> Refs:
    """Prow's `CompletePrimaryRefs`: the job's clone settings on the refs under test.

    `path_alias`, `clone_uri`, `skip_submodules`, `clone_depth` and
    `skip_fetch_head` are taken from the job when it sets them; `blobless_fetch`
    from the decoration config when the refs leave it unset."""
    updates: dict[str, object] = {}
    if job.path_alias:
        updates["path_alias"] = job.path_alias
    if job.clone_uri:
        updates["clone_uri"] = job.clone_uri
    if job.skip_submodules:
        updates["skip_submodules"] = True
    if job.clone_depth > 0:
        updates["clone_depth"] = job.clone_depth
    if job.skip_fetch_head:
        updates["skip_fetch_head"] = True
    return _decorated(refs.model_copy(update=updates, deep=True), _decoration(job))


def decorate_refs(refs: Refs, decoration: DecorationConfig | None) -> Refs:
    """Prow's `DecorateRefs`: `blobless_fetch` defaults to the decoration config's."""
    return _decorated(refs.model_copy(deep=True), decoration)


def _decorated(refs: Refs, decoration: DecorationConfig | None) -> Refs:
    """`decorate_refs` of a copy the caller owns, changed in place."""
    if decoration is not None and refs.blobless_fetch is None:
        refs.blobless_fetch = decoration.blobless_fetch
    return refs


def pull_request_refs(
    *,
    org: str,
    repo: str,
    base_ref: str,
    base_sha: str,
    number: int,
    author: str,
    head_sha: str,
    head_ref: str = "",
    title: str = "",
    repo_link: str | None = None,
    link: str | None = None,
    author_link: str | None = None,
) -> Refs:
    """The refs of a pull request, linked as Prow's `createRefs` links them.

    `repo_link`, `link` (the PR) and `author_link` are the HTML URLs GitHub
    reports; they default to github.com's."""
    repo_link = repo_link or f"https://github.com/{org}/{repo}"
    return Refs(
        org=org,
        repo=repo,
        repo_link=repo_link,
        base_ref=base_ref,
        base_sha=base_sha,
        base_link=f"{repo_link}/commit/{base_sha}",
        pulls=[
            Pull(
                number=number,
                author=author,
                sha=head_sha,
                head_ref=_go(head_ref),
                title=_go(title),
                link=link or f"{repo_link}/pull/{number}",
                author_link=author_link or f"https://github.com/{author}",
                commit_link=f"{repo_link}/pull/{number}/commits/{head_sha}",
            )
        ],
    )

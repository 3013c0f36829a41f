"""The one ProwJob factory: every ProwJob minprow creates is made here.

Corresponds to Prow's pkg/pjutil/pjutil.go (`NewProwJob`, `NewPresubmit`,
`PresubmitSpec`, `PostsubmitSpec`, `PeriodicSpec`, `BatchSpec`,
`specFromJobBase`, `CompletePrimaryRefs`, `DecorateExtraRefs`), the ProwJob
creation of trigger's push handler and of horologium, Deck's rerun
(cmd/deck/rerun.go) and the snowflake build ids of pkg/pjutil/tot.go. Trigger,
horologium, `mkpj`, `minprow run` and the TUI's rerun all call it, so a job
gets the same spec, labels and annotations however it was started.

Two namespaces are involved, as in Prow: the ProwJob object lives in the
config's `prowjob_namespace`; its `spec.namespace`, where the pod runs, is the
job's `namespace`, which the config loader defaults to `pod_namespace`
(`pod_namespace=` here fills it for a job built without the loader).

Spec fields follow Go's `omitempty`: a zero value (`""`, `0`, `false`) is left
unset (None), as Prow's ProwJobs do not carry it. So a job with
`skip_report: true` has no `report` rather than `report: false`.
"""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from minprow.config.jobs import JobBase, Periodic, Postsubmit, Presubmit
from minprow.model import (
    DecorationConfig,
    ObjectMeta,
    ProwJob,
    ProwJobSpec,
    ProwJobState,
    ProwJobStatus,
    ProwJobType,
    Pull,
    Refs,
)
from minprow.model import labels as keys
from minprow.model.labels import labels_and_annotations_for_spec

_T = TypeVar("_T", str, int, bool)

COMPONENT_LABELS_AND_ANNOTATIONS = frozenset(
    {
        keys.GERRIT_REVISION,
        keys.GERRIT_PATCHSET,
        keys.GERRIT_REPORT_LABEL,
        keys.EVENT_GUID,
        keys.CREATED_BY_TIDE,
        keys.GERRIT_ID,
        keys.GERRIT_INSTANCE,
    }
)
"""Labels and annotations set by the component that created a job (not by its
config); a rerun from the latest config keeps them (Deck's
`ComponentSpecifiedAnnotationsAndLabels`)."""


def new_prowjob(
    spec: ProwJobSpec,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    *,
    now: datetime,
    namespace: str,
    name: str | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """Prow's `NewProwJob`: a new ProwJob for `spec`, triggered at `now`.

    The name is a fresh random UUID unless given. Labels and annotations are
    Prow's `prow.k8s.io/*` set for the spec with `labels` / `annotations` over
    them (see `minprow.model.labels`). The state is `triggered`, or
    `scheduling` when the scheduler is enabled (`require_scheduling`).
    `namespace` is the config's `prowjob_namespace`."""
    all_labels, all_annotations = labels_and_annotations_for_spec(spec, labels, annotations)
    spec = spec.model_copy(deep=True)
    _set_report_default(spec)
    return ProwJob(
        metadata=ObjectMeta(
            name=name or str(uuid.uuid4()),
            namespace=namespace,
            labels=all_labels,
            annotations=all_annotations,
        ),
        spec=spec,
        status=ProwJobStatus(
            state=ProwJobState.SCHEDULING if require_scheduling else ProwJobState.TRIGGERED,
            start_time=now,
        ),
    )


def _set_report_default(spec: ProwJobSpec) -> None:
    # Prow's setReportDefault: an explicit Slack `report` wins; otherwise
    # `job_states_to_report: []` means do not report, anything else means report.
    slack = spec.reporter_config.slack if spec.reporter_config else None
    if slack is None or slack.report is not None:
        return
    slack.report = slack.job_states_to_report != []


def new_presubmit(
    refs: Refs,
    job: Presubmit,
    *,
    now: datetime,
    event_guid: str,
    prowjob_namespace: str,
    pod_namespace: str | None = None,
    additional_labels: dict[str, str] | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """Prow's `NewPresubmit`: the ProwJob trigger creates for a pull request.

    `refs` are the PR's refs (see `pull_request_refs`). Labels: the job's own,
    `additional_labels`, `event-GUID` and `prow.k8s.io/is-optional`."""
    labels = {**job.labels, **(additional_labels or {})}
    labels[keys.EVENT_GUID] = event_guid
    labels[keys.IS_OPTIONAL] = "true" if job.optional else "false"
    return new_prowjob(
        presubmit_spec(job, refs, pod_namespace=pod_namespace),
        labels,
        dict(job.annotations),
        now=now,
        namespace=prowjob_namespace,
        require_scheduling=require_scheduling,
    )


def new_postsubmit(
    refs: Refs,
    job: Postsubmit,
    *,
    now: datetime,
    event_guid: str,
    prowjob_namespace: str,
    pod_namespace: str | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """The ProwJob trigger creates for a push (Prow's trigger `handlePE`):
    the job's labels plus `event-GUID`, the job's annotations."""
    labels = {**job.labels, keys.EVENT_GUID: event_guid}
    return new_prowjob(
        postsubmit_spec(job, refs, pod_namespace=pod_namespace),
        labels,
        dict(job.annotations),
        now=now,
        namespace=prowjob_namespace,
        require_scheduling=require_scheduling,
    )


def new_periodic(
    job: Periodic,
    *,
    now: datetime,
    prowjob_namespace: str,
    pod_namespace: str | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """The ProwJob horologium creates for a periodic: the job's labels and annotations."""
    return new_prowjob(
        periodic_spec(job, pod_namespace=pod_namespace),
        dict(job.labels),
        dict(job.annotations),
        now=now,
        namespace=prowjob_namespace,
        require_scheduling=require_scheduling,
    )


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
    return decorate_refs(refs.model_copy(update=updates, deep=True), _decoration(job))


def decorate_refs(refs: Refs, decoration: DecorationConfig | None) -> Refs:
    """Prow's `DecorateRefs`: `blobless_fetch` defaults to the decoration config's."""
    refs = refs.model_copy(deep=True)
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


def rerun(
    pj: ProwJob,
    *,
    now: datetime,
    user: str | None = None,
    namespace: str | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """Deck's rerun: a new ProwJob with the old one's spec, labels and annotations.

    Fresh name, state `triggered`, start time `now`, and the description Deck
    writes ("<user> successfully reran <name>."). The new job goes to
    `namespace`, by default the old job's."""
    return _rerun_description(
        new_prowjob(
            pj.spec,
            dict(pj.metadata.labels),
            dict(pj.metadata.annotations),
            now=now,
            namespace=namespace or pj.metadata.namespace or "",
            require_scheduling=require_scheduling,
        ),
        pj.metadata.name,
        user,
    )


def rerun_latest(
    pj: ProwJob,
    spec: ProwJobSpec,
    job_labels: dict[str, str],
    job_annotations: dict[str, str],
    *,
    now: datetime,
    user: str | None = None,
    namespace: str | None = None,
    require_scheduling: bool = False,
) -> ProwJob:
    """Deck's rerun in `latest` mode: the job as the current config defines it.

    `spec`, `job_labels` and `job_annotations` come from the current config
    (e.g. `presubmit_spec(job, pj.spec.refs)` and the job's labels); the old
    job's component-set labels and annotations (`event-GUID`, Gerrit's) are kept."""
    labels = dict(job_labels)
    annotations = dict(job_annotations)
    for source, target in ((pj.metadata.labels, labels), (pj.metadata.annotations, annotations)):
        for key, value in source.items():
            if key in COMPONENT_LABELS_AND_ANNOTATIONS:
                target[key] = value
    return _rerun_description(
        new_prowjob(
            spec,
            labels,
            annotations,
            now=now,
            namespace=namespace or pj.metadata.namespace or "",
            require_scheduling=require_scheduling,
        ),
        pj.metadata.name,
        user,
    )


def _rerun_description(new: ProwJob, old_name: str, user: str | None) -> ProwJob:
    who = f"{user} successfully reran" if user else "Successfully reran"
    new.status.description = f"{who} {old_name}."
    return new


SNOWFLAKE_EPOCH_MS = 1288834974657
"""The epoch of Prow's snowflake build ids (github.com/bwmarrin/snowflake's default)."""


class BuildIDGenerator:
    """Build ids as Prow vends them without `tot`: snowflake ids, as decimal text.

    An id is `ms << 22 | node << 12 | sequence`, where `ms` is milliseconds since
    `SNOWFLAKE_EPOCH_MS` (41 bits), `node` is this generator's node number (10
    bits; Prow uses 1) and `sequence` counts ids within one millisecond (12 bits).
    Unlike a plain snowflake, the ids of one generator strictly increase even if
    `now` stands still or goes backwards: the generator then continues from the
    last millisecond it used, moving on to the next one when the sequence wraps.
    Ids are 19 digits long from 2015 to 2080, so they also sort as text."""

    def __init__(self, node: int = 1) -> None:
        if not 0 <= node < 1 << 10:
            raise ValueError(f"snowflake node must be in 0..1023, got {node}")
        self._node = node
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self, now: datetime) -> str:
        """A new build id for a job started at `now` (a naive `now` is UTC)."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        ms = int(now.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        if ms < 0:
            raise ValueError(f"cannot vend a build id for {now.isoformat()}: before 2010-11-04")
        with self._lock:
            if ms <= self._last_ms:
                ms = self._last_ms
                self._sequence = (self._sequence + 1) & 0xFFF
                if self._sequence == 0:
                    ms += 1
            else:
                self._sequence = 0
            self._last_ms = ms
            return str(ms << 22 | self._node << 12 | self._sequence)


_BUILD_IDS = BuildIDGenerator()


def new_build_id(now: datetime) -> str:
    """A new build id from the process-wide generator (see `BuildIDGenerator`)."""
    return _BUILD_IDS.next(now)

"""New ProwJobs: Prow's `NewProwJob`, `NewPresubmit`, the ProwJobs of trigger's
push handler and of horologium, and Deck's rerun (cmd/deck/rerun.go).

Two namespaces are involved, as in Prow: the ProwJob object lives in the
config's `prowjob_namespace`; its `spec.namespace`, where the pod runs, is the
job's `namespace`, which the config loader defaults to `pod_namespace`
(`pod_namespace=` here fills it for a job built without the loader).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from minprow.config.jobs import Periodic, Postsubmit, Presubmit
from minprow.model import ObjectMeta, ProwJob, ProwJobSpec, ProwJobState, ProwJobStatus, Refs
from minprow.model import labels as keys
from minprow.model.labels import labels_and_annotations_for_spec
from minprow.pjutil.specs import periodic_spec, postsubmit_spec, presubmit_spec

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

_DELIVERY_NAMES = uuid.UUID("8f6d3a52-6c1e-4d7a-9a38-2f4be1c0d9e1")


def delivery_job_name(event_guid: str, job: str) -> str:
    """The name of the ProwJob a webhook delivery creates for `job`: a UUID, as
    Prow's names are, but derived from the delivery and the job (UUIDv5) rather
    than random, so handling the same delivery again after a crash finds the
    ProwJob it created the first time (`AlreadyExists`) instead of making a
    second one."""
    return str(uuid.uuid5(_DELIVERY_NAMES, f"{event_guid}\n{job}"))


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
    return _wrap(
        spec.model_copy(deep=True), labels, annotations, now, namespace, name, require_scheduling
    )


def _wrap(
    spec: ProwJobSpec,
    labels: dict[str, str] | None,
    annotations: dict[str, str] | None,
    now: datetime,
    namespace: str,
    name: str | None,
    require_scheduling: bool,
) -> ProwJob:
    """`new_prowjob` of a spec the caller just built and hands over (no copy: a
    deep copy of a spec costs more than building it, on trigger's hot path)."""
    all_labels, all_annotations = labels_and_annotations_for_spec(spec, labels, annotations)
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
    `additional_labels`, `event-GUID` and `prow.k8s.io/is-optional`. The name
    is keyed by the delivery and the job (`delivery_job_name`)."""
    labels = {**job.labels, **(additional_labels or {})}
    labels[keys.EVENT_GUID] = event_guid
    labels[keys.IS_OPTIONAL] = "true" if job.optional else "false"
    return _wrap(
        presubmit_spec(job, refs, pod_namespace=pod_namespace),
        labels,
        dict(job.annotations),
        now,
        prowjob_namespace,
        delivery_job_name(event_guid, job.name) if event_guid else None,
        require_scheduling,
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
    the job's labels plus `event-GUID`, the job's annotations; the name is keyed
    by the delivery and the job (`delivery_job_name`)."""
    labels = {**job.labels, keys.EVENT_GUID: event_guid}
    return _wrap(
        postsubmit_spec(job, refs, pod_namespace=pod_namespace),
        labels,
        dict(job.annotations),
        now,
        prowjob_namespace,
        delivery_job_name(event_guid, job.name) if event_guid else None,
        require_scheduling,
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
    return _wrap(
        periodic_spec(job, pod_namespace=pod_namespace),
        dict(job.labels),
        dict(job.annotations),
        now,
        prowjob_namespace,
        None,
        require_scheduling,
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

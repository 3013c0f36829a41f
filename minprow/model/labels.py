"""The `prow.k8s.io/*` labels and annotations of ProwJobs and the resources they own.

Corresponds to Prow's pkg/kube/prowjob.go (the keys) and the label half of
pkg/pod-utils/decorate/podspec.go (`LabelsAndAnnotationsForSpec`,
`LabelsAndAnnotationsForJob`). Label values must be valid Kubernetes label
values (at most 63 characters of `[A-Za-z0-9._-]`, starting and ending with an
alphanumeric), so Prow repairs what it writes into labels:

- the job name and context are cut to 63 bytes and stripped of trailing
  `.`, `_` and `-` (the full value stays in the annotation of the same key);
- any other value that is still invalid is replaced by its last path element
  when that is valid (a Gerrit org such as `https://host/x` becomes `x`, a base
  ref `release/v1.2` becomes `v1.2`), and the label is dropped otherwise.
"""

from __future__ import annotations

import re

from minprow.model.prowjob import ProwJob, ProwJobSpec

CREATED_BY_PROW = "created-by-prow"
"""On every resource Prow creates, value "true"."""
CREATED_BY_TIDE = "created-by-tide"
"""On ProwJobs Tide triggered."""
EVENT_GUID = "event-GUID"
"""The `X-GitHub-Delivery` of the webhook that triggered the job (Prow's `github.EventGUID`)."""
JOB_TYPE = "prow.k8s.io/type"
JOB_ID = "prow.k8s.io/id"
"""The ProwJob's name, on the pod (or container) that runs it."""
BUILD_ID = "prow.k8s.io/build-id"
JOB = "prow.k8s.io/job"
"""The job name: truncated as a label, in full as an annotation."""
CONTEXT = "prow.k8s.io/context"
"""The status context: truncated as a label, in full as an annotation."""
PLANK_VERSION = "prow.k8s.io/plank-version"
ORG = "prow.k8s.io/refs.org"
REPO = "prow.k8s.io/refs.repo"
BASE_REF = "prow.k8s.io/refs.base_ref"
PULL = "prow.k8s.io/refs.pull"
RETEST = "prow.k8s.io/retest"
IS_OPTIONAL = "prow.k8s.io/is-optional"
RERUN = "prow.k8s.io/re-run"
GERRIT_ID = "prow.k8s.io/gerrit-id"
GERRIT_INSTANCE = "prow.k8s.io/gerrit-instance"
GERRIT_REVISION = "prow.k8s.io/gerrit-revision"
GERRIT_PATCHSET = "prow.k8s.io/gerrit-patchset"
GERRIT_REPORT_LABEL = "prow.k8s.io/gerrit-report-label"

LABEL_VALUE_MAX_LENGTH = 63
"""Kubernetes' `validation.LabelValueMaxLength`."""

_LABEL_VALUE = re.compile(r"(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")


def is_valid_label_value(value: str) -> bool:
    """Kubernetes' `IsValidLabelValue`: empty, or up to 63 valid characters."""
    return len(value) <= LABEL_VALUE_MAX_LENGTH and _LABEL_VALUE.fullmatch(value) is not None


def truncate_label_value(value: str) -> str:
    """A long job name or context cut as Prow cuts it for a label.

    Longer than 63 bytes: the first 63 bytes, then trailing `.`, `_` and `-`
    removed. Shorter values are returned unchanged (even if invalid)."""
    raw = value.encode()
    if len(raw) <= LABEL_VALUE_MAX_LENGTH:
        return value
    # A cut inside a multi-byte character leaves an invalid value, as in Go;
    # such a label is then dropped by `sanitize_label_value`.
    cut = raw[:LABEL_VALUE_MAX_LENGTH].decode(errors="replace")
    return cut.rstrip("._-")


def sanitize_label_value(value: str) -> str | None:
    """The value Prow writes for a label: the value itself when valid, else its
    last path element when that is valid, else None (the label is dropped)."""
    if is_valid_label_value(value):
        return value
    base = _path_base(value)
    return base if is_valid_label_value(base) else None


def _path_base(path: str) -> str:
    # Go's filepath.Base on a Unix system.
    if not path:
        return "."
    stripped = path.rstrip("/")
    if not stripped:
        return "/"
    return stripped.rsplit("/", 1)[-1]


def labels_and_annotations_for_spec(
    spec: ProwJobSpec,
    extra_labels: dict[str, str] | None = None,
    extra_annotations: dict[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations of a ProwJob (or a resource it owns) for `spec`.

    Prow's own keys first, then `extra_labels` / `extra_annotations` over them
    (the caller's values win), then every label value repaired or dropped as
    the module docstring describes."""
    labels: dict[str, str] = {CREATED_BY_PROW: "true", JOB_TYPE: str(spec.type)}
    annotations: dict[str, str] = {}
    for key, value in ((JOB, spec.job), (CONTEXT, spec.context or "")):
        labels[key] = truncate_label_value(value)
        annotations[key] = value

    refs = spec.refs
    if refs is None and spec.extra_refs:
        refs = spec.extra_refs[0]
    if refs is not None:
        labels[ORG] = refs.org
        labels[REPO] = refs.repo
        labels[BASE_REF] = refs.base_ref or ""
        if refs.pulls:
            labels[PULL] = str(refs.pulls[0].number)

    labels.update(extra_labels or {})
    valid: dict[str, str] = {}
    for key, value in labels.items():
        repaired = sanitize_label_value(value)
        if repaired is not None:
            valid[key] = repaired
    annotations.update(extra_annotations or {})
    return valid, annotations


def labels_and_annotations_for_job(pj: ProwJob) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations of the pod (or container) that runs `pj`: the
    ProwJob's own, plus `prow.k8s.io/id` and `prow.k8s.io/build-id`."""
    extra = dict(pj.metadata.labels)
    extra[JOB_ID] = pj.metadata.name
    extra[BUILD_ID] = pj.status.build_id or ""
    return labels_and_annotations_for_spec(pj.spec, extra, dict(pj.metadata.annotations))

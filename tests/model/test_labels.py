"""ProwJob labels and annotations, and label values repaired as Prow repairs them."""

from __future__ import annotations

import pytest

from minprow.model import ObjectMeta, ProwJob, ProwJobSpec, ProwJobStatus, ProwJobType, Pull, Refs
from minprow.model import labels as L

LONG = "pull-gardener-extension-shoot-networking-problemdetector-check-renovate-config"


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("", True),
        ("a", True),
        ("pull-gardener-unit", True),
        ("v1.2_3", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("-a", False),
        ("a-", False),
        ("a/b", False),
        ("has space", False),
        ("ünï", False),
    ],
    ids=["empty", "one", "job-name", "dots-underscores", "63", "64", "leading-dash",
         "trailing-dash", "slash", "space", "non-ascii"],
)  # fmt: skip
def test_is_valid_label_value(value: str, valid: bool) -> None:
    assert L.is_valid_label_value(value) is valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("short", "short"),
        ("x" * 63, "x" * 63),
        ("x" * 70, "x" * 63),
        (LONG, "pull-gardener-extension-shoot-networking-problemdetector-check"),
        ("a" * 60 + "._-" + "b", "a" * 60),
        ("a" * 62 + "é" + "b", "a" * 62 + "\ufffd"),
    ],
    ids=["short", "exactly-63", "long", "trims-dash", "trims-dot-underscore-dash",
         "cuts-bytes"],
)  # fmt: skip
def test_truncate_label_value(value: str, expected: str) -> None:
    assert L.truncate_label_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("main", "main"),
        ("release/v1.2", "v1.2"),
        ("https://gerrit.example.com/project", "project"),
        ("feature/", "feature"),
        ("-bad-", None),
        ("a/-bad-", None),
        ("/", None),
    ],
    ids=["valid", "branch-path", "url", "trailing-slash", "invalid", "invalid-base", "root"],
)
def test_sanitize_label_value(value: str, expected: str | None) -> None:
    assert L.sanitize_label_value(value) == expected


_PULL = Pull(number=42, author="alice", sha="abc")
_REFS = Refs(org="gardener", repo="gardener", base_ref="master", pulls=[_PULL])
_EXTRA = Refs(org="gardener", repo="ci-infra", base_ref="release/v1.2")


@pytest.mark.parametrize(
    ("spec", "extra_labels", "labels", "annotations"),
    [
        (
            ProwJobSpec(type=ProwJobType.PERIODIC, job="ci-nightly"),
            {},
            {
                L.CREATED_BY_PROW: "true",
                L.JOB_TYPE: "periodic",
                L.JOB: "ci-nightly",
                L.CONTEXT: "",
            },
            {L.JOB: "ci-nightly", L.CONTEXT: ""},
        ),
        (
            ProwJobSpec(type=ProwJobType.PERIODIC, job="ci-x", extra_refs=[_EXTRA, _REFS]),
            {},
            {
                L.CREATED_BY_PROW: "true",
                L.JOB_TYPE: "periodic",
                L.JOB: "ci-x",
                L.CONTEXT: "",
                L.ORG: "gardener",
                L.REPO: "ci-infra",
                L.BASE_REF: "v1.2",
            },
            {L.JOB: "ci-x", L.CONTEXT: ""},
        ),
        (
            ProwJobSpec(type=ProwJobType.PRESUBMIT, job=LONG, context=LONG, refs=_REFS),
            {"team": "infra/ci", "broken": "-x-", L.ORG: "override"},
            {
                L.CREATED_BY_PROW: "true",
                L.JOB_TYPE: "presubmit",
                L.JOB: "pull-gardener-extension-shoot-networking-problemdetector-check",
                L.CONTEXT: "pull-gardener-extension-shoot-networking-problemdetector-check",
                L.ORG: "override",
                L.REPO: "gardener",
                L.BASE_REF: "master",
                L.PULL: "42",
                "team": "ci",
            },
            {L.JOB: LONG, L.CONTEXT: LONG},
        ),
    ],
    ids=["periodic-no-refs", "periodic-first-extra-ref", "presubmit-long-name-and-extras"],
)
def test_labels_and_annotations_for_spec(
    spec: ProwJobSpec,
    extra_labels: dict[str, str],
    labels: dict[str, str],
    annotations: dict[str, str],
) -> None:
    assert L.labels_and_annotations_for_spec(spec, extra_labels) == (labels, annotations)


def test_extra_annotations_win() -> None:
    spec = ProwJobSpec(type=ProwJobType.PERIODIC, job="j")
    _, annotations = L.labels_and_annotations_for_spec(spec, None, {L.JOB: "other", "x": "y"})
    assert annotations == {L.JOB: "other", L.CONTEXT: "", "x": "y"}


def test_labels_for_job_add_id_and_build_id() -> None:
    pj = ProwJob(
        metadata=ObjectMeta(name="0b7e2c1e", labels={"event-GUID": "g"}, annotations={"a": "b"}),
        spec=ProwJobSpec(type=ProwJobType.PRESUBMIT, job="pull-x", context="pull-x", refs=_REFS),
        status=ProwJobStatus(build_id="1790000000000000001"),
    )
    labels, annotations = L.labels_and_annotations_for_job(pj)
    assert labels[L.JOB_ID] == "0b7e2c1e"
    assert labels[L.BUILD_ID] == "1790000000000000001"
    assert labels["event-GUID"] == "g"
    assert annotations == {L.JOB: "pull-x", L.CONTEXT: "pull-x", "a": "b"}

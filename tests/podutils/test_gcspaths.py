"""Prow's artifact layout and job URLs, checked against Prow's own test tables
(pkg/pod-utils/gcs/target_test.go, pkg/pjutil/pjutil_test.go `TestJobURL`)."""

from __future__ import annotations

from typing import Any

import pytest

from minprow.model import DecorationConfig, GCSConfiguration, ProwJob, ProwJobType, Pull, Refs
from minprow.podutils import job_path, job_url
from minprow.podutils.gcspaths import (
    RepoPathBuilder,
    alias_for_spec,
    builder_for,
    explicit_builder,
    join,
    latest_build_for_spec,
    legacy_builder,
    path_for_job,
    path_for_spec,
    root_for_spec,
    single_builder,
)
from minprow.podutils.jobspec import JobSpec, JobSpecError


def _spec(type_: ProwJobType, job: str = "job", build: str = "number", **refs: Any) -> JobSpec:
    pulls = [Pull(number=n, author="a", sha="") for n in refs.pop("pulls", [])]
    made = Refs(**refs, pulls=pulls or None) if refs else None
    return JobSpec(type=type_, job=job, buildid=build, refs=made)


PR = {"org": "org", "repo": "repo", "pulls": [1]}


@pytest.mark.parametrize(
    ("spec", "builder", "expected"),
    [
        (_spec(ProwJobType.PERIODIC), explicit_builder(), "logs/job/number"),
        (_spec(ProwJobType.POSTSUBMIT), explicit_builder(), "logs/job/number"),
        (_spec(ProwJobType.BATCH), explicit_builder(), "pr-logs/pull/batch/job/number"),
        (
            _spec(ProwJobType.PRESUBMIT, **PR),
            legacy_builder("org", "repo"),
            "pr-logs/pull/1/job/number",
        ),
        (
            _spec(ProwJobType.PRESUBMIT, **PR),
            legacy_builder("org", "other"),
            "pr-logs/pull/repo/1/job/number",
        ),
        (
            _spec(ProwJobType.PRESUBMIT, **PR),
            legacy_builder("some", "other"),
            "pr-logs/pull/org_repo/1/job/number",
        ),
        (
            _spec(ProwJobType.PRESUBMIT, **PR),
            explicit_builder(),
            "pr-logs/pull/org_repo/1/job/number",
        ),
    ],
    ids=[
        "periodic",
        "postsubmit",
        "batch",
        "presubmit-full-default-legacy",
        "presubmit-default-org-legacy",
        "presubmit-nondefault-legacy",
        "presubmit-explicit",
    ],
)
def test_path_for_spec(spec: JobSpec, builder: RepoPathBuilder, expected: str) -> None:
    assert path_for_spec(spec, builder) == expected


@pytest.mark.parametrize(
    ("type_", "expected"),
    [
        (ProwJobType.PERIODIC, ""),
        (ProwJobType.BATCH, ""),
        (ProwJobType.POSTSUBMIT, ""),
        (ProwJobType.PRESUBMIT, "pr-logs/directory/job/number.txt"),
    ],
    ids=["periodic", "batch", "postsubmit", "presubmit"],
)
def test_alias_for_spec(type_: ProwJobType, expected: str) -> None:
    assert alias_for_spec(_spec(type_)) == expected


UNIT = {"org": "kubernetes", "repo": "test-infra", "pulls": [1234]}


@pytest.mark.parametrize(
    ("spec", "builder", "expected"),
    [
        (
            _spec(ProwJobType.PRESUBMIT, "pull-kubernetes-unit", **UNIT),
            None,
            ["pr-logs/directory/pull-kubernetes-unit/latest-build.txt"],
        ),
        (
            _spec(ProwJobType.PRESUBMIT, "pull-kubernetes-unit", **UNIT),
            explicit_builder(),
            [
                "pr-logs/directory/pull-kubernetes-unit/latest-build.txt",
                "pr-logs/pull/kubernetes_test-infra/1234/pull-kubernetes-unit/latest-build.txt",
            ],
        ),
        (
            _spec(ProwJobType.PRESUBMIT, "pull-kubernetes-unit", **UNIT),
            legacy_builder("kubernetes", "test-infra"),
            [
                "pr-logs/directory/pull-kubernetes-unit/latest-build.txt",
                "pr-logs/pull/1234/pull-kubernetes-unit/latest-build.txt",
            ],
        ),
        (
            _spec(ProwJobType.PRESUBMIT, "pull-kubernetes-unit", **UNIT),
            single_builder("defaultorg", "defaultrepo"),
            [
                "pr-logs/directory/pull-kubernetes-unit/latest-build.txt",
                "pr-logs/pull/kubernetes_test-infra/1234/pull-kubernetes-unit/latest-build.txt",
            ],
        ),
        (
            _spec(ProwJobType.BATCH, "pull-kubernetes-unit"),
            None,
            ["pr-logs/directory/pull-kubernetes-unit/latest-build.txt"],
        ),
        (
            _spec(ProwJobType.POSTSUBMIT, "ci-kubernetes-unit"),
            None,
            ["logs/ci-kubernetes-unit/latest-build.txt"],
        ),
        (
            _spec(ProwJobType.PERIODIC, "ci-kubernetes-periodic"),
            None,
            ["logs/ci-kubernetes-periodic/latest-build.txt"],
        ),
    ],
    ids=[
        "presubmit-no-strategy",
        "presubmit-explicit",
        "presubmit-legacy",
        "presubmit-single",
        "batch",
        "postsubmit",
        "periodic",
    ],
)
def test_latest_build_for_spec(
    spec: JobSpec, builder: RepoPathBuilder | None, expected: list[str]
) -> None:
    assert latest_build_for_spec(spec, builder) == expected


@pytest.mark.parametrize(
    ("type_", "job", "expected"),
    [
        (ProwJobType.PRESUBMIT, "pull-kubernetes-unit", "pr-logs/directory/pull-kubernetes-unit"),
        (ProwJobType.BATCH, "pull-kubernetes-unit", "pr-logs/directory/pull-kubernetes-unit"),
        (ProwJobType.POSTSUBMIT, "ci-kubernetes-unit", "logs/ci-kubernetes-unit"),
        (ProwJobType.PERIODIC, "ci-kubernetes-periodic", "logs/ci-kubernetes-periodic"),
    ],
    ids=["presubmit", "batch", "postsubmit", "periodic"],
)
def test_root_for_spec(type_: ProwJobType, job: str, expected: str) -> None:
    assert root_for_spec(_spec(type_, job)) == expected


@pytest.mark.parametrize(
    ("builder", "org", "repo", "expected"),
    [
        (legacy_builder("org", "repo"), "org", "repo", ""),
        (legacy_builder("org", "repo"), "other", "repo", "other_repo"),
        (legacy_builder("org", "repo"), "org", "other", "other"),
        (legacy_builder("org", "repo"), "other", "wild", "other_wild"),
        (legacy_builder("org", "repo"), "gerrit", "foo/bar", "gerrit_foo_bar"),
        (single_builder("org", "repo"), "org", "repo", ""),
        (single_builder("org", "repo"), "other", "repo", "other_repo"),
        (single_builder("org", "repo"), "org", "other", "org_other"),
        (single_builder("org", "repo"), "other", "wild", "other_wild"),
        (single_builder("org", "repo"), "gerrit", "foo/bar", "gerrit_foo_bar"),
        (explicit_builder(), "org", "repo", "org_repo"),
        (explicit_builder(), "gerrit", "foo/bar", "gerrit_foo_bar"),
        (explicit_builder(), "https://gerrit.example.com", "foo/bar", "gerrit.example.com_foo_bar"),
    ],
    ids=[
        "legacy-default-org-and-repo",
        "legacy-default-repo",
        "legacy-default-org",
        "legacy-non-default",
        "legacy-gerrit",
        "single-default-org-and-repo",
        "single-default-repo",
        "single-default-org",
        "single-non-default",
        "single-gerrit",
        "explicit",
        "explicit-gerrit",
        "explicit-gerrit-https-org",
    ],
)
def test_repo_path_builders(builder: RepoPathBuilder, org: str, repo: str, expected: str) -> None:
    assert builder(org, repo) == expected


@pytest.mark.parametrize(
    ("gcs", "expected"),
    [
        (None, "pr-logs/pull/org_repo/1/job/number"),
        (
            GCSConfiguration(path_strategy="explicit", path_prefix="prefix"),
            "prefix/pr-logs/pull/org_repo/1/job/number",
        ),
        (
            GCSConfiguration(path_strategy="legacy", default_org="org", default_repo="repo"),
            "pr-logs/pull/1/job/number",
        ),
        (
            GCSConfiguration(
                path_strategy="single", default_org="org", default_repo="x", path_prefix="a/b/"
            ),
            "a/b/pr-logs/pull/org_repo/1/job/number",
        ),
    ],
    ids=["no-config-is-explicit", "path-prefix", "legacy", "single-with-prefix"],
)
def test_path_for_job(gcs: GCSConfiguration | None, expected: str) -> None:
    assert path_for_job(_spec(ProwJobType.PRESUBMIT, **PR), gcs) == expected


def test_unknown_strategy_is_an_error() -> None:
    with pytest.raises(JobSpecError, match="path_strategy"):
        builder_for(GCSConfiguration(path_strategy="flat"))


def test_presubmit_without_pull_is_an_error() -> None:
    with pytest.raises(JobSpecError, match="no pull request"):
        path_for_spec(_spec(ProwJobType.PRESUBMIT, org="o", repo="r"), explicit_builder())


def _presubmit(bucket: str, **gcs: Any) -> ProwJob:
    config = GCSConfiguration(bucket=bucket, path_strategy="explicit", **gcs)
    return ProwJob.from_wire(
        {
            "spec": {
                "type": "presubmit",
                "job": "",
                "refs": {
                    "org": "org",
                    "repo": "repo",
                    "pulls": [{"number": 1, "author": "", "sha": ""}],
                },
                "decoration_config": DecorationConfig(gcs_configuration=config).model_dump(
                    by_alias=True, exclude_none=True
                ),
            }
        }
    )


@pytest.mark.parametrize(
    ("job", "prefixes", "disable", "expected"),
    [
        (
            _presubmit("bucket"),
            {"*": "https://gubernator.com/build"},
            True,
            "https://gubernator.com/build/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("gs://bucket"),
            {"*": "https://prow.k8s.io/view/gcs"},
            False,
            "https://prow.k8s.io/view/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("gs://bucket"),
            {"*": "https://prow.k8s.io/view/gcs/"},
            False,
            "https://prow.k8s.io/view/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("gs://bucket"),
            {"*": "https://prow.k8s.io/view/"},
            False,
            "https://prow.k8s.io/view/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("s3://bucket"),
            {"*": "https://prow.k8s.io/view/"},
            False,
            "https://prow.k8s.io/view/s3/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("gs://my-floppy-backup/a://doom2.wad.006"),
            {"*": "https://prow.k8s.io/view/"},
            False,
            "https://prow.k8s.io/view/gs/my-floppy-backup/a:/doom2.wad.006/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("bucket"),
            {"*": "https://star/", "org": "https://org/", "org/repo": "https://org-repo/"},
            False,
            "https://org-repo/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("bucket"),
            {"*": "https://star/", "org": "https://org/", "other/repo": "https://other/"},
            False,
            "https://org/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (
            _presubmit("bucket", job_url_prefix="https://own/view/"),
            {"*": "https://star/"},
            False,
            "https://own/view/gs/bucket/pr-logs/pull/org_repo/1",
        ),
        (_presubmit("bucket"), {}, False, ""),
    ],
    ids=[
        "prow-prefix-without-provider",
        "prow-deprecated-gcs-suffix",
        "prow-deprecated-gcs-suffix-slash",
        "prow-new-format",
        "prow-s3",
        "prow-bucket-with-separators",
        "org-repo-wins",
        "org-before-star",
        "job-url-prefix-wins",
        "no-prefix-uses-template",
    ],
)
def test_job_url(job: ProwJob, prefixes: dict[str, str], disable: bool, expected: str) -> None:
    assert job_url(job, prefixes, disable_append_storage_provider=disable) == expected


def test_job_url_of_an_undecorated_job_is_empty() -> None:
    job = ProwJob.from_wire({"spec": {"type": "periodic", "job": "j"}})
    assert job_url(job, {"*": "https://prow/view/"}) == ""


def test_job_path_of_a_prowjob() -> None:
    job = _presubmit("bucket").model_copy(deep=True)
    job.spec.job = "pull-unit"
    job.status.build_id = "42"
    assert job_path(job) == "pr-logs/pull/org_repo/1/pull-unit/42"


@pytest.mark.parametrize(
    ("type_", "expected_path", "expected_latest"),
    [
        (
            ProwJobType.PRESUBMIT,
            "pr-logs/pull/org_repo/local/pull-unit/42",
            [
                "pr-logs/directory/pull-unit/latest-build.txt",
                "pr-logs/pull/org_repo/local/pull-unit/latest-build.txt",
            ],
        ),
        (ProwJobType.POSTSUBMIT, "logs/pull-unit/42", ["logs/pull-unit/latest-build.txt"]),
    ],
    ids=["presubmit-says-local-where-the-pr-number-goes", "postsubmit-has-no-pr-place"],
)
def test_a_local_run_is_placed_as_local_not_as_pr_0(
    type_: ProwJobType, expected_path: str, expected_latest: list[str]
) -> None:
    """`minprow run --local`: JOB_SPEC keeps Prow's presubmit pull (number 0); the
    layout says `local` where the PR number goes, as Prow's batch says `batch`."""
    from minprow.model.prowjob import LOCAL_RUN

    job = _presubmit("bucket").model_copy(deep=True)
    job.spec.job = "pull-unit"
    job.spec.type = type_
    assert job.spec.refs is not None
    assert job.spec.refs.pulls
    presubmit = type_ is ProwJobType.PRESUBMIT
    if presubmit:
        job.spec.refs.pulls[0].number = 0
    else:
        job.spec.refs.pulls = None
    job.status.build_id = "42"
    job.metadata.annotations[LOCAL_RUN] = "true"
    assert job.is_local_run
    assert job_path(job) == expected_path
    spec = JobSpec.from_prowjob(job)
    if presubmit:  # what the job sees is Prow's: a pull, numbered 0
        assert spec.refs is not None
        assert spec.refs.pulls
        assert spec.refs.pulls[0].number == 0
    latest = latest_build_for_spec(spec, explicit_builder(), local=job.is_local_run)
    assert latest == expected_latest
    assert job.log_fields().get("pr") == ("local" if presubmit else None)


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("a", "b", "c"), "a/b/c"),
        (("a", "", "c"), "a/c"),
        (("", ""), ""),
        (("a/", "/b/"), "a/b"),
        (("/view/", "gs"), "/view/gs"),
        (("a", "../b"), "b"),
        (("a://b",), "a:/b"),
        (("a/.", "./b"), "a/b"),
    ],
    ids=["plain", "empty-part", "all-empty", "slashes", "rooted", "dotdot", "double-slash", "dots"],
)
def test_join_is_gos_path_join(parts: tuple[str, ...], expected: str) -> None:
    assert join(*parts) == expected

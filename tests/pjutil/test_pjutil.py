"""The ProwJob factory makes the ProwJobs Prow would make, and valid ones.

Jobs come from fixtures/prowjobs/jobs.yaml, loaded with the config loader and
fixtures/prowjobs/config/config.yaml. Every ProwJob made here is checked
against Prow's ProwJob CRD schema (shared/prow/prowjob_customresourcedefinition.yaml).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from minprow import pjutil
from minprow.config import Config, JobBase, Periodic, Postsubmit, Presubmit, load_config
from minprow.model import ProwJob, ProwJobState, ProwJobType, Pull, Refs, ReporterConfig
from minprow.model import labels as L

REPO = Path(__file__).parents[2]
FIXTURES = REPO / "fixtures" / "prowjobs"
NOW = datetime(2026, 8, 21, 10, 0, 0, tzinfo=UTC)

E2E = "pull-gardener-e2e-kind-gardenadm-unmanaged-infra-external-gardener"
RENOVATE = "pull-gardener-extension-shoot-networking-problemdetector-check-renovate-config"
PERIODIC = "ci-gardener-e2e-kind-gardenadm-unmanaged-infra-external-gardener"
POSTSUBMIT = "post-gardener-release-handler"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(FIXTURES / "config" / "config.yaml", FIXTURES / "jobs.yaml", strict=True)


def _job(config: Config, name: str) -> JobBase:
    found = config.find_job(name)
    assert found is not None, name
    return found[1]


def _presubmit(config: Config, name: str) -> Presubmit:
    job = _job(config, name)
    assert isinstance(job, Presubmit)
    return job


def _pr_refs(org: str = "gardener", repo: str = "gardener") -> Refs:
    return pjutil.pull_request_refs(
        org=org,
        repo=repo,
        base_ref="master",
        base_sha="4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        number=12345,
        author="alice",
        head_sha="9f8e7d6c5b4a39281706f5e4d3c2b1a098765432",
        head_ref="feature/shoot-ready",
        title="Make shoots ready",
    )


def _push_refs() -> Refs:
    return Refs(
        org="gardener",
        repo="gardener",
        repo_link="https://github.com/gardener/gardener",
        base_ref="master",
        base_sha="4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        base_link="https://github.com/gardener/gardener/compare/1a2b3c...4b825d",
    )


def _batch_refs() -> Refs:
    refs = _pr_refs()
    assert refs.pulls is not None
    refs.pulls.append(Pull(number=12346, author="bob", sha="0a1b2c3d4e5f"))
    return refs


def _new_presubmit(config: Config, name: str, **kw: Any) -> ProwJob:
    job = _presubmit(config, name)
    found = config.find_job(name)
    assert found is not None
    assert found[2] is not None
    org, repo = found[2].split("/")
    return pjutil.new_presubmit(
        _pr_refs(org, repo),
        job,
        now=NOW,
        event_guid="72d3162e-cc78-11e3-81ab-4c9367dc0958",
        prowjob_namespace=config.prowjob_namespace,
        **kw,
    )


def _new_postsubmit(config: Config) -> ProwJob:
    job = _job(config, POSTSUBMIT)
    assert isinstance(job, Postsubmit)
    return pjutil.new_postsubmit(
        _push_refs(),
        job,
        now=NOW,
        event_guid="9a8b7c6d-0000-11ef-8000-000000000001",
        prowjob_namespace=config.prowjob_namespace,
    )


def _new_periodic(config: Config) -> ProwJob:
    job = _job(config, PERIODIC)
    assert isinstance(job, Periodic)
    return pjutil.new_periodic(job, now=NOW, prowjob_namespace=config.prowjob_namespace)


def _new_batch(config: Config) -> ProwJob:
    job = _presubmit(config, E2E)
    return pjutil.new_prowjob(
        pjutil.batch_spec(job, _batch_refs()),
        dict(job.labels),
        dict(job.annotations),
        now=NOW,
        namespace=config.prowjob_namespace,
    )


BUILDERS: dict[str, Callable[[Config], ProwJob]] = {
    "presubmit-66-char-name": lambda c: _new_presubmit(c, E2E),
    "presubmit-78-char-name": lambda c: _new_presubmit(c, RENOVATE),
    "presubmit-clone-settings": lambda c: _new_presubmit(c, "pull-clone-settings"),
    "presubmit-undecorated": lambda c: _new_presubmit(c, "pull-undecorated"),
    "postsubmit": _new_postsubmit,
    "periodic-extra-refs": _new_periodic,
    "batch": _new_batch,
    "rerun": lambda c: pjutil.rerun(_new_presubmit(c, E2E), now=NOW + timedelta(hours=1)),
    "rerun-latest": lambda c: pjutil.rerun_latest(
        _new_presubmit(c, E2E),
        pjutil.presubmit_spec(_presubmit(c, E2E), _pr_refs()),
        {},
        {},
        now=NOW,
    ),
}


@pytest.mark.parametrize("build", BUILDERS.values(), ids=BUILDERS.keys())
def test_every_prowjob_matches_the_crd(
    build: Callable[[Config], ProwJob], config: Config, crd_schema: dict[str, Any]
) -> None:
    pj = build(config)
    jsonschema.validate(pj.to_wire(), crd_schema)
    assert pj.metadata.namespace == "prow"
    assert pj.status.start_time is not None


_E2E_LABEL = "pull-gardener-e2e-kind-gardenadm-unmanaged-infra-external-garde"
_RENOVATE_LABEL = "pull-gardener-extension-shoot-networking-problemdetector-check"
_GUID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"


@pytest.mark.parametrize(
    ("name", "labels", "annotations"),
    [
        (
            E2E,
            {
                L.CREATED_BY_PROW: "true",
                L.JOB_TYPE: "presubmit",
                L.JOB: _E2E_LABEL,
                L.CONTEXT: _E2E_LABEL,
                L.ORG: "gardener",
                L.REPO: "gardener",
                L.BASE_REF: "master",
                L.PULL: "12345",
                "preset-dind-enabled": "true",
                "preset-kind-volume-mounts": "true",
                "preset-gocache-mounts": "true",
                L.EVENT_GUID: _GUID,
                L.IS_OPTIONAL: "false",
            },
            {
                L.JOB: E2E,
                L.CONTEXT: E2E,
                "description": "Runs end-to-end tests in pull requests for gardenadm unmanaged "
                "infrastructure developments with external Gardener deployment",
                "testgrid-dashboards": "gardener-gardener",
                "testgrid-days-of-results": "60",
                "fork-per-release": "true",
            },
        ),
        (
            RENOVATE,
            {
                L.CREATED_BY_PROW: "true",
                L.JOB_TYPE: "presubmit",
                L.JOB: _RENOVATE_LABEL,
                L.CONTEXT: _RENOVATE_LABEL,
                L.ORG: "gardener",
                L.REPO: "gardener-extension-shoot-networking-problemdetector",
                L.BASE_REF: "master",
                L.PULL: "12345",
                L.EVENT_GUID: _GUID,
                L.IS_OPTIONAL: "false",
            },
            {
                L.JOB: RENOVATE,
                L.CONTEXT: RENOVATE,
                "description": "Runs renovate-config-validator to validate changes to "
                "renovate configs.",
            },
        ),
    ],
    ids=["66-chars-cut-to-63", "78-chars-cut-and-trailing-dash-trimmed"],
)
def test_presubmit_labels_and_annotations(
    config: Config, name: str, labels: dict[str, str], annotations: dict[str, str]
) -> None:
    pj = _new_presubmit(config, name)
    assert pj.metadata.labels == labels
    assert pj.metadata.annotations == annotations


def test_presubmit_spec(config: Config) -> None:
    pj = _new_presubmit(config, E2E)
    spec = pj.spec
    assert spec.type is ProwJobType.PRESUBMIT
    assert spec.job == E2E
    assert spec.agent == "kubernetes"
    assert spec.cluster == "gardener-prow-build"
    assert spec.namespace == "test-pods"
    assert spec.context == E2E
    assert spec.rerun_command == f"/test {E2E}"
    assert spec.report is True
    assert spec.refs == _pr_refs()
    assert spec.extra_refs is None
    assert spec.pod_spec is not None
    assert spec.pod_spec["serviceAccountName"] == "gardener-prow-gobuildcache-ro"
    env = spec.pod_spec["containers"][0]["env"]
    assert {"name": "DOCKER_IN_DOCKER_ENABLED", "value": "true"} in env  # the preset
    dc = spec.decoration_config
    assert dc is not None
    assert dc.timeout == timedelta(hours=2)
    assert dc.gcs_configuration is not None
    assert dc.gcs_configuration.bucket == "gs://minprow-test-artifacts"
    assert pj.status.state is ProwJobState.TRIGGERED
    assert pj.status.start_time == NOW
    assert pj.status.build_id is None


def test_presubmit_takes_every_field_from_the_job(config: Config) -> None:
    pj = _new_presubmit(config, "pull-clone-settings", additional_labels={"extra": "yes"})
    spec = pj.spec
    assert spec.cluster == "build-eu"
    assert spec.report is None  # skip_report: Go's omitempty leaves out report: false
    assert spec.max_concurrency == 2
    assert spec.hidden is True
    assert spec.job_queue_name == "heavy"
    assert spec.error_on_eviction is True
    assert spec.rerun_auth_config == {"github_users": ["alice"]}
    assert spec.reporter_config == ReporterConfig.model_validate(
        {"slack": {"channel": "#ci", "job_states_to_report": [], "report": False}}
    )
    assert spec.refs is not None
    assert spec.refs.path_alias == "example.dev/clone-settings"
    assert spec.refs.clone_uri == "git@github.com:example-org/clone-settings.git"
    assert spec.refs.skip_submodules is True
    assert spec.refs.clone_depth == 1
    assert spec.refs.skip_fetch_head is True
    assert spec.refs.blobless_fetch is True  # from the decoration config
    assert spec.extra_refs is not None
    assert [r.blobless_fetch for r in spec.extra_refs] == [True, False]
    assert [r.path_alias for r in spec.extra_refs] == [None, None]  # only primary refs
    assert pj.metadata.labels[L.IS_OPTIONAL] == "true"
    assert pj.metadata.labels["team"] == "infra"
    assert pj.metadata.labels["extra"] == "yes"
    assert pj.metadata.annotations["owner"] == "infra"


def test_undecorated_presubmit_has_no_decoration(config: Config) -> None:
    pj = _new_presubmit(config, "pull-undecorated")
    assert pj.spec.decoration_config is None
    assert pj.spec.refs is not None
    assert pj.spec.refs.blobless_fetch is None
    assert pj.spec.rerun_command == "/test undecorated"


def test_postsubmit(config: Config) -> None:
    pj = _new_postsubmit(config)
    assert pj.spec.type is ProwJobType.POSTSUBMIT
    assert pj.spec.context == POSTSUBMIT
    assert pj.spec.report is True
    assert pj.spec.rerun_command is None
    assert pj.spec.max_concurrency == 1
    assert pj.spec.cluster == "gardener-prow-trusted"
    assert pj.spec.refs == _push_refs()
    assert pj.metadata.labels == {
        L.CREATED_BY_PROW: "true",
        L.JOB_TYPE: "postsubmit",
        L.JOB: POSTSUBMIT,
        L.CONTEXT: POSTSUBMIT,
        L.ORG: "gardener",
        L.REPO: "gardener",
        L.BASE_REF: "master",
        L.EVENT_GUID: "9a8b7c6d-0000-11ef-8000-000000000001",
    }


def test_periodic_with_extra_refs(config: Config) -> None:
    pj = _new_periodic(config)
    assert pj.spec.type is ProwJobType.PERIODIC
    assert pj.spec.report is True
    assert pj.spec.refs is None
    assert pj.spec.context is None
    assert pj.spec.extra_refs == [Refs(org="gardener", repo="gardener", base_ref="master")]
    job_label = "ci-gardener-e2e-kind-gardenadm-unmanaged-infra-external-gardene"
    assert pj.metadata.labels == {
        L.CREATED_BY_PROW: "true",
        L.JOB_TYPE: "periodic",
        L.JOB: job_label,
        L.CONTEXT: "",
        L.ORG: "gardener",
        L.REPO: "gardener",
        L.BASE_REF: "master",
        "preset-dind-enabled": "true",
        "preset-kind-volume-mounts": "true",
        "preset-gocache-mounts": "true",
    }
    assert pj.metadata.annotations[L.JOB] == PERIODIC
    assert pj.metadata.annotations[L.CONTEXT] == ""


def test_batch(config: Config) -> None:
    pj = _new_batch(config)
    assert pj.spec.type is ProwJobType.BATCH
    assert pj.spec.context == E2E
    assert pj.spec.report is None  # Prow's BatchSpec does not set it
    assert pj.spec.rerun_command is None
    assert pj.spec.refs is not None
    assert [p.number for p in pj.spec.refs.pulls or []] == [12345, 12346]
    assert pj.metadata.labels[L.PULL] == "12345"
    assert pj.metadata.labels[L.JOB_TYPE] == "batch"


@pytest.mark.parametrize(
    ("user", "description"),
    [(None, "Successfully reran {}."), ("alice", "alice successfully reran {}.")],
    ids=["anonymous", "user"],
)
def test_rerun(config: Config, user: str | None, description: str) -> None:
    old = _new_presubmit(config, E2E)
    old.status.state = ProwJobState.FAILURE
    old.status.build_id = "1790000000000000006"
    later = NOW + timedelta(hours=1)
    new = pjutil.rerun(old, now=later, user=user)
    assert new.metadata.name != old.metadata.name
    assert new.metadata.namespace == old.metadata.namespace
    assert new.spec == old.spec
    assert new.metadata.labels == old.metadata.labels
    assert new.metadata.annotations == old.metadata.annotations
    assert new.status.state is ProwJobState.TRIGGERED
    assert new.status.start_time == later
    assert new.status.build_id is None
    assert new.status.description == description.format(old.metadata.name)


def test_rerun_latest_keeps_component_labels_only(config: Config) -> None:
    old = _new_presubmit(config, E2E)
    old.metadata.labels["added-by-hand"] = "x"
    job = _presubmit(config, E2E)
    new = pjutil.rerun_latest(
        old, pjutil.presubmit_spec(job, _pr_refs()), job.labels, job.annotations, now=NOW
    )
    assert new.metadata.labels[L.EVENT_GUID] == _GUID
    assert "added-by-hand" not in new.metadata.labels
    assert L.IS_OPTIONAL not in new.metadata.labels
    assert new.metadata.labels["preset-dind-enabled"] == "true"


def test_new_prowjob_names_are_fresh_uuids(config: Config) -> None:
    names = {_new_periodic(config).metadata.name for _ in range(20)}
    assert len(names) == 20
    uuid4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(uuid4.fullmatch(name) for name in names)


def test_new_prowjob_options(config: Config) -> None:
    spec = pjutil.periodic_spec(_job(config, PERIODIC))  # type: ignore[arg-type]
    pj = pjutil.new_prowjob(
        spec, now=NOW, namespace="prow", name="fixed-name", require_scheduling=True
    )
    assert pj.metadata.name == "fixed-name"
    assert pj.status.state is ProwJobState.SCHEDULING
    assert spec.job == PERIODIC  # the spec passed in is not changed


@pytest.mark.parametrize(
    ("slack", "report"),
    [
        ({"channel": "#ci"}, True),
        ({"channel": "#ci", "job_states_to_report": []}, False),
        ({"channel": "#ci", "job_states_to_report": ["failure"]}, True),
        ({"channel": "#ci", "job_states_to_report": [], "report": True}, True),
        ({"channel": "#ci", "report": False}, False),
    ],
    ids=["unset", "empty-states", "some-states", "explicit-true", "explicit-false"],
)
def test_slack_report_default(config: Config, slack: dict[str, Any], report: bool) -> None:
    spec = pjutil.periodic_spec(_job(config, PERIODIC))  # type: ignore[arg-type]
    spec.reporter_config = ReporterConfig.model_validate({"slack": slack})
    pj = pjutil.new_prowjob(spec, now=NOW, namespace="prow")
    assert pj.spec.reporter_config is not None
    assert pj.spec.reporter_config.slack is not None
    assert pj.spec.reporter_config.slack.report is report


def test_pod_namespace_fills_a_job_built_without_the_loader() -> None:
    job = Periodic.model_validate({"name": "ci-x", "interval": "1h", "spec": {"containers": []}})
    assert pjutil.periodic_spec(job, pod_namespace="test-pods").namespace == "test-pods"
    assert pjutil.periodic_spec(job).namespace is None


def test_pull_request_refs_links() -> None:
    refs = _pr_refs()
    assert refs.base_link == (
        "https://github.com/gardener/gardener/commit/4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    )
    assert refs.pulls is not None
    pull = refs.pulls[0]
    assert pull.link == "https://github.com/gardener/gardener/pull/12345"
    assert pull.commit_link == (
        "https://github.com/gardener/gardener/pull/12345/commits/"
        "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
    )
    assert pull.author_link == "https://github.com/alice"


def _snowflake_ms(build_id: str) -> int:
    return (int(build_id) >> 22) + pjutil.SNOWFLAKE_EPOCH_MS


def test_build_ids_encode_time_and_node() -> None:
    gen = pjutil.BuildIDGenerator(node=1)
    build_id = gen.next(NOW)
    assert len(build_id) == 19
    assert _snowflake_ms(build_id) == int(NOW.timestamp() * 1000)
    assert (int(build_id) >> 12) & 0x3FF == 1


@pytest.mark.parametrize(
    "times",
    [
        [NOW] * 5,
        [NOW, NOW - timedelta(seconds=5), NOW - timedelta(hours=1)],
        [NOW, NOW + timedelta(milliseconds=1), NOW + timedelta(seconds=1)],
        [NOW] * 5000,
    ],
    ids=["same-instant", "clock-backwards", "forwards", "sequence-wraps"],
)
def test_build_ids_strictly_increase(times: list[datetime]) -> None:
    gen = pjutil.BuildIDGenerator()
    ids = [gen.next(t) for t in times]
    assert all(int(a) < int(b) for a, b in itertools.pairwise(ids))
    assert ids == sorted(ids)  # same length, so they sort as text too


def test_build_id_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="node"):
        pjutil.BuildIDGenerator(node=1024)
    with pytest.raises(ValueError, match="before 2010"):
        pjutil.BuildIDGenerator().next(datetime(2000, 1, 1, tzinfo=UTC))


def test_new_build_id_increases() -> None:
    first = pjutil.new_build_id(NOW)
    assert int(pjutil.new_build_id(NOW)) > int(first)

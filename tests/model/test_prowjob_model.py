"""The ProwJob model reads and writes real ProwJob objects without losing anything."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.model import ProwJob, ProwJobSpec, ProwJobState, ProwJobType

FIXTURE = Path(__file__).parents[2] / "fixtures" / "prowjobs" / "unknown-fields.yaml"


@pytest.fixture
def wire() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(FIXTURE.read_text())
    return data


def test_json_round_trip_keeps_unknown_fields(wire: dict[str, Any]) -> None:
    pj = ProwJob.from_json(json.dumps(wire))
    assert json.loads(pj.to_json()) == wire


def test_yaml_round_trip_keeps_unknown_fields(wire: dict[str, Any]) -> None:
    pj = ProwJob.from_wire(wire)
    assert yaml.safe_load(yaml.safe_dump(pj.to_wire())) == wire


def test_modify_keeps_unknown_fields(wire: dict[str, Any]) -> None:
    pj = ProwJob.from_wire(wire)
    pj.status.state = ProwJobState.FAILURE
    pj.metadata.labels["extra"] = "yes"
    out = pj.to_wire()
    assert out["status"]["state"] == "failure"
    assert out["metadata"]["labels"]["extra"] == "yes"
    for path in (
        ("futureTopLevel",),
        ("metadata", "managedFields"),
        ("spec", "futureSpecField"),
        ("spec", "refs", "futureRefsField"),
        ("spec", "refs", "pulls", 0, "futurePullField"),
        ("spec", "extra_refs", 0, "futureExtraRefsField"),
        ("spec", "decoration_config", "futureDecorationField"),
        ("spec", "decoration_config", "utility_images", "futureImage"),
        ("spec", "decoration_config", "gcs_configuration", "futureGCSField"),
        ("spec", "decoration_config", "censoring_options", "futureCensoringField"),
        ("spec", "reporter_config", "slack", "futureSlackField"),
        ("status", "futureStatusField"),
    ):
        assert _get(out, path) == _get(wire, path), path


def _get(data: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def test_known_fields_are_typed(wire: dict[str, Any]) -> None:
    pj = ProwJob.from_wire(wire)
    assert pj.spec.type is ProwJobType.PRESUBMIT
    assert pj.status.start_time == datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert pj.spec.decoration_config is not None
    assert pj.spec.decoration_config.timeout is not None
    assert pj.spec.decoration_config.timeout.total_seconds() == 7200
    assert pj.spec.refs is not None
    assert str(pj.spec.refs) == "master:4b825dc642cb,1:9f8e7d"
    assert pj.spec.extra_refs is not None
    assert pj.spec.extra_refs[0].auxiliary is True
    assert pj.status.pod_revival_count == 1
    assert pj.complete


def test_empty_fields_are_omitted_on_the_wire() -> None:
    pj = ProwJob(spec=ProwJobSpec(type=ProwJobType.PERIODIC, job="j"))
    assert pj.to_wire() == {
        "apiVersion": "prow.k8s.io/v1",
        "kind": "ProwJob",
        "metadata": {"name": "", "labels": {}, "annotations": {}},
        "spec": {"type": "periodic", "job": "j"},
        "status": {"state": "triggered"},
    }


@pytest.mark.parametrize(
    ("state", "final"),
    [
        (ProwJobState.SCHEDULING, False),
        (ProwJobState.TRIGGERED, False),
        (ProwJobState.PENDING, False),
        (ProwJobState.SUCCESS, True),
        (ProwJobState.FAILURE, True),
        (ProwJobState.ABORTED, True),
        (ProwJobState.ERROR, True),
    ],
    ids=lambda v: str(v),
)
def test_final_states(state: ProwJobState, final: bool) -> None:
    assert state.is_final is final


def test_states_and_types_are_prows() -> None:
    assert [s.value for s in ProwJobState] == [
        "scheduling",
        "triggered",
        "pending",
        "success",
        "failure",
        "aborted",
        "error",
    ]
    assert [t.value for t in ProwJobType] == ["presubmit", "postsubmit", "periodic", "batch"]


@pytest.mark.parametrize(
    ("cluster", "alias"),
    [(None, "default"), ("", "default"), ("build-eu", "build-eu")],
    ids=["unset", "empty", "named"],
)
def test_cluster_alias(cluster: str | None, alias: str) -> None:
    spec = ProwJobSpec(type=ProwJobType.PERIODIC, job="j", cluster=cluster)
    assert spec.cluster_alias == alias

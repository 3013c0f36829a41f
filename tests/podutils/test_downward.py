"""podutils/downward.py: what the kubelet tells a local pod about itself.

fieldRef values against pkg/fieldpath/fieldpath_test.go
(fixtures/podutils/local/fieldpath_test.yaml) and resourceFieldRef values against
pkg/api/v1/resource/helpers_test.go and pkg/api/resource/helpers_test.go
(fixtures/podutils/local/helpers_test.yaml)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from local_tables import params, table

from minprow.podutils.downward import FieldError, HostFacts, PodFacts, field_value, resource_value

FIELDS = table("fieldpath_test.yaml")
RESOURCES = table("helpers_test.yaml")


FIELD_TABLES = [
    "extract_field_path_as_string",
    "split_maybe_subscripted_path",
    "format_map",
    "go_quote",
    "kubelet",
]


@pytest.mark.parametrize("row", [p for table in FIELD_TABLES for p in params(FIELDS[table])])
def test_field_values(row: dict[str, Any]) -> None:
    pod = PodFacts(**{**FIELDS["defaults"], **row.get("pod", {})})
    host = HostFacts(**FIELDS["host"])
    volume = bool(row.get("volume"))
    if row.get("error"):
        with pytest.raises(FieldError):
            field_value(row["path"], pod, host, volume=volume)
    else:
        assert field_value(row["path"], pod, host, volume=volume) == row["expected"]


def test_a_pods_uid_is_a_uuid_stable_for_its_name() -> None:
    host = HostFacts(**FIELDS["host"])
    uids = [
        field_value("metadata.uid", PodFacts(name, "test-pods"), host)
        for name in ("job-a", "job-a", "job-b")
    ]
    assert [str(uuid.UUID(u)) for u in uids] == uids
    assert (uids[0] == uids[1], uids[0] == uids[2]) == (True, False)


def _resource_rows() -> list[Any]:
    container = RESOURCES["extract_container_resource_value"]
    rows = [
        *RESOURCES["extract_resource_value"],
        *({**case, "resources": container["resources"]} for case in container["cases"]),
        *RESOURCES["defaults"],
    ]
    return params(rows)


@pytest.mark.parametrize("row", _resource_rows())
def test_resource_values(row: dict[str, Any]) -> None:
    host = HostFacts(**RESOURCES["host"])
    if "error" in row:
        with pytest.raises(FieldError, match=row["error"]):
            resource_value(row["ref"], row["resources"], host)
    else:
        assert resource_value(row["ref"], row["resources"], host) == row["expected"]

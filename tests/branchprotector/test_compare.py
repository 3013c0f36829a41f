"""Whether GitHub's protection is what a request asks (minprow/branchprotector/compare.py).

Prow's TestEqualBranchProtection, TestEqualSeparateRequests, TestEqualStatusChecks,
TestEqualStringSlices, TestEqualAdminEnforcement, TestEqualRequiredPullRequestReviews,
TestEqualDismissalRestrictions, TestEqualBypassRestrictions and TestEqualRestrictions,
from fixtures/branchprotector/equality.yaml. The states are read as GitHub answers
them, the requests as minprow sends them; the private helpers are called where
only they are what a Go function of the table is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from minprow.branchprotector import compare
from minprow.github.protection import (
    BranchProtection,
    BranchProtectionRequest,
    BypassRestrictions,
    BypassRestrictionsRequest,
    DismissalRestrictions,
    DismissalRestrictionsRequest,
    Enabled,
    RequiredPullRequestReviews,
    RequiredPullRequestReviewsRequest,
    RequiredStatusChecks,
    Restrictions,
    RestrictionsRequest,
)

TABLE = yaml.safe_load(
    (
        Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector" / "equality.yaml"
    ).read_text()
)


def _read(kind: type[BaseModel], data: Any) -> Any:
    return None if data is None else kind.model_validate(data)


def _rows(section: str) -> list[Any]:
    return [pytest.param(row, id=row["name"]) for row in TABLE[section]]


PAIRS: list[tuple[str, type[BaseModel], type[BaseModel], Callable[[Any, Any], bool]]] = [
    ("protection", BranchProtection, BranchProtectionRequest, compare.equal_protection),
    ("status_checks", RequiredStatusChecks, RequiredStatusChecks, compare._equal_checks),
    (
        "reviews",
        RequiredPullRequestReviews,
        RequiredPullRequestReviewsRequest,
        compare._equal_reviews,
    ),
    ("people", DismissalRestrictions, DismissalRestrictionsRequest, compare._equal_people),
    ("people", BypassRestrictions, BypassRestrictionsRequest, compare._equal_people),
    ("restrictions", Restrictions, RestrictionsRequest, compare._equal_restrictions),
]


@pytest.mark.parametrize(
    ("row", "state_kind", "request_kind", "equal"),
    [
        pytest.param(row, state, request, equal, id=f"{state.__name__}: {row['name']}")
        for section, state, request, equal in PAIRS
        for row in TABLE[section]
    ],
)
def test_equal(
    row: dict[str, Any],
    state_kind: type[BaseModel],
    request_kind: type[BaseModel],
    equal: Callable[[Any, Any], bool],
) -> None:
    assert (
        equal(_read(state_kind, row["state"]), _read(request_kind, row["request"]))
        is row["expected"]
    )


@pytest.mark.parametrize("row", _rows("signatures"))
def test_equal_signatures(row: dict[str, Any]) -> None:
    state = _read(BranchProtection, row["state"])
    assert compare.equal_signatures(state, row["signed"]) is row["expected"]


@pytest.mark.parametrize("row", _rows("string_slices"))
def test_equal_string_slices(row: dict[str, Any]) -> None:
    assert compare._same(row["state"], row["request"]) is row["expected"]


@pytest.mark.parametrize("row", _rows("admins"))
def test_equal_admin_enforcement(row: dict[str, Any]) -> None:
    state = BranchProtection(enforce_admins=Enabled(enabled=row["state"]))
    request = BranchProtectionRequest(enforce_admins=row["request"])
    assert compare.equal_protection(state, request) is row["expected"]

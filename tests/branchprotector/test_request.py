"""A policy as GitHub's branch protection request (minprow/branchprotector/request.py).

Prow's TestMakeRequest, TestMakeReviews and TestMakeBool (request_test.go), from
fixtures/branchprotector/request.yaml, compared as the JSON body GitHub gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.branchprotector.request import make_request
from minprow.config.branch_protection import Policy

TABLE = yaml.safe_load(
    (
        Path(__file__).resolve().parents[2] / "fixtures" / "branchprotector" / "request.yaml"
    ).read_text()
)
EMPTY = {
    "required_status_checks": None,
    "enforce_admins": False,
    "required_pull_request_reviews": None,
    "restrictions": None,
    "required_linear_history": False,
    "allow_force_pushes": False,
    "allow_deletions": False,
}
REVIEWS_UNSET = {
    "dismissal_restrictions": {},
    "dismiss_stale_reviews": False,
    "require_code_owner_reviews": False,
    "bypass_pull_request_allowances": {},
}


@pytest.mark.parametrize(
    "case", TABLE["make_request"], ids=[c["name"] for c in TABLE["make_request"]]
)
def test_make_request(case: dict[str, Any]) -> None:
    request = make_request(Policy.model_validate(case["policy"]), case.get("apps", True))
    assert request.to_json() == {**EMPTY, **case["body"]}


@pytest.mark.parametrize(
    "case", TABLE["make_reviews"], ids=[c["name"] for c in TABLE["make_reviews"]]
)
def test_make_reviews(case: dict[str, Any]) -> None:
    policy = Policy.model_validate({"required_pull_request_reviews": case["reviews"]})
    body = make_request(policy).to_json()["required_pull_request_reviews"]
    expected = None if case["body"] is None else {**REVIEWS_UNSET, **case["body"]}
    assert body == expected


@pytest.mark.parametrize(("value", "sent"), TABLE["make_bool"], ids=["unset", "false", "true"])
def test_unset_yes_no_settings_are_sent_as_false(value: bool | None, sent: bool) -> None:
    fields = ("required_linear_history", "allow_force_pushes", "allow_deletions", "enforce_admins")
    body = make_request(Policy.model_validate(dict.fromkeys(fields, value))).to_json()
    assert [body[f] for f in fields] == [sent] * len(fields)

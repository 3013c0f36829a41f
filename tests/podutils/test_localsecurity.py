"""podutils/localsecurity.py: a pod's and a container's securityContext merged
and turned into engine options and notes
(fixtures/podutils/local/localsecurity.yaml)."""

from __future__ import annotations

from typing import Any

import pytest
from local_tables import table

from minprow.podutils.localsecurity import LocalSecurity, local_security

CASES = table("localsecurity.yaml")["cases"]
TUPLES = ("cap_add", "cap_drop", "groups", "security_opt")
"""LocalSecurity fields a YAML list stands for."""


def _expected(values: dict[str, Any]) -> tuple[LocalSecurity, str | None]:
    """The LocalSecurity a row describes, and the engine user it gives."""
    values = dict(values)
    docker_user = values.pop("docker_user", None)
    for name in TUPLES:
        if name in values:
            values[name] = tuple(values[name])
    return LocalSecurity(**values), docker_user


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_security_contexts(case: dict[str, Any]) -> None:
    notes: list[str] = []
    security = local_security("test", case.get("pod") or {}, case.get("container") or {}, notes)
    expected, docker_user = _expected(case["expected"])
    assert (security, security.docker_user) == (expected, docker_user)
    assert notes == (case.get("notes") or [])

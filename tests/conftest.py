"""Fixtures shared across the suite: where the repository and shared/ are, and
Prow's ProwJob schema that every ProwJob minprow writes must satisfy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CRD = SHARED / "prow" / "prowjob_customresourcedefinition.yaml"


@pytest.fixture(scope="session")
def crd_schema() -> dict[str, Any]:
    """The `openAPIV3Schema` of Prow's ProwJob CRD (shared/prow), or a skip saying why not."""
    if not CRD.is_file():
        pytest.skip(f"Prow's ProwJob CRD not found at {CRD} (the shared reference data)")
    crd = yaml.safe_load(CRD.read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema

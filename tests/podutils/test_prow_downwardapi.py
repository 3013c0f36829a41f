"""Prow's pkg/pod-utils/downwardapi tests (jobspec_test.go), their tables in
fixtures/podutils/prow/downwardapi, checked against `podutils.jobspec`:
`EnvForSpec` is `JobSpec.env` (the whole environment, `JOB_SPEC` byte for
byte) and `GetRevisionFromSpec` is `revision`.

Prow's JobSpec carries the job's agent in an unexported field; minprow's gets
it from the ProwJob spec, so each case is built through `JobSpec.from_spec`
(Prow's `NewJobSpec`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.model import ProwJobSpec, Refs
from minprow.podutils.jobspec import JobSpec, revision

TABLES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parents[2] / "fixtures/podutils/prow/downwardapi/jobspec_test.yaml").read_text()
)
ENV = TABLES["TestEnvironmentForSpec"]
REVISION = TABLES["TestGetRevisionFromSpec"]


@pytest.mark.parametrize("case", list(ENV), ids=list(ENV))
def test_environment_for_spec(case: str) -> None:
    fields = dict(ENV[case]["spec"])
    build_id, prowjob_id = fields.pop("buildid"), fields.pop("prowjobid")
    spec = JobSpec.from_spec(ProwJobSpec.model_validate(fields), build_id, prowjob_id)
    assert spec.env() == ENV[case]["expected"]


@pytest.mark.parametrize("case", list(REVISION), ids=list(REVISION))
def test_get_revision_from_spec(case: str) -> None:
    table = REVISION[case]
    refs = Refs.model_validate(table["refs"]) if "refs" in table else None
    extra = [Refs.model_validate(r) for r in table.get("extra_refs", [])]
    assert revision(refs, extra or None) == table["expected"]

"""The job's environment and JOB_SPEC, compared with what Prow gives a job.

Each fixture in fixtures/prowjobs/env/ holds a ProwJob and the variables Prow's
`EnvForSpec` sets for it (JOB_SPEC byte for byte as Go's json.Marshal writes it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.model import ProwJob, ProwJobType, Pull, Refs
from minprow.model.jobenv import env_names_for_type
from minprow.podutils import JobSpec, JobSpecError, env_for, job_spec_json
from minprow.podutils.jobspec import (
    resolve_spec_from_env,
    revision,
    src_host_and_base,
)

ENV_FIXTURES = Path(__file__).parents[2] / "fixtures" / "prowjobs" / "env"
CASES = sorted(ENV_FIXTURES.glob("*.yaml"))


def _load(path: Path) -> tuple[ProwJob, dict[str, str]]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return ProwJob.from_wire(data["prowjob"]), data["env"]


def test_every_job_type_has_a_case() -> None:
    types = {_load(path)[0].spec.type for path in CASES}
    assert types == set(ProwJobType)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_env_is_prows(path: Path) -> None:
    pj, expected = _load(path)
    assert env_for(pj) == expected


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_env_names_are_those_of_the_type(path: Path) -> None:
    pj, expected = _load(path)
    assert set(expected) <= set(env_names_for_type(pj.spec.type))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_job_spec_round_trips(path: Path) -> None:
    pj, expected = _load(path)
    text = job_spec_json(pj)
    read = JobSpec.from_json(text)
    assert text == expected["JOB_SPEC"]
    # Reading it back loses only Go's zero values, so it writes the same text.
    assert read.to_json() == text
    assert read.job == pj.spec.job
    assert read.prowjobid == pj.metadata.name
    assert resolve_spec_from_env(expected) == read


def test_job_spec_ignores_unknown_fields() -> None:
    read = JobSpec.from_json('{"type":"periodic","job":"j","trigger_comment":{"id":1}}')
    assert read.to_json() == '{"type":"periodic","job":"j"}'


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "$JOB_SPEC unset"),
        ({"JOB_SPEC": "{not json"}, "malformed $JOB_SPEC"),
        ({"JOB_SPEC": '{"type":"nightly"}'}, "malformed $JOB_SPEC"),
    ],
    ids=["unset", "not-json", "unknown-type"],
)
def test_resolve_spec_from_env_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(JobSpecError, match=message.replace("$", r"\$")):
        resolve_spec_from_env(environ)


_REFS = Refs(org="o", repo="r", base_ref="main", base_sha="b")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (JobSpec(type=ProwJobType.POSTSUBMIT, job="post"), "postsubmit job 'post' has no refs"),
        (JobSpec(type=ProwJobType.PRESUBMIT, job="pull", refs=_REFS), "without a pull request"),
    ],
    ids=["postsubmit-without-refs", "presubmit-without-pull"],
)
def test_env_of_incomplete_spec_is_an_error(spec: JobSpec, message: str) -> None:
    with pytest.raises(JobSpecError, match=message):
        spec.env()


@pytest.mark.parametrize(
    ("refs", "host", "base"),
    [
        (Refs(org="o", repo="r"), "github.com", "o/r"),
        (Refs(org="o", repo="r", path_alias="k8s.io/kubernetes"), "k8s.io", "kubernetes"),
        (Refs(org="o", repo="r", path_alias="sigs.k8s.io/a/b"), "sigs.k8s.io", "a/b"),
        (Refs(org="o", repo="r", path_alias="vanity.dev"), "vanity.dev", "o/r"),
        (Refs(org="o", repo="r", repo_link="https://gitlab.com/g/p"), "gitlab.com", "g/p"),
        (Refs(org="o", repo="r", repo_link="gerrit.example.com"), "gerrit.example.com", "o/r"),
        (
            Refs(org="o", repo="r", path_alias="k8s.io/x", repo_link="https://gitlab.com/g/p"),
            "k8s.io",
            "x",
        ),
    ],
    ids=[
        "default",
        "path-alias",
        "path-alias-nested",
        "path-alias-host-only",
        "repo-link",
        "repo-link-no-scheme-no-path",
        "path-alias-wins",
    ],
)
def test_src_host_and_base(refs: Refs, host: str, base: str) -> None:
    assert src_host_and_base(refs) == (host, base)


_PULL = Pull(number=1, author="a", sha="pullsha")


@pytest.mark.parametrize(
    ("refs", "extra_refs", "expected"),
    [
        (Refs(org="o", repo="r", base_ref="main", base_sha="b", pulls=[_PULL]), None, "pullsha"),
        (Refs(org="o", repo="r", base_ref="main", base_sha="b"), None, "b"),
        (Refs(org="o", repo="r", base_ref="main"), None, "main"),
        (None, [Refs(org="o", repo="r", base_ref="main")], "main"),
        (
            None,
            [
                Refs(org="o", repo="aux", base_ref="master", auxiliary=True),
                Refs(org="o", repo="r", base_ref="main"),
            ],
            "main",
        ),
        (None, None, ""),
    ],
    ids=["pull", "base-sha", "base-ref", "extra-ref", "skips-auxiliary", "none"],
)
def test_revision(refs: Refs | None, extra_refs: list[Refs] | None, expected: str) -> None:
    assert revision(refs, extra_refs) == expected

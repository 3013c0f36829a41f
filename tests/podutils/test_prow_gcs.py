"""Prow's artifact paths, from its own tests: pkg/pod-utils/gcs/target_test.go
and the path cases of pkg/gcsupload/run_test.go, their tables in
fixtures/podutils/prow/gcs, checked against `podutils.gcspaths`.

| Prow | minprow |
| --- | --- |
| `PathForSpec`, `AliasForSpec`, `LatestBuildForSpec`, `RootForSpec` | `path_for_spec`, `alias_for_spec`, `latest_build_for_spec`, `root_for_spec` |
| `NewLegacyRepoPathBuilder`, `NewSingleDefaultRepoPathBuilder`, `NewExplicitRepoPathBuilder` | `legacy_builder`, `single_builder`, `explicit_builder` |
| `builderForStrategy` (gcsupload) | `builder_for` |
| `PathsForJob` and the markers `assembleTargets` adds | `path_for_job`, `alias_for_spec` + `latest_build_for_spec` |

A nil builder in Go is `None` here where minprow takes one
(`latest_build_for_spec`); `path_for_spec` takes a builder always, and gets one
that fails the test if called, as calling Go's nil builder would panic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.model import GCSConfiguration
from minprow.podutils.gcspaths import (
    RepoPathBuilder,
    alias_for_spec,
    builder_for,
    explicit_builder,
    latest_build_for_spec,
    legacy_builder,
    path_for_job,
    path_for_spec,
    root_for_spec,
    single_builder,
)
from minprow.podutils.jobspec import JobSpec

TABLES: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parents[2] / "fixtures/podutils/prow/gcs/target_test.yaml").read_text()
)


def _table(name: str) -> Any:
    table = TABLES[name]
    return pytest.mark.parametrize("case", list(table.values()), ids=list(table))


def _nil(org: str, repo: str) -> str:
    raise AssertionError(f"the nil builder was called for {org}/{repo}")


def _builder(data: dict[str, str] | None) -> RepoPathBuilder | None:
    if data is None:
        return None
    makers = {"legacy": legacy_builder, "single": single_builder}
    if data["strategy"] == "explicit":
        return explicit_builder()
    return makers[data["strategy"]](data["default_org"], data["default_repo"])


@_table("TestPathForSpec")
def test_path_for_spec(case: dict[str, Any]) -> None:
    builder = _builder(case["builder"]) or _nil
    assert path_for_spec(JobSpec.model_validate(case["spec"]), builder) == case["expected"]


@_table("TestAliasForSpec")
def test_alias_for_spec(case: dict[str, Any]) -> None:
    assert alias_for_spec(JobSpec.model_validate(case["spec"])) == case["expected"]


@_table("TestLatestBuildForSpec")
def test_latest_build_for_spec(case: dict[str, Any]) -> None:
    spec = JobSpec.model_validate(case["spec"])
    assert latest_build_for_spec(spec, _builder(case["builder"])) == case["expected"]


@_table("TestRootForSpec")
def test_root_for_spec(case: dict[str, Any]) -> None:
    assert root_for_spec(JobSpec.model_validate(case["spec"])) == case["expected"]


@_table("TestNewLegacyRepoPathBuilder")
def test_legacy_builder(case: dict[str, str]) -> None:
    build = legacy_builder(case["default_org"], case["default_repo"])
    assert build(case["org"], case["repo"]) == case["expected"]


@_table("TestNewSingleDefaultRepoPathBuilder")
def test_single_builder(case: dict[str, str]) -> None:
    build = single_builder(case["default_org"], case["default_repo"])
    assert build(case["org"], case["repo"]) == case["expected"]


@_table("TestNewExplicitRepoPathBuilder")
def test_explicit_builder(case: dict[str, str]) -> None:
    assert explicit_builder()(case["org"], case["repo"]) == case["expected"]


@_table("TestBuilderForStrategy")
def test_builder_for_strategy(case: dict[str, Any]) -> None:
    gcs = GCSConfiguration.model_validate(
        {
            "path_strategy": case["strategy"],
            "default_org": case.get("default_org", ""),
            "default_repo": case.get("default_repo", ""),
        }
    )
    build = builder_for(gcs)
    assert [build(org, repo) for org, repo, _ in case["samples"]] == [
        want for _, _, want in case["samples"]
    ]


@_table("TestOptions_AssembleTargets")
def test_paths_for_job(case: dict[str, Any]) -> None:
    spec = JobSpec.model_validate(
        {
            "type": case["type"],
            "job": "job",
            "buildid": "build",
            "refs": {
                "org": "org",
                "repo": "repo",
                "pulls": [{"number": 1, "author": "", "sha": ""}],
            },
        }
    )
    gcs = GCSConfiguration(path_strategy="explicit", bucket="bucket")
    alias = alias_for_spec(spec)
    infra = [*([alias] if alias else []), *latest_build_for_spec(spec, builder_for(gcs))]
    assert sorted(infra) == sorted(case["infra"])
    if "job_dir" in case:
        assert path_for_job(spec, gcs) == case["job_dir"]

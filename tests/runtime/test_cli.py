"""The CLI as a user runs it: real subprocesses, real config files, a real store."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml
from corpora import Corpus, corpora

# The `minprow` fixture (tests/runtime/conftest.py) runs the CLI in a subprocess.
RunMinprow = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "gardener-ci-infra" / "config"
CORPORA = corpora()


@pytest.fixture(scope="module")
def corpus() -> Path:
    if not (CORPUS / "prow" / "config.yaml").is_file():
        pytest.skip(f"the shared corpus is not next to the repo ({CORPUS})")
    return CORPUS


@pytest.mark.parametrize("strict", [[], ["--strict"]], ids=["lenient", "strict"])
@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_check_config_accepts_every_real_corpus_with_its_counts(
    minprow: RunMinprow, corpus: Corpus, strict: list[str]
) -> None:
    result = minprow(
        "check-config",
        "--config-path",
        corpus.config,
        "--job-config-path",
        corpus.jobs,
        "--plugin-config",
        corpus.plugins,
        *strict,
    )
    assert result.returncode == 0, result.stderr
    assert (
        f"{corpus.presubmits} presubmits, {corpus.postsubmits} postsubmits, "
        f"{corpus.periodics} periodics, {corpus.repos} repos"
    ) in result.stdout
    assert "not implemented by minprow (loaded, not acted on): " in result.stderr
    assert "Traceback" not in result.stderr


def test_mkpj_of_a_first_config_without_decoration_defaults(
    minprow: RunMinprow, crd_schema: dict[str, object]
) -> None:
    first = Path("fixtures") / "config" / "first-config"
    result = minprow(
        "mkpj",
        "--job",
        "pull-project-unit",
        "--config-path",
        first / "config.yaml",
        "--job-config-path",
        first / "jobs",
        *PULL,
    )
    assert result.returncode == 0, result.stderr
    pj = yaml.safe_load(result.stdout)
    jsonschema.validate(pj, crd_schema)
    decoration = pj["spec"]["decoration_config"]
    assert set(decoration["utility_images"].values()) == {"minprow:0.1.0"}
    assert decoration["gcs_configuration"] == {"path_strategy": "explicit"}


def test_check_config_lists_every_problem_and_fails(minprow: RunMinprow) -> None:
    bad = Path("fixtures") / "cli" / "bad-jobs"
    result = minprow("check-config", "--job-config-path", bad)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    file = str(bad / "broken.yaml")

    def reported(*fragments: str) -> bool:
        return any(all(f in line for f in (file, *fragments)) for line in lines)

    assert reported('"unit"', "run_if_changed")
    assert reported('"unit"', "duplicate")
    assert reported('"nightly"', "interval")
    assert lines[-1].startswith("config is invalid: ")


def test_check_config_on_a_missing_file_is_a_usage_error(minprow: RunMinprow) -> None:
    result = minprow("check-config", "--config-path", "no/such/config.yaml")
    assert result.returncode == 2
    assert "no/such/config.yaml" in result.stderr
    assert "Traceback" not in result.stderr


def test_this_repositorys_own_config_is_strictly_valid(minprow: RunMinprow) -> None:
    result = minprow(
        "check-config", "--strict", "--config-path", "config.yaml", "--job-config-path", "jobs"
    )
    assert result.returncode == 0, result.stderr
    assert "config is valid: 3 presubmits, 1 postsubmits, 1 periodics, 1 repos" in result.stdout


PULL = [
    "--base-ref",
    "main",
    "--base-sha",
    "0123456789abcdef0123456789abcdef01234567",
    "--pull-number",
    "7",
    "--pull-sha",
    "fedcba9876543210fedcba9876543210fedcba98",
    "--pull-author",
    "alice",
]
BASE = PULL[:4]


@pytest.mark.parametrize(
    ("job", "flags", "kind"),
    [
        ("pull-minprow-check", PULL, "presubmit"),
        ("post-minprow-check", BASE, "postsubmit"),
        ("periodic-minprow-hello", [], "periodic"),
    ],
    ids=["presubmit", "postsubmit", "periodic"],
)
def test_mkpj_prints_a_prowjob_that_validates_against_prows_crd(
    minprow: RunMinprow, job: str, flags: list[str], kind: str, crd_schema: dict[str, object]
) -> None:
    result = minprow(
        "mkpj", "--job", job, "--config-path", "config.yaml", "--job-config-path", "jobs", *flags
    )
    assert result.returncode == 0, result.stderr
    pj = yaml.safe_load(result.stdout)
    jsonschema.validate(pj, crd_schema)
    assert pj["spec"]["job"] == job
    assert pj["spec"]["type"] == kind
    assert pj["status"]["state"] == "triggered"
    assert pj["metadata"]["labels"]["prow.k8s.io/job"] == job
    if kind == "presubmit":
        assert pj["spec"]["refs"]["pulls"] == [
            {"number": 7, "author": "alice", "sha": "fedcba9876543210fedcba9876543210fedcba98"}
        ]
        assert pj["metadata"]["labels"]["prow.k8s.io/refs.pull"] == "7"


def test_mkpj_on_the_corpus_truncates_long_job_names_in_labels(
    minprow: RunMinprow, corpus: Path, crd_schema: dict[str, object]
) -> None:
    # A renovate job merged from a YAML anchor, with a 64-character name.
    job = "pull-gardener-extension-shoot-oidc-service-check-renovate-config"
    result = minprow(
        "mkpj",
        "--job",
        job,
        "--config-path",
        corpus / "prow" / "config.yaml",
        "--job-config-path",
        corpus / "jobs",
        *PULL,
    )
    assert result.returncode == 0, result.stderr
    pj = yaml.safe_load(result.stdout)
    jsonschema.validate(pj, crd_schema)
    assert pj["metadata"]["annotations"]["prow.k8s.io/job"] == job
    assert len(pj["metadata"]["labels"]["prow.k8s.io/job"]) <= 63


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--job", "no-such-job"], "job 'no-such-job' not found"),
        (["--job", "pull-minprow-check"], "needs --base-ref, --base-sha, --pull-number"),
        (["--job", "post-minprow-check", "--base-ref", "main"], "needs --base-sha"),
    ],
    ids=["unknown-job", "presubmit-without-refs", "postsubmit-without-sha"],
)
def test_mkpj_errors_name_what_is_missing(
    minprow: RunMinprow, args: list[str], message: str
) -> None:
    result = minprow("mkpj", "--config-path", "config.yaml", "--job-config-path", "jobs", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_explain_on_this_repositorys_config(minprow: RunMinprow) -> None:
    result = minprow(
        "explain", "--repo", "minprow/minprow", "--pr", "7", "--base-ref", "main",
        "--changed-file", "config.yaml", "--config-path", "config.yaml",
        "--job-config-path", "jobs", "-o", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    verdicts = {row["job"]: row["details"]["verdict"] for row in json.loads(result.stdout)}
    assert verdicts == {
        "pull-minprow-hello": "RUN",
        "pull-minprow-check": "RUN",
        "pull-minprow-check-config": "RUN",
    }

"""`branch-protection` (minprow/config/branch_protection.py) against Prow's own tables.

Ported from pkg/config/branch_protection_test.go: TestApply, TestBranchRequirements,
TestConfig_GetBranchProtection, TestReposWithDisabledPolicy and
TestUnprotectedBranches, as YAML under fixtures/config/branch_protection/.
TestSelectBool, TestSelectInt and TestUnionStrings test Go helpers that `apply`
covers here; Prow's `merge` of supplemental configs is not ported (minprow reads
one config.yaml). Every case loads through `load_config` from a config.yaml
holding the section and the presubmits, so jobs are defaulted (a context is
its job's) as Prow's loading does. Then every corpus's section is walked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from corpora import Corpus, corpora

from minprow.config import Config, load_config
from minprow.config.branch_protection import (
    BranchProtectionError,
    Policy,
    branch_requirements,
    get_branch_protection,
    repos_with_disabled_policy,
    unprotected_branches,
)

CORPORA = corpora()
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "branch_protection"


def _table(name: str) -> Any:
    return yaml.safe_load((FIXTURES / name).read_text())


def _job(spec: dict[str, Any]) -> dict[str, Any]:
    """A presubmit of the tables as config.yaml writes it: named after its context."""
    job = {k: v for k, v in spec.items() if k != "context"}
    name = spec["context"].replace(" ", "-")
    return {
        "name": name,
        "context": spec["context"],
        "spec": {"containers": [{"image": "busybox", "command": ["true"]}]},
        **job,
    }


def _load(tmp_path: Path, section: Any, presubmits: dict[str, list[dict[str, Any]]]) -> Config:
    main: dict[str, Any] = {"branch-protection": section}
    if presubmits:
        main["presubmits"] = {
            repo: [_job(spec) for spec in jobs] for repo, jobs in presubmits.items()
        }
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(main))
    return load_config(path)


def _plain(policy: Policy | None) -> Any:
    """A policy as comparable data: unset left out, lists sorted, an empty list as unset
    (Go's nil and empty slices, which its test normalizes alike)."""
    if policy is None:
        return None

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            kept = {k: clean(v) for k, v in value.items()}
            return {k: v for k, v in kept.items() if v is not None}
        if isinstance(value, list):
            return sorted(value) or None
        return value

    return clean(policy.model_dump(exclude_none=True))


def _expected(data: Any) -> Any:
    return None if data is None else _plain(Policy.model_validate(data))


APPLY = _table("apply.yaml")


@pytest.mark.parametrize("case", APPLY, ids=[c["name"] for c in APPLY])
def test_apply(case: dict[str, Any]) -> None:
    parent = Policy.model_validate(case["parent"])
    child = Policy.model_validate(case["child"])
    assert _plain(parent.apply(child)) == _expected(case["expected"])


REQUIREMENTS = _table("requirements.yaml")


@pytest.mark.parametrize("case", REQUIREMENTS, ids=[c["name"] for c in REQUIREMENTS])
def test_branch_requirements(tmp_path: Path, case: dict[str, Any]) -> None:
    config = _load(tmp_path, {}, {"o/r": case["presubmits"]})
    jobs = config.presubmits_for("o", "r")
    for branch, key in (("master", "master"), ("other", "other")):
        required, if_present, optional = branch_requirements(
            branch, jobs, case["require_manually_triggered_jobs"]
        )
        expected = case[key]
        assert (required, if_present, optional) == (
            expected["required"],
            expected["if_present"],
            expected["optional"],
        ), branch


GET = _table("get_branch_protection.yaml")


@pytest.mark.parametrize("case", GET, ids=[c["name"] for c in GET])
def test_get_branch_protection(tmp_path: Path, case: dict[str, Any]) -> None:
    presubmits = {"org/repo": case["presubmits"]} if case.get("presubmits") else {}
    config = _load(tmp_path, case["branch_protection"], presubmits)
    bp, jobs = config.branch_protection, config.presubmits_for("org", "repo")
    if case.get("error"):
        with pytest.raises(BranchProtectionError):
            get_branch_protection(bp, "org", "repo", "branch", jobs)
        return
    actual = get_branch_protection(bp, "org", "repo", "branch", jobs)
    assert _plain(actual) == _expected(case["expected"])


WARNINGS = _table("warnings.yaml")


@pytest.mark.parametrize("case", WARNINGS["repos"], ids=[c["name"] for c in WARNINGS["repos"]])
def test_repos_with_disabled_policy(tmp_path: Path, case: dict[str, Any]) -> None:
    config = _load(tmp_path, case["branch_protection"], {})
    assert repos_with_disabled_policy(config.branch_protection) == case["expected"]


@pytest.mark.parametrize(
    "case", WARNINGS["branches"], ids=[c["name"] for c in WARNINGS["branches"]]
)
def test_unprotected_branches(tmp_path: Path, case: dict[str, Any]) -> None:
    config = _load(tmp_path, case["branch_protection"], case.get("presubmits") or {})
    assert unprotected_branches(config.branch_protection, config.presubmits) == case["expected"]


BAD = [
    pytest.param({"include": ["^main$"], "exclude": ["^dev"]}, "branch-protection", id="both"),
    pytest.param(
        {"orgs": {"o": {"repos": {"r": {"exclude": ["(?<=x)y"]}}}}},
        "branch-protection.orgs.o.repos.r.exclude[0]",
        id="lookbehind",
    ),
]


@pytest.mark.parametrize(("section", "field"), BAD)
def test_what_prow_refuses_is_a_load_error(tmp_path: Path, section: Any, field: str) -> None:
    from minprow.config import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"branch-protection": section}))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert [p.field for p in raised.value.problems] == [field]


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_every_corpus_branch_gets_a_policy_or_a_reason(corpus: Corpus) -> None:
    """Each branch the section names (and main/master of each repo it names) gets a
    policy, none, or Prow's refusal; a policy carries the contexts of the required
    presubmits that run on the branch, and where any branch has such presubmits,
    some policy carries them (none only where the config says `protect: false`
    with `allow_disabled_job_policies`)."""
    config = load_config(*corpus.paths, processes=2)
    bp = config.branch_protection
    with_required = 0
    for org_name, org in bp.orgs.items():
        for repo_name, repo in org.repos.items():
            jobs = config.presubmits_for(org_name, repo_name)
            for branch in [*repo.branches, "main", "master"]:
                try:
                    policy = get_branch_protection(bp, org_name, repo_name, branch, jobs)
                except BranchProtectionError:
                    continue
                manual = policy.require_manually_triggered_jobs if policy else None
                required, _, _ = branch_requirements(branch, jobs, manual)
                if not required:
                    continue
                if policy is None:
                    entry = bp.get_org(org_name).get_repo(repo_name).get_branch(branch)
                    assert entry.protect is False
                    assert bp.allow_disabled_job_policies
                    continue
                assert policy.required_status_checks is not None
                assert set(required) <= set(policy.required_status_checks.contexts or [])
                with_required += 1
    if any(config.presubmits_for(o, r) for o, org in bp.orgs.items() for r in org.repos):
        assert with_required


UNMANAGED = _table("unmanaged.yaml")


def _with_unmanaged(base: dict[str, Any], where: dict[str, bool]) -> dict[str, Any]:
    """The base section with `unmanaged` set at "" (top), "org", "org/repo" or
    "org/repo=branch"."""
    section = yaml.safe_load(yaml.safe_dump(base))
    for path, value in where.items():
        entry = section
        if path:
            org, _, rest = path.partition("/")
            entry = entry["orgs"][org]
            if rest:
                repo, _, branch = rest.partition("=")
                entry = entry["repos"][repo]
                if branch:
                    entry = entry["branches"][branch]
        entry["unmanaged"] = value
    return section


@pytest.mark.parametrize("case", UNMANAGED["cases"], ids=[c["name"] for c in UNMANAGED["cases"]])
def test_settings_under_unmanaged_are_warned_about(tmp_path: Path, case: dict[str, Any]) -> None:
    section = {} if case.get("empty") else _with_unmanaged(UNMANAGED["base"], case["unmanaged"])
    config = _load(tmp_path, section, {})
    warned = [w.field for w in config.warnings if (w.field or "").startswith("branch-protection")]
    assert warned == case["flagged"]

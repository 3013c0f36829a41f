"""Configuration regexes as Go's regexp (RE2) compiles and matches them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.config import ConfigError, load_config
from minprow.config.goregex import RegexError, compile_regex, match_string

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"
CASES: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "goregex" / "cases.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_go_regexp(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(RegexError, match=case["error"].replace("(", r"\(").replace(")", r"\)")):
            compile_regex(case["pattern"])
    else:
        assert match_string(case["pattern"], case["text"]) is case["match"]


def test_a_trigger_with_flags_inside_groups_loads_and_triggers(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        "presubmits:\n  org/repo:\n  - name: pull-a\n"
        "    trigger: '((?m)^/test a,?($|\\s.*))|((?m)^/test b,?($|\\s.*))'\n"
        "    rerun_command: /test a\n"
        "    spec: {containers: [{image: alpine}]}\n"
    )
    (job,) = load_config(None, jobs).presubmits["org/repo"]
    assert job.trigger_matches("lgtm\n/test b")
    assert not job.trigger_matches("/test c")


def test_a_pattern_re2_refuses_names_file_job_and_field(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        "presubmits:\n  org/repo:\n  - name: pull-a\n    run_if_changed: '^docs/(?!x)'\n"
        "    spec: {containers: [{image: alpine}]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(None, jobs)
    (problem,) = caught.value.problems
    assert (problem.file.endswith("jobs.yaml"), problem.job, problem.field) == (
        True,
        "pull-a",
        "run_if_changed",
    )
    assert "invalid regex" in problem.message


def test_plugins_yaml_regexes_are_compiled_as_prow_does(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.yaml"
    plugins.write_text(
        "plugins: {org: [trigger]}\n"
        "sigmention: {regexp: '(?m)@kubernetes/sig-([\\w-]*)'}\n"
        "heart: {commentregexp: '(?i)thank(?=s)'}\n"
        "require_matching_label:\n"
        "- {org: o, regexp: '^kind/', missing_label: needs-kind, grace_period: 5x}\n"
        "- {org: o, Regexp: '(', missing_label: needs-sig}\n"
        "blockades:\n- {repos: [o/r], BranchRegexp: '((?m)^a)|((?s)b)'}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(None, None, plugins)
    fields = sorted(p.field or "" for p in caught.value.problems)
    assert fields == [
        "heart.commentregexp",
        "require_matching_label[0].grace_period",
        "require_matching_label[1].regexp",
    ]

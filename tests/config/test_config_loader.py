"""Reading files as Prow does: the main config, the job config walk, plugins.yaml."""

from __future__ import annotations

import gzip
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from minprow.config import ConfigError, load_config
from minprow.model import ProwJobType

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "config"
ONE = FIXTURES / "valid" / "one-presubmit.yaml"
MAIN = FIXTURES / "valid" / "main-config-with-jobs.yaml"
BASE = FIXTURES / "base" / "config.yaml"


def _copy(target: Path, name: str, job: str = "pull-one") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(ONE.read_text().replace("pull-one", job).replace("org/repo", name))


def test_directory_walk_mirrors_prow(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs"
    _copy(jobs / "a.yaml", "org/a")
    _copy(jobs / "sub" / "b.yml", "org/b")
    _copy(jobs / ".hidden.yaml", "org/hidden")  # Prow skips only ".." names
    _copy(jobs / "..2026_11_24" / "c.yaml", "org/configmap-copy")
    _copy(jobs / "..data.yaml", "org/configmap-link")
    _copy(jobs / "ignored" / "d.yaml", "org/ignored")
    _copy(jobs / "sub" / "e.json", "org/not-yaml")
    (jobs / ".prowignore").write_text("# comment\nignored/\n")
    config = load_config(BASE, jobs)
    assert sorted(config.repos()) == ["org/a", "org/b", "org/hidden"]
    assert config.presubmits_for("org", "b")[0].source_path.endswith("sub/b.yml")


def test_single_job_config_file() -> None:
    config = load_config(BASE, ONE)
    assert [j.name for j in config.presubmits_for("org", "repo")] == ["pull-one"]
    assert config.pod_namespace == "test-pods"
    assert config.presubmits_for("org", "repo")[0].namespace == "test-pods"


def test_duplicate_basenames_are_an_error(tmp_path: Path) -> None:
    _copy(tmp_path / "x" / "jobs.yaml", "org/x", "pull-x")
    _copy(tmp_path / "y" / "jobs.yaml", "org/y", "pull-y")
    with pytest.raises(ConfigError) as caught:
        load_config(BASE, tmp_path)
    (problem,) = caught.value.problems
    assert "duplicated basename is not allowed: jobs.yaml" in problem.message
    assert problem.file.endswith("y/jobs.yaml")


def test_gzipped_job_file_is_read(tmp_path: Path) -> None:
    (tmp_path / "jobs.yaml").write_bytes(gzip.compress(ONE.read_bytes()))
    assert load_config(BASE, tmp_path / "jobs.yaml").summary()["presubmits"] == 1


def test_jobs_in_the_main_config_and_not_implemented_sections() -> None:
    config = load_config(MAIN, ONE.parent / "one-presubmit.yaml")
    assert config.not_implemented == ["deck", "tide"]
    assert config.raw_sections["tide"] == {"sync_period": "2m"}
    assert config.branch_protection.protect is False
    (warning,) = config.warnings
    assert (warning.field, warning.job) == ("plannk", None)
    assert "unknown top-level key" in warning.message
    # Jobs from config.yaml come first, then the job config's.
    assert [j.name for j in config.presubmits_for("org", "repo")] == [
        "pull-in-main-config",
        "pull-one",
    ]
    assert config.summary() | {"warnings": 0} == {
        "presubmits": 3,
        "postsubmits": 0,
        "periodics": 1,
        "jobs": 4,
        "repos": 2,
        "presets": 0,
        "warnings": 0,
    }
    with pytest.raises(ConfigError) as caught:
        load_config(MAIN, ONE, strict=True)
    assert [p.field for p in caught.value.problems] == ["plannk"]


def test_namespaces_and_decorate_all_jobs() -> None:
    config = load_config(MAIN)
    assert (config.prowjob_namespace, config.pod_namespace, config.log_level) == (
        "prow",
        "pods",
        "debug",
    )
    found = config.find_job("pull-in-main-config")
    assert found is not None
    kind, job, repo = found
    assert (kind, repo, job.namespace) == (ProwJobType.PRESUBMIT, "org/repo", "pods")
    assert job.decorate is True  # decorate_all_jobs
    other = config.presubmits_for("org", "other")[0]
    assert other.decorate is False
    assert other.decoration_config is None


def test_old_default_decoration_map_merges_star_then_org_then_repo() -> None:
    config = load_config(MAIN)
    assert [e.repo for e in config.plank.decoration_entries] == ["*", "org", "org/repo"]
    repo_job = config.presubmits_for("org", "repo")[0].decoration_config
    assert repo_job is not None
    assert (repo_job.timeout, repo_job.grace_period) == (timedelta(hours=3), timedelta(seconds=20))
    periodic = config.periodics[0].decoration_config  # matched by its extra_refs[0]
    assert periodic is not None
    assert periodic.timeout == timedelta(hours=3)
    elsewhere = config.plank.guess_default_decoration_config("another/repo", "default")
    assert (elsewhere.timeout, elsewhere.grace_period) == (
        timedelta(hours=1),
        timedelta(seconds=10),
    )


def test_config_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("- just\n- a list\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.message == "must be a YAML mapping, got list"


def test_missing_job_config_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, tmp_path / "nope")
    assert caught.value.problems[0].message == "no such file or directory"


def test_sources_list_every_file_read(tmp_path: Path) -> None:
    shutil.copy(ONE, tmp_path / "one.yaml")
    config = load_config(MAIN, tmp_path, FIXTURES / "valid" / "plugins-forms.yaml")
    assert config.sources == [
        MAIN,
        tmp_path / "one.yaml",
        FIXTURES / "valid" / "plugins-forms.yaml",
    ]


def test_plugin_forms() -> None:
    config = load_config(None, None, FIXTURES / "valid" / "plugins-forms.yaml")
    plugins = config.plugins
    assert plugins.enabled_plugins("org", "repo") == ["trigger", "lgtm", "hold"]
    assert plugins.enabled_plugins("org", "private") == []
    assert plugins.enabled_plugins("other", "x") == ["size"]
    assert plugins.is_enabled("hold", "org", "repo")
    assert not plugins.is_enabled("hold", "org", "x")
    assert plugins.trigger_for("org", "repo").only_org_members is True
    assert plugins.trigger_for("org", "x").trusted_apps == ["bot"]
    assert plugins.trigger_for("else", "x").trusted_apps == []
    assert plugins.lgtm_for("org", "repo").store_tree_hash is True
    assert plugins.lgtm_for("org", "x").review_acts_as_lgtm is True
    assert plugins.section("approve") == [{"repos": ["org"], "require_self_approval": False}]
    assert config.warnings == []


def test_repos_own_config_loads_strictly() -> None:
    config = load_config(REPO / "config.yaml", REPO / "jobs", strict=True)
    assert config.summary()["jobs"] == 5


def test_a_yaml_syntax_error_in_config_yaml_is_reported_alone(tmp_path: Path) -> None:
    broken = tmp_path / "config.yaml"
    broken.write_text("plank:\n  default_decoration_config_entries:\n  - config:\n   bad: [\n")
    jobs = FIXTURES / "first-config" / "jobs"  # decorated jobs that would need plank
    with pytest.raises(ConfigError) as caught:
        load_config(broken, jobs, strict=True)
    (problem,) = caught.value.problems
    assert problem.file.endswith("config.yaml")
    assert problem.line == 4
    assert problem.message.startswith("invalid YAML")


def test_parsing_in_two_processes_gives_what_one_gives(tmp_path: Path) -> None:
    from minprow.config.yamlio import read_many

    paths = []
    for i in range(40):
        path = tmp_path / f"jobs-{i:02}.yaml"
        body = "presubmits:\n  org/r:\n  - name: a\n    labels:\n" if i % 3 else "x: [1, *a"
        path.write_text(body if i != 7 else "a: 0555\nb: yes\nc: null\n")
        paths.append(path)
    assert read_many(paths, processes=2) == read_many(paths, processes=1)
    parsed = read_many(paths, processes=2)
    assert [(p.problem is None, p.go_decode) for p in parsed[5:8]] == [
        (True, True),
        (False, False),
        (True, True),
    ]
    assert parsed[7].data == {"a": 365, "b": True, "c": None}


def test_problems_name_the_line_of_their_job_and_field(tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        "presubmits:\n"
        "  org/repo:\n"
        "  - name: pull-fine\n"
        "    spec: {containers: [{image: a}]}\n"
        "  - name: pull-bad\n"  # line 5
        "    always_run: true\n"
        "    run_if_changed: '^docs/(?!x)'\n"  # line 7
        "    spec:\n"
        "      containers:\n"
        "      - image: a\n"
        "        env:\n"
        "        - NAME: X\n"  # line 12
        "periodics:\n"
        "- name: nightly\n"  # line 14
        "  spec: {containers: [{image: a}]}\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(None, jobs)
    lines = {(p.job, p.field): p.line for p in caught.value.problems}
    assert lines[("pull-bad", "run_if_changed")] == 7
    assert lines[("nightly", "interval")] == 14  # not written: the job's own line
    (notice,) = caught.value.notices
    assert (notice.field, notice.line) == ("spec.containers[0].env[0].NAME", 12)

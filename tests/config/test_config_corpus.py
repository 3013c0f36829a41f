"""The real gardener/ci-infra Prow config (shared/corpus) loads exactly as Prow loads it.

Each assertion checks a feature its PROVENANCE.md lists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from minprow.config import Config, Presubmit, load_config
from minprow.config.yamlio import FastLoader
from minprow.model import ProwJobType


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_loads_with_no_problems_and_the_documented_counts(
    corpus_paths: tuple[Path, Path, Path], strict: bool
) -> None:
    config = load_config(*corpus_paths, strict=strict)
    assert config.warnings == []
    summary = config.summary()
    assert (summary["presubmits"], summary["postsubmits"], summary["periodics"]) == (246, 4, 153)
    assert summary["repos"] == len(config.repos()) == 61
    assert sum(1 for jobs in config.postsubmits.values() if jobs) == 3
    assert config.not_implemented == ["deck", "tide"]


def _presubmit(config: Config, repo: str, name: str) -> Presubmit:
    found = [j for j in config.presubmits[repo] if j.name == name]
    assert len(found) == 1, f"{name} in {repo}: {len(found)}"
    return found[0]


def test_merge_key_jobs_take_the_anchor_with_local_overrides(corpus_config: Config) -> None:
    anchor = _presubmit(corpus_config, "gardener/ci-infra", "pull-ci-infra-check-renovate-config")
    merged = _presubmit(corpus_config, "gardener/gardener", "pull-gardener-check-renovate-config")
    assert merged.run_if_changed == anchor.run_if_changed
    assert merged.run_if_changed.startswith("^((\\.github/|\\.gitlab/)?renovate")
    assert merged.cluster == "gardener-prow-build"
    assert merged.context == "pull-gardener-check-renovate-config"  # the overriding name
    assert merged.spec is not None
    assert merged.spec["containers"][0]["command"] == ["renovate-config-validator"]


def test_nested_merges_are_shallow(corpus_config: Config) -> None:
    basic = _presubmit(corpus_config, "gardener/etcd-druid", "pull-etcd-druid-e2e-kind-basic")
    scaleout = _presubmit(corpus_config, "gardener/etcd-druid", "pull-etcd-druid-e2e-kind-scaleout")
    # Merged from &e2e_common: branch filters, labels, decoration.
    assert scaleout.always_run is True
    assert scaleout.skip_branches == [r"hotfix-v\d+.\d+"]
    assert scaleout.labels == basic.labels
    assert scaleout.decoration_config is not None
    assert scaleout.decoration_config.timeout == timedelta(minutes=60)
    # annotations: {<<: *e2e_annotations, description: ...}: one key overridden.
    assert scaleout.annotations["fork-per-release"] == "true"
    assert scaleout.annotations["description"].startswith("Runs KIND e2e scale out tests")
    assert basic.annotations["description"].startswith("Runs KIND e2e basic tests")
    # - <<: *e2e_container with its own env: the env list is replaced, not combined;
    # the presets' env follows it.
    assert basic.spec is not None
    assert scaleout.spec is not None
    (container,) = scaleout.spec["containers"]
    assert container["image"] == basic.spec["containers"][0]["image"]
    assert container["securityContext"] == {"privileged": True}
    assert [(e["name"], e["value"]) for e in container["env"]] == [
        ("GO_TEST_ARGS", "-run TestScaleOut"),
        ("DOCKER_IN_DOCKER_ENABLED", "true"),
        ("GOPROXY", "http://athens-proxy.athens.svc.cluster.local,direct"),
    ]
    assert basic.spec["containers"][0]["env"][0]["value"] == "-run TestBasic"


def test_octal_default_mode_survives_the_preset_merge(corpus_config: Config) -> None:
    jobs = [
        j
        for j in [*corpus_config.all_presubmits(), *corpus_config.periodics]
        if j.labels.get("preset-buildkit-testbuild") == "true"
    ]
    assert len(jobs) == 18
    for job in jobs:
        assert job.spec is not None
        modes = [v["configMap"].get("defaultMode") for v in job.spec["volumes"] if "configMap" in v]
        assert 365 in modes, job.name
        assert 555 not in modes


def test_go_durations(corpus_config: Config) -> None:
    job = _presubmit(
        corpus_config,
        "gardener/gardener-extension-registry-cache",
        "pull-gardener-extension-registry-cache-e2e-kind",
    )
    assert job.decoration_config is not None
    assert job.decoration_config.timeout == timedelta(hours=1, minutes=10)
    assert job.decoration_config.grace_period == timedelta(minutes=15)
    assert corpus_config.plank.pod_pending_timeout == timedelta(minutes=15)
    assert corpus_config.plank.pod_unscheduled_timeout == timedelta(minutes=15)
    assert corpus_config.plank.pod_running_timeout == timedelta(hours=48)  # Prow's default
    sinker = corpus_config.sinker
    assert (sinker.resync_period, sinker.max_prowjob_age, sinker.max_pod_age) == (
        timedelta(minutes=1),
        timedelta(hours=48),
        timedelta(hours=48),
    )
    assert sinker.terminated_pod_ttl == timedelta(minutes=30)


def test_block_scalars(corpus_config: Config) -> None:
    folded = corpus_config.plank.report_templates["*"]  # >-
    assert folded.startswith("[Full PR test history](")
    assert not folded.endswith("\n")
    assert "\n\nPlease help us" not in folded
    assert "\nPlease help us cut down" in folded
    literal = corpus_config.slack_reporter_configs["*"].report_template  # |
    assert literal.startswith("*Job:* {{.Spec.Job}} ({{.Spec.Type}})\n*Status:*")
    assert literal.endswith("*<{{.Status.URL}}|View logs>*\n")


def test_the_label_less_goproxy_preset_reaches_all_403_jobs(corpus_config: Config) -> None:
    jobs = [
        *corpus_config.all_presubmits(),
        *corpus_config.all_postsubmits(),
        *corpus_config.periodics,
    ]
    assert len(jobs) == 403
    for job in jobs:
        assert job.spec is not None
        (container,) = job.spec["containers"]
        assert [e["name"] for e in container["env"]].count("GOPROXY") == 1, job.name
        assert job.is_decorated
        assert job.agent == "kubernetes"
        assert job.namespace == "test-pods"


def test_branch_regexes_are_unanchored_as_in_prow(corpus_config: Config) -> None:
    jobs = [
        j for j in corpus_config.presubmits["gardener/gardener"] if j.branches == ["release-v1.149"]
    ]
    assert jobs
    job = jobs[0]
    assert job.should_run_for_branch("release-v1.149")
    assert job.should_run_for_branch("release-v1x149")
    assert job.should_run_for_branch("release-v1.1490")
    assert not job.should_run_for_branch("release-v1.150")
    assert not job.should_run_for_branch("master")


def test_skip_branches(corpus_config: Config) -> None:
    job = _presubmit(corpus_config, "gardener/etcd-druid", "pull-etcd-druid-e2e-kind-basic")
    assert job.should_run_for_branch("main")
    assert not job.should_run_for_branch("hotfix-v0.38")
    assert job.should_run("main", [])  # always_run
    assert not job.should_run("hotfix-v0.38", [], forced=True)


def test_default_trigger_rerun_command_and_context(corpus_config: Config) -> None:
    job = _presubmit(corpus_config, "gardener/gardener", "pull-gardener-check-renovate-config")
    assert job.trigger == r"(?m)^/test( | .* )pull-gardener-check-renovate-config,?($|\s.*)"
    assert job.rerun_command == "/test pull-gardener-check-renovate-config"
    assert job.context == job.name
    assert job.trigger_matches("/test pull-gardener-check-renovate-config")
    assert job.trigger_matches("LGTM\n/test foo pull-gardener-check-renovate-config, bar")
    assert not job.trigger_matches("/test all")
    assert not job.trigger_matches("/retest")
    assert job.should_run("master", ["renovate.json5"])
    assert not job.should_run("master", ["README.md"])
    assert not job.should_run("master", [])


def test_decoration_defaults_are_merged_under_the_jobs_own(corpus_config: Config) -> None:
    own = _presubmit(
        corpus_config,
        "gardener/gardener-extension-registry-cache",
        "pull-gardener-extension-registry-cache-e2e-kind",
    ).decoration_config
    defaulted = _presubmit(
        corpus_config, "gardener/gardener", "pull-gardener-check-renovate-config"
    ).decoration_config
    assert own is not None
    assert defaulted is not None
    assert defaulted.timeout == timedelta(hours=2)
    assert defaulted.grace_period == timedelta(minutes=15)
    for config in (own, defaulted):
        assert config.utility_images is not None
        assert config.utility_images.clonerefs is not None
        assert config.utility_images.clonerefs.endswith("clonerefs:v20260819-7593870dc")
        assert config.gcs_configuration is not None
        assert config.gcs_configuration.bucket == "gardener-prow"
        assert config.gcs_credentials_secret == "gardener-prow-storage"


def test_scalar_types_are_kept(corpus_config: Config) -> None:
    job = _presubmit(corpus_config, "gardener/etcd-druid", "pull-etcd-druid-e2e-kind-basic")
    assert job.spec is not None
    assert job.spec["containers"][0]["resources"]["requests"]["cpu"] == 6
    labels = [j.labels for j in corpus_config.all_presubmits() if j.labels]
    assert all(isinstance(v, str) for ls in labels for v in ls.values())


def test_find_job(corpus_config: Config) -> None:
    found = corpus_config.find_job("pull-etcd-druid-e2e-kind-basic")
    assert found is not None
    kind, job, repo = found
    assert (kind, job.name, repo) == (
        ProwJobType.PRESUBMIT,
        "pull-etcd-druid-e2e-kind-basic",
        "gardener/etcd-druid",
    )
    periodic = corpus_config.periodics[0]
    assert corpus_config.find_job(periodic.name) == (ProwJobType.PERIODIC, periodic, None)
    assert corpus_config.find_job("no-such-job") is None


def test_plugins(corpus_config: Config) -> None:
    plugins = corpus_config.plugins
    enabled = plugins.enabled_plugins("gardener", "gardener")
    assert len(enabled) == 28
    assert "trigger" in enabled
    assert "config-updater" not in enabled
    assert plugins.enabled_plugins("gardener", "ci-infra") == [*enabled, "config-updater"]
    assert plugins.enabled_plugins("other", "repo") == []
    assert plugins.trigger_for("gardener", "gardener").trusted_apps == ["dependabot"]
    assert [p.name for p in plugins.external_plugins_for("gardener", "x")] == [
        "cla-assistant",
        "needs-rebase",
        "cherrypicker",
    ]
    welcome = plugins.section("welcome")
    assert isinstance(welcome, list)
    assert any(ord(ch) > 0xFFFF for ch in welcome[0]["message_template"])  # the emoji, as UTF-8
    assert plugins.label.additional_labels


def test_fast_loader_reads_exactly_what_csafeloader_reads(corpus: Path) -> None:
    files = sorted((corpus / "config").rglob("*.yaml"))
    assert len(files) == 99
    for path in files:
        data = path.read_bytes()
        expected = yaml.load(data, Loader=yaml.CSafeLoader)
        got = yaml.load(data, Loader=FastLoader)
        assert got == expected, path
        assert repr(got) == repr(expected), path

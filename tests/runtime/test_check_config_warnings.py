"""`minprow check-config` where a config will not do what it says, run as a user runs it.

Jobs for a cluster no kubeconfig names (with --kubeconfig / --kubeconfig-dir),
periodics that run less often than written, and a YAML syntax error reported
alone by every command that reads the config. Real subprocesses, fixture
configs from fixtures/config/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

RunMinprow = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]
CLUSTERS = Path("fixtures") / "config" / "clusters"
KUBECONFIGS = CLUSTERS / "kubeconfigs"
CONFIG = ["--config-path", CLUSTERS / "config.yaml", "--job-config-path", CLUSTERS / "jobs.yaml"]
GPU = (
    f'{CLUSTERS / "jobs.yaml"}:18: job "periodic-on-gpu": field "cluster": no kubeconfig '
    'context is named "gpu" (known: build, default, in-cluster), so plank cannot start this '
    'job: add a context named "gpu" to the kubeconfigs, or set the job\'s cluster to a known one'
)
BUILD = KUBECONFIGS / "build.kubeconfig"
GPU_ONLY = KUBECONFIGS / "gpu.kubeconfig"

# (flags after the config's, exit code, what stderr holds, what it must not)
CLUSTER_CASES = [
    ("no-kubeconfig", [], 0, [], ["no kubeconfig context"]),
    ("build-only", ["--kubeconfig", BUILD], 0, [f"warning: {GPU}"], []),
    ("build-and-gpu", ["--kubeconfig", BUILD, "--kubeconfig", GPU_ONLY], 0, [], ["context is"]),
    (
        "dir-with-every-suffix",
        ["--kubeconfig-dir", KUBECONFIGS, "--kubeconfig-suffix", ".kubeconfig"],
        0,
        [],
        ["context is"],
    ),
    (
        "dir-narrowed-by-suffix",
        ["--kubeconfig-dir", KUBECONFIGS, "--kubeconfig-suffix", "build.kubeconfig"],
        0,
        [f"warning: {GPU}"],
        [],
    ),
    (
        "strict-makes-it-an-error",
        ["--strict", "--kubeconfig", BUILD],
        1,
        [f"\n{GPU}\n", "config is invalid: 1 problem"],
        ["warning: ", "config is valid"],
    ),
    (
        "no-current-context-outside-a-pod",
        ["--kubeconfig", KUBECONFIGS / "no-current-context.yaml"],
        1,
        [
            "error: the kubeconfigs given cannot be used: no cluster access: not in a pod and "
            "no current-context in the kubeconfigs (set `current-context: NAME` in one of them)"
        ],
        ["config is valid"],
    ),
    (
        "a-context-defined-twice",
        ["--kubeconfig", BUILD, "--kubeconfig", KUBECONFIGS / ".." / "kubeconfigs" / BUILD.name],
        1,
        ["error: the kubeconfigs given cannot be used: context 'build' is defined in both"],
        [],
    ),
]


@pytest.mark.parametrize(
    ("flags", "code", "present", "absent"),
    [case[1:] for case in CLUSTER_CASES],
    ids=[case[0] for case in CLUSTER_CASES],
)
def test_check_config_warns_of_jobs_for_a_cluster_no_kubeconfig_names(
    minprow: RunMinprow,
    flags: list[str | Path],
    code: int,
    present: list[str],
    absent: list[str],
) -> None:
    result = minprow("check-config", *CONFIG, *flags)
    assert result.returncode == code, result.stderr
    stderr = "\n" + result.stderr
    for text in present:
        assert text in stderr
    for text in absent:
        assert text not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    if code == 0:
        assert "config is valid: 2 presubmits, 1 postsubmits, 1 periodics" in result.stdout


def test_check_config_says_how_often_a_periodic_really_runs(minprow: RunMinprow) -> None:
    cadence = Path("fixtures") / "config" / "cadence"
    result = minprow(
        "check-config",
        "--config-path",
        cadence / "default-tick.yaml",
        "--job-config-path",
        cadence / "periodics.yaml",
    )
    assert result.returncode == 0, result.stderr
    assert (
        f'warning: {cadence / "periodics.yaml"}:4: job "every-10s": field "interval": interval '
        "10s is shorter than horologium's tick (1m, Prow's default; set "
        "horologium.tick_interval in config.yaml to change it): the job runs every 1m at best"
    ) in result.stderr


SYNTAX_ERROR = "plank:\n  default_decoration_config_entries:\n  - config:\n   bad: [\n"

# Each command that reads the config, with the flags it needs besides the config's.
READERS = [
    ("check-config", ["check-config", "--strict", "--plugin-config", "plugins.yaml"]),
    ("mkpj", ["mkpj", "--job", "pull-minprow-hello", "--plugin-config", "plugins.yaml"]),
    ("explain", ["explain", "--repo", "minprow/minprow", "--pr", "1"]),
    ("run-dry-run", ["run", "pull-minprow-hello", "--local", ".", "--dry-run"]),
]


@pytest.mark.parametrize("argv", [r[1] for r in READERS], ids=[r[0] for r in READERS])
def test_a_yaml_syntax_error_in_config_yaml_is_reported_alone(
    tmp_path: Path, argv: list[str]
) -> None:
    # This repository's jobs and plugins.yaml next to a config.yaml that does not parse.
    shutil.copytree(REPO / "jobs", tmp_path / "jobs")
    shutil.copy(REPO / "plugins.yaml", tmp_path / "plugins.yaml")
    (tmp_path / "config.yaml").write_text(SYNTAX_ERROR)
    config = ["--config-path", "config.yaml", "--job-config-path", "jobs"]
    result = subprocess.run(
        [sys.executable, "-m", "minprow", *argv, *config],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    problems = [line for line in result.stderr.splitlines() if re.match(r"\S+:\d+: ", line)]
    assert problems == [
        "config.yaml:4: invalid YAML: while parsing a block mapping did not find expected key"
    ], result.stderr
    assert "config is invalid: 1 problem" in result.stderr
    assert "Traceback" not in result.stderr

"""One way to name the config and a job store per project (issue 15, items 1 and 2).

Every command that reads configuration finds ./config.yaml, ./jobs and
./plugins.yaml when no flag names them; the default job store is derived from the
project's directory, so two projects never see each other's jobs, and each
command says which store it uses.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from minprow import pjutil
from minprow.config import Periodic, load_config
from minprow.runtime.defaults import ConfigPaths, project_dir, project_state_dir, project_store
from minprow.store import open_store

REPO = Path(__file__).resolve().parents[2]
FIRST_CONFIG = REPO / "fixtures" / "config" / "first-config"


def _minprow(cwd: Path, state_home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The CLI run in `cwd`, as a user in that project runs it."""
    env = {**os.environ, "XDG_STATE_HOME": str(state_home), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "minprow", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def projects(tmp_path: Path) -> tuple[Path, Path]:
    """Two projects with the same first config, in two directories."""
    made = []
    for name in ("alpha", "beta"):
        project = tmp_path / name
        shutil.copytree(FIRST_CONFIG, project)
        made.append(project)
    return made[0], made[1]


@pytest.mark.parametrize(
    ("config", "jobs", "expected"),
    [
        ("proj/config.yaml", "elsewhere/jobs", "proj"),
        (None, "proj/jobs", "proj"),
        (None, "proj/jobs/one.yaml", "proj/jobs"),
        (None, None, "cwd"),
    ],
    ids=["config-yaml-decides", "a-job-dir-its-parent", "a-job-file-its-dir", "nothing-cwd"],
)
def test_project_dir(tmp_path: Path, config: str | None, jobs: str | None, expected: str) -> None:
    paths = ConfigPaths(
        tmp_path / config if config else None, tmp_path / jobs if jobs else None, None
    )
    assert project_dir(paths, tmp_path / "cwd") == (tmp_path / expected).resolve()


def test_each_project_has_its_own_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, projects: tuple[Path, Path]
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    alpha, beta = projects
    a = project_store(None, cwd=alpha)
    assert a.path == project_state_dir(alpha)
    assert a.path.parent == tmp_path / "state" / "minprow" / "projects"
    assert a.path.name.startswith("alpha-")
    assert project_store(None, cwd=beta).path != a.path
    # The same project reached through another spelling of its path.
    assert project_store(None, cwd=alpha / "jobs" / "..").path == a.path
    given = project_store(tmp_path / "mine", cwd=alpha)
    assert (given.path, given.project, given.origin) == (tmp_path / "mine", None, "--state-dir")


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (("check-config",), "config is valid: 1 presubmits, 0 postsubmits, 1 periodics"),
        (("mkpj", "--job", "periodic-project-nightly"), "job: periodic-project-nightly"),
        (
            (
                "explain",
                "--repo",
                "me/project",
                "--pr",
                "1",
                "--base-ref",
                "main",
                "--changed-file",
                "README.md",
                "--author",
                "me",
            ),
            "pull-project-unit",
        ),
    ],
    ids=["check-config", "mkpj", "explain"],
)
def test_commands_find_the_config_in_the_working_directory(
    tmp_path: Path, projects: tuple[Path, Path], args: tuple[str, ...], stdout: str
) -> None:
    result = _minprow(projects[0], tmp_path / "state", *args)
    assert result.returncode == 0, result.stderr
    assert stdout in result.stdout


def test_no_config_here_says_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = _minprow(empty, tmp_path / "state", "check-config")
    assert result.returncode == 1
    assert f"no config.yaml or jobs/ in {empty}" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_says_where_the_config_is_found(tmp_path: Path) -> None:
    for command in ("check-config", "mkpj", "explain", "up", "serve", "run"):
        result = _minprow(tmp_path, tmp_path / "state", command, "--help")
        assert result.returncode == 0, result.stderr
        assert "./config.yaml" in result.stdout, command


def _store_one_job(directory: Path, name: str) -> None:
    config = load_config(FIRST_CONFIG / "config.yaml", FIRST_CONFIG / "jobs")
    periodic = config.periodics[0]
    assert isinstance(periodic, Periodic)

    async def fill() -> None:
        async with open_store("sqlite", directory) as store:
            await store.create(
                pjutil.new_prowjob(
                    pjutil.periodic_spec(periodic),
                    now=datetime(2026, 12, 3, tzinfo=UTC),
                    namespace="default",
                    name=name,
                )
            )

    asyncio.run(fill())


def test_get_reads_the_store_of_the_project_it_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, projects: tuple[Path, Path]
) -> None:
    state_home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state_home))
    alpha, beta = projects
    # Nothing ran in beta yet: `get` says which store it looked for and how to make it.
    result = _minprow(beta, state_home, "get", "prowjobs")
    assert result.returncode == 1
    beta_store = project_state_dir(beta)
    assert f"job store {beta_store} (the project in {beta.resolve()}" in result.stderr
    assert "`minprow up` run there creates it" in result.stderr

    _store_one_job(project_state_dir(alpha), "alpha-job")
    _store_one_job(beta_store, "beta-job")
    for project, mine, theirs in (
        (alpha, "alpha-job", "beta-job"),
        (beta, "beta-job", "alpha-job"),
    ):
        result = _minprow(project, state_home, "get", "prowjobs", "-o", "json")
        assert result.returncode == 0, result.stderr
        assert mine in result.stdout
        assert theirs not in result.stdout
        # The JSON on stdout stays clean: the store is named on stderr.
        assert result.stdout.lstrip().startswith("{")
        assert f"job store {project_state_dir(project)}" in result.stderr


def test_a_store_every_project_shared_is_pointed_at(
    tmp_path: Path, projects: tuple[Path, Path]
) -> None:
    """Jobs an earlier minprow kept in the one shared store are not lost from sight."""
    state_home = tmp_path / "state"
    _store_one_job(state_home / "minprow", "old-job")
    result = _minprow(projects[0], state_home, "get", "prowjobs")
    assert f"pass --state-dir {state_home / 'minprow'} to see them" in result.stderr

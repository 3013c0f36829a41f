"""`minprow get prowjobs` and `minprow up`, run as a user runs them."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from runtime_helpers import UpProcess

from minprow import pjutil
from minprow.config import Periodic, Presubmit, load_config
from minprow.model import ProwJobState, Pull, Refs
from minprow.store import open_store

# The `minprow` fixture (tests/runtime/conftest.py) runs the CLI in a subprocess.
RunMinprow = Callable[..., subprocess.CompletedProcess[str]]
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding three ProwJobs made from this repository's own config."""
    directory = tmp_path_factory.mktemp("state")
    config = load_config(REPO / "config.yaml", REPO / "jobs")
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    presubmit = next(
        p for p in config.presubmits_for("minprow", "minprow") if p.name == "pull-minprow-check"
    )
    periodic = config.periodics[0]
    assert isinstance(presubmit, Presubmit)
    assert isinstance(periodic, Periodic)
    refs = Refs(
        org="minprow",
        repo="minprow",
        base_ref="main",
        base_sha="a" * 40,
        pulls=[Pull(number=42, author="alice", sha="b" * 40)],
    )

    async def fill() -> None:
        async with open_store("sqlite", directory) as store:
            for i, state in enumerate((ProwJobState.SUCCESS, ProwJobState.PENDING)):
                pj = pjutil.new_prowjob(
                    pjutil.presubmit_spec(presubmit, refs),
                    presubmit.labels,
                    presubmit.annotations,
                    now=now.replace(minute=i),
                    namespace="default",
                    name=f"pre-{i}",
                )
                pj.status.state = state
                await store.create(pj)
            await store.create(
                pjutil.new_prowjob(
                    pjutil.periodic_spec(periodic), now=now, namespace="default", name="peri"
                )
            )

    asyncio.run(fill())
    return directory


def test_get_prowjobs_json_is_a_kubectl_list(minprow: RunMinprow, state_dir: Path) -> None:
    result = minprow("get", "prowjobs", "--state-dir", state_dir, "-o", "json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    assert listing["kind"] == "List"
    assert listing["apiVersion"] == "v1"
    names = [item["metadata"]["name"] for item in listing["items"]]
    assert sorted(names) == ["peri", "pre-0", "pre-1"]
    assert all(item["metadata"]["resourceVersion"] for item in listing["items"])


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (["--state", "pending"], ["pre-1"]),
        (["--job", "periodic-minprow-hello"], ["peri"]),
        (["--state", "success", "--job", "pull-minprow-check"], ["pre-0"]),
        (["--state", "failure"], []),
    ],
    ids=["by-state", "by-job", "both", "none-match"],
)
def test_get_prowjobs_filters(
    minprow: RunMinprow, state_dir: Path, flags: list[str], expected: list[str]
) -> None:
    result = minprow("get", "prowjobs", "--state-dir", state_dir, "-o", "yaml", *flags)
    assert result.returncode == 0, result.stderr
    items = yaml.safe_load(result.stdout)["items"]
    assert sorted(item["metadata"]["name"] for item in items) == expected


def test_get_prowjobs_table_has_kubectls_columns_newest_first(
    minprow: RunMinprow, state_dir: Path
) -> None:
    result = minprow("get", "prowjobs", "--state-dir", state_dir)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == [
        "NAME",
        "JOB",
        "BUILDID",
        "TYPE",
        "ORG",
        "REPO",
        "PULLS",
        "STARTTIME",
        "COMPLETIONTIME",
        "STATE",
    ]
    assert [row.split()[0] for row in rows] == ["pre-1", "pre-0", "peri"]
    assert "42" in rows[0].split()
    assert rows[0].split()[-1] == "pending"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "done"], "--state 'done' is not a ProwJob state"),
        (["--state-dir", "/nonexistent/minprow"], "no job store in /nonexistent/minprow"),
    ],
    ids=["bad-state", "no-store"],
)
def test_get_prowjobs_errors(
    minprow: RunMinprow, state_dir: Path, args: list[str], message: str
) -> None:
    result = minprow("get", "prowjobs", *(["--state-dir", str(state_dir), *args]))
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def up(tmp_path: Path) -> Iterator[tuple[UpProcess, Path]]:
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copy(REPO / "config.yaml", work / "config.yaml")
    shutil.copytree(REPO / "jobs", work / "jobs")
    process = UpProcess(work, tmp_path / "state")
    yield process, work
    if process.proc.poll() is None:
        process.proc.kill()
        process.proc.wait()


def test_up_runs_reloads_keeps_the_last_good_config_and_stops_on_sigterm(
    up: tuple[UpProcess, Path],
) -> None:
    process, work = up
    process.wait_for("not using kind (kind is not on the PATH)")
    process.wait_for("config: 3 presubmits, 1 postsubmits, 1 periodics, 1 repos")
    process.wait_for("minprow is up")

    jobs = work / "jobs" / "minprow" / "minprow-presubmits.yaml"
    data = yaml.safe_load(jobs.read_text())
    extra = dict(data["presubmits"]["minprow/minprow"][0], name="pull-minprow-extra")
    data["presubmits"]["minprow/minprow"].append(extra)
    jobs.write_text(yaml.safe_dump(data))
    process.wait_for("config reloaded: 4 presubmits")

    jobs.write_text("presubmits: [this is: not, valid\n")
    process.wait_for("config reload failed, keeping the last good config")

    process.proc.send_signal(signal.SIGTERM)
    assert process.proc.wait(timeout=30) == 0
    process.wait_for("stopping")


def test_a_corrupt_store_is_an_error_not_a_traceback(minprow: RunMinprow, tmp_path: Path) -> None:
    (tmp_path / "prowjobs.db").write_text("not a database\n")
    for args in (["get", "prowjobs"], ["up", "--config-path", "config.yaml"]):
        result = minprow(*args, "--state-dir", tmp_path)
        assert result.returncode == 1, args
        assert "file is not a database" in result.stderr
        assert "Traceback" not in result.stderr


def test_up_with_an_invalid_config_lists_every_problem(minprow: RunMinprow, tmp_path: Path) -> None:
    result = minprow("up", "--job-config-path", "fixtures/cli/bad-jobs", "--state-dir", tmp_path)
    assert result.returncode == 1
    assert 'job "nightly": field "interval"' in result.stderr
    assert result.stderr.splitlines()[-1] == "config is invalid: 3 problems"
    assert not (tmp_path / "prowjobs.db").exists()

"""config-updater in the embedded mode: ConfigMaps as minprow's own config directories
(config_updater/targets.py's `LocalConfigMaps`), on real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from minprow.hook.plugins.config_updater import ConfigMapID, KeyContent, LocalConfigMaps

JOBS = ConfigMapID("job-config", "default", "default")


@pytest.fixture
def jobs(tmp_path: Path) -> Path:
    (tmp_path / "jobs" / "team-a").mkdir(parents=True)
    (tmp_path / "jobs" / "team-a" / "a.yaml").write_text("old a\n")
    (tmp_path / "jobs" / "top.yaml").write_text("old top\n")
    return tmp_path / "jobs"


async def test_keys_become_files_and_the_same_content_changes_nothing(jobs: Path) -> None:
    target = LocalConfigMaps({"job-config": jobs})
    contents = [
        KeyContent("top.yaml", "jobs/top.yaml", b"new top\n"),
        KeyContent("new.yaml", "jobs/new.yaml", b"n\n"),
    ]
    applied = await target.apply(JOBS, contents, "12345")
    assert applied is not None
    assert applied.changed
    assert (jobs / "top.yaml").read_bytes() == b"new top\n"
    assert (jobs / "new.yaml").read_bytes() == b"n\n"
    again = await target.apply(JOBS, contents, "12345")
    assert again is not None
    assert not again.changed


async def test_a_key_kept_in_a_subdirectory_is_written_there(jobs: Path) -> None:
    target = LocalConfigMaps({"job-config": jobs})
    await target.apply(JOBS, [KeyContent("a.yaml", "config/jobs/team-a/a.yaml", b"new a\n")], "1")
    assert (jobs / "team-a" / "a.yaml").read_bytes() == b"new a\n"
    assert not (jobs / "a.yaml").exists()  # no second copy of the job beside it


async def test_a_removed_key_removes_its_file(jobs: Path) -> None:
    target = LocalConfigMaps({"job-config": jobs})
    applied = await target.apply(JOBS, [KeyContent("a.yaml", None, None)], "1")
    assert applied is not None
    assert applied.changed
    assert not (jobs / "team-a" / "a.yaml").exists()


async def test_a_configmap_with_no_directory_is_not_kept_here(jobs: Path) -> None:
    target = LocalConfigMaps({"job-config": jobs})
    other = ConfigMapID("label-config", "default", "default")
    assert await target.apply(other, [KeyContent("labels.yaml", "labels.yaml", b"x")], "1") is None


async def test_an_unwritable_directory_is_a_clear_error(jobs: Path) -> None:
    from minprow.hook.plugins.config_updater import ConfigMapError

    (jobs / "blocked").write_text("a file where a directory is wanted\n")
    target = LocalConfigMaps({"job-config": jobs / "blocked"})
    with pytest.raises(ConfigMapError, match="blocked"):
        await target.apply(JOBS, [KeyContent("x.yaml", "x.yaml", b"x")], "1")

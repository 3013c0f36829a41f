"""The config agent reloads on change and keeps the last good config on a bad one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from minprow.config.agent import ConfigAgent


def _write(path: Path, data: object, *, bump: int) -> None:
    path.write_text(yaml.safe_dump(data))
    # Same-second writes can share an mtime on coarse filesystems: move it explicitly.
    stamp = 1_700_000_000 + bump
    os.utime(path, (stamp, stamp))


def _loader(path: Path) -> object:
    def load() -> dict[str, int]:
        data = yaml.safe_load(path.read_text())
        if not isinstance(data, dict) or "jobs" not in data:
            raise ValueError(f"{path}: no jobs key")
        return data

    return load


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "jobs" / "a.yaml"
    path.parent.mkdir()
    _write(path, {"jobs": 1}, bump=0)
    return path


def test_no_change_no_reload(config_file: Path) -> None:
    agent = ConfigAgent(_loader(config_file), [config_file.parent])  # type: ignore[arg-type]
    assert not agent.reload_if_changed()
    assert agent.get() == {"jobs": 1}


async def test_a_change_reloads_and_reaches_subscribers(config_file: Path) -> None:
    agent = ConfigAgent(_loader(config_file), [config_file.parent])  # type: ignore[arg-type]
    updates = agent.subscribe()
    _write(config_file, {"jobs": 2}, bump=1)
    assert agent.reload_if_changed()
    assert agent.get() == {"jobs": 2}
    assert updates.get_nowait() == {"jobs": 2}


def test_a_new_file_in_the_directory_triggers_a_reload(config_file: Path) -> None:
    agent = ConfigAgent(_loader(config_file), [config_file.parent])  # type: ignore[arg-type]
    _write(config_file.parent / "b.yml", {"other": 1}, bump=2)
    assert agent.reload_if_changed()


def test_a_bad_config_keeps_the_last_good_one(config_file: Path) -> None:
    agent = ConfigAgent(_loader(config_file), [config_file.parent])  # type: ignore[arg-type]
    _write(config_file, {"nothing": 0}, bump=3)
    assert not agent.reload_if_changed()
    assert agent.get() == {"jobs": 1}
    assert agent.last_error is not None
    assert "no jobs key" in agent.last_error
    _write(config_file, {"jobs": 5}, bump=4)
    assert agent.reload_if_changed()
    assert agent.get() == {"jobs": 5}
    assert agent.last_error is None


def test_a_watched_file_that_appears_later_triggers_a_reload(config_file: Path) -> None:
    """A plugins.yaml created while minprow runs is picked up."""
    plugins = config_file.parent.parent / "plugins.yaml"
    agent = ConfigAgent(_loader(config_file), [config_file.parent, plugins])  # type: ignore[arg-type]
    assert not agent.reload_if_changed()
    _write(plugins, {"plugins": {}}, bump=5)
    assert agent.reload_if_changed()
    plugins.unlink()
    assert agent.reload_if_changed()

"""`minprow up` finds config.yaml, jobs/ and plugins.yaml when no flag names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from minprow.runtime.defaults import discover


@pytest.mark.parametrize(
    ("present", "flags", "expected"),
    [
        (["config.yaml", "jobs"], {}, ("config.yaml", "jobs", None)),
        (["config.yaml", "jobs", "plugins.yaml"], {}, ("config.yaml", "jobs", "plugins.yaml")),
        ([], {}, (None, None, None)),
        (["config.yaml", "jobs"], {"job_config_path": "elsewhere"}, (None, "elsewhere", None)),
    ],
    ids=["config-and-jobs", "all-three", "nothing-there", "explicit-flag-wins"],
)
def test_discover(
    tmp_path: Path,
    present: list[str],
    flags: dict[str, str],
    expected: tuple[str | None, str | None, str | None],
) -> None:
    for name in present:
        if name.endswith(".yaml"):
            (tmp_path / name).write_text("{}\n")
        else:
            (tmp_path / name).mkdir()
    given = {key: Path(value) for key, value in flags.items()}
    paths = discover(
        given.get("config_path"), given.get("job_config_path"), given.get("plugin_config"), tmp_path
    )
    want = tuple(
        None if name is None else (Path(name) if name in flags.values() else tmp_path / name)
        for name in expected
    )
    assert paths.args() == want


@pytest.mark.parametrize(
    ("flags", "awaited"),
    [({}, True), ({"config_path": "config.yaml"}, False)],
    ids=["found-by-discovery", "explicit-flags-mean-those-files"],
)
def test_a_missing_plugins_yaml_is_awaited(
    tmp_path: Path, flags: dict[str, str], awaited: bool
) -> None:
    """Without flags, ./plugins.yaml is watched for and read once it appears."""
    (tmp_path / "config.yaml").write_text("{}\n")
    given = {key: tmp_path / value for key, value in flags.items()}
    paths = discover(given.get("config_path"), None, None, tmp_path)
    assert paths.args()[2] is None
    (tmp_path / "plugins.yaml").write_text("plugins: {}\n")
    assert paths.args()[2] == (tmp_path / "plugins.yaml" if awaited else None)
    assert (tmp_path / "plugins.yaml" in paths.watched()) is awaited

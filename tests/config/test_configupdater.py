"""plugins.yaml's `config_updater` (minprow/config/configupdater.py) against Prow's
TestValidateConfigUpdater and TestConfigUpdaterResolve, from
fixtures/config/config_updater.yaml; then a refusal as `check-config` reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.config import ConfigError, load_config
from minprow.config.configupdater import ConfigUpdater, problems

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config"
CASES = yaml.safe_load((FIXTURES / "config_updater.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validate_and_resolve(case: dict[str, Any]) -> None:
    updater = ConfigUpdater.model_validate(case["section"])
    refused = [where.removeprefix("config_updater.maps.") for where, _ in problems(updater)]
    assert refused == case["refused"]
    for glob, clusters in (case.get("resolved") or {}).items():
        assert updater.resolved()[glob].clusters == clusters


def test_a_refusal_is_a_load_error_naming_the_entry(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins.yaml"
    plugins.write_text(yaml.safe_dump({"config_updater": CASES[1]["section"]}))
    config = tmp_path / "config.yaml"
    config.write_text("{}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(config, None, plugins)
    (problem,) = raised.value.problems
    assert problem.field == "config_updater.maps.somewhere/else/plugins.yaml"
    assert "plugins.yaml" in problem.message

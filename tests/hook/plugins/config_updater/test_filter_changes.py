"""Which ConfigMap keys a merge's changed files update (config_updater/changes.py).

Prow's TestFilterChangesWithACLs and the namespace defaulting of its
TestHandleDefaultNamespace, from fixtures/hook/config_updater/filter_changes.yaml;
each expected ConfigMap is `name@namespace@cluster` with the keys it gets.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.config.configupdater import ConfigUpdater
from minprow.github.types import PullRequestChange
from minprow.hook.plugins.config_updater import filter_changes

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "hook" / "config_updater"
CASES = yaml.safe_load((FIXTURES / "filter_changes.yaml").read_text())


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_filter_changes(case: dict[str, Any]) -> None:
    updater = ConfigUpdater.model_validate(case["config"])
    changes = [PullRequestChange.model_validate(c) for c in case["changes"]]
    found = filter_changes(updater, changes, "default", case["repo"])
    actual = {
        f"{cm.name}@{cm.namespace}@{cm.cluster}": [u.key for u in updates]
        for cm, updates in found.items()
    }
    assert actual == case["expected"]


DEFAULTS = [
    pytest.param(
        {}, {"config/prow/config.yaml": "config", "config/prow/plugins.yaml": "plugins"}, id="none"
    ),
    pytest.param({"maps": {"a/*.yaml": {"name": "a"}}}, {"a/*.yaml": "a"}, id="given"),
]


@pytest.mark.parametrize(("section", "names"), DEFAULTS)
def test_prow_defaults(section: dict[str, Any], names: dict[str, str]) -> None:
    """Prow's `SetDefaults`: config and plugins when no maps; the default cluster's
    default namespace for an entry naming none."""
    updater = ConfigUpdater.model_validate(section)
    assert {glob: spec.name for glob, spec in updater.maps.items()} == names
    assert all(spec.clusters == {"default": [""]} for spec in updater.maps.values())

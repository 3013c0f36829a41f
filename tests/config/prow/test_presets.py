"""Presets as Prow's own tables say: which apply, what they add, what conflicts.

The cases are Prow's (fixtures/config/prow/presets.yaml), run through minprow's
preset merging (minprow.config.presets) and through loading a whole config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from prow_cases import cases, ids, write_configs

from minprow.config import Preset, load_config
from minprow.config.presets import merge_presets


@pytest.mark.parametrize(
    "case", cases("presets", "merge_preset"), ids=ids("presets", "merge_preset")
)
def test_merge_preset(case: dict[str, Any]) -> None:
    presets = [Preset.model_validate(p) for p in case["presets"]]
    spec, conflicts = merge_presets(case["pod"], case["labels"], presets)
    assert bool(conflicts) is case.get("error", False), conflicts
    if conflicts:
        return
    assert spec is not None
    containers = spec.get("containers") or []
    assert len(spec.get("volumes") or ()) == case.get("volumes", 0)
    assert len(spec.get("tolerations") or ()) == case.get("tolerations", 0)
    assert [len(c.get("env") or ()) for c in containers] == [case.get("env", 0)] * len(containers)
    assert [len(c.get("volumeMounts") or ()) for c in containers] == [
        case.get("volume_mounts", 0)
    ] * len(containers)


@pytest.mark.parametrize("case", cases("presets", "loading"), ids=ids("presets", "loading"))
def test_presets_when_loading(case: dict[str, Any], tmp_path: Path) -> None:
    config = load_config(*write_configs(tmp_path, case["prow_config"], case["job_configs"]))
    jobs = {
        j.name: j for j in [*config.all_presubmits(), *config.all_postsubmits(), *config.periodics]
    }
    env = {name: (jobs[name].spec or {})["containers"][0].get("env") for name in case["env"]}
    assert env == case["env"]

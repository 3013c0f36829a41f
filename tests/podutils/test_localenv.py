"""podutils/localenv.py: `$(VAR)` expansion against Kubernetes' own table
(third_party/forked/golang/expansion/expand_test.go, ported to
fixtures/podutils/local/expand_test.yaml), and a container's environment as the
kubelet builds it, from local Secret and ConfigMap folders
(fixtures/podutils/local/localenv.yaml)."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from local_tables import params, table

from minprow.podutils.downward import HostFacts, PodFacts
from minprow.podutils.localenv import EnvError, EnvVar, LocalContext, expand, resolve_env
from minprow.podutils.localobjects import LocalObjects

EXPAND = table("expand_test.yaml")
ENV = table("localenv.yaml")
MAPPINGS: dict[str, Mapping[str, str]] = {
    "single": EXPAND["context"],
    "dual": ChainMap(*EXPAND["context_dual"]),
}


@pytest.mark.parametrize("mapping", list(MAPPINGS), ids=["TestMapping", "TestMappingDual"])
@pytest.mark.parametrize("case", params(EXPAND["cases"]))
def test_expansion_as_kubernetes_expands(case: dict[str, str], mapping: str) -> None:
    assert expand(case["input"], MAPPINGS[mapping]) == case["expected"]


def test_map_reference() -> None:
    table = EXPAND["map_reference"]
    declared = dict(table["declared"])
    for env in table["envs"]:
        declared[env["name"]] = expand(env["value"], declared)
    assert declared == table["expected"]


def write_objects(root: Path, objects: dict[str, dict[str, dict[str, str]]]) -> LocalObjects:
    """LocalObjects under `root` holding `objects` (kind folder -> name -> key -> value)."""
    for kind, named in objects.items():
        for name, data in named.items():
            (root / kind / name).mkdir(parents=True)
            for key, text in data.items():
                (root / kind / name / key).write_text(text)
    return LocalObjects(root / "secrets", root / "configmaps")


def env_vars(raw: list[dict[str, Any]]) -> list[EnvVar]:
    """A pod spec's env entries as the plan holds them."""
    return [
        EnvVar(e["name"], value_from=e["valueFrom"])
        if e.get("valueFrom")
        else EnvVar(e["name"], str(e.get("value", "")))
        for e in raw
    ]


@pytest.fixture
def ctx(tmp_path: Path) -> LocalContext:
    return LocalContext(
        write_objects(tmp_path, ENV["objects"]),
        PodFacts(**ENV["pod"]),
        HostFacts(**ENV["host"]),
        ENV["resources"],
    )


def _folders(ctx: LocalContext) -> dict[str, Path]:
    return {"secrets": ctx.objects.secrets_dir, "configmaps": ctx.objects.configmaps_dir}


SECRET_VALUES = [v for data in ENV["objects"]["secrets"].values() for v in data.values()]


@pytest.mark.parametrize("case", params(ENV["cases"]))
def test_environment(ctx: LocalContext, case: dict[str, Any]) -> None:
    resolved = resolve_env(
        "test", list(case.get("envFrom") or []), env_vars(case.get("env") or []), ctx
    )
    assert resolved.values == case["expected"]
    assert resolved.secret == set(case.get("secret") or [])
    expected_missing = [line.format(**_folders(ctx)) for line in case.get("missing") or []]
    assert ctx.missing == expected_missing
    assert not [v for v in SECRET_VALUES for line in ctx.missing + ctx.notes if v in line]


def test_map_reference_through_the_kubelets_env(ctx: LocalContext) -> None:
    table = EXPAND["map_reference"]
    assert resolve_env("test", [], env_vars(table["envs"]), ctx).values == table["expected"]


@pytest.mark.parametrize("case", params(ENV["errors"]))
def test_environment_the_kubelet_refuses(ctx: LocalContext, case: dict[str, Any]) -> None:
    with pytest.raises(EnvError) as raised:
        resolve_env("test", [], env_vars(case["env"]), ctx)
    assert str(raised.value).startswith(case["error"])

"""podutils/localvolumes.py: each pod volume kind as a local source, and each
volumeMount as a local mount (fixtures/podutils/local/localvolumes.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from local_tables import params, table

from minprow.podutils.downward import HostFacts, PodFacts
from minprow.podutils.localenv import LocalContext
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.localvolumes import (
    LocalMount,
    LocalVolume,
    VolumeError,
    local_mounts,
    local_volumes,
)

TABLES = table("localvolumes.yaml")
SECRET_VALUES = [v for data in TABLES["objects"]["secrets"].values() for v in data.values()]


@pytest.fixture
def ctx(tmp_path: Path) -> LocalContext:
    for kind, named in TABLES["objects"].items():
        for name, data in named.items():
            (tmp_path / kind / name).mkdir(parents=True)
            for key, text in data.items():
                (tmp_path / kind / name / key).write_text(text)
    return LocalContext(
        LocalObjects(tmp_path / "secrets", tmp_path / "configmaps"),
        PodFacts(**TABLES["pod"]),
        HostFacts(**TABLES["host"]),
        TABLES["resources"],
    )


def _lines(lines: list[str], ctx: LocalContext) -> list[str]:
    folders = {"secrets": ctx.objects.secrets_dir, "configmaps": ctx.objects.configmaps_dir}
    return [line.format(**folders) for line in lines]


@pytest.mark.parametrize("case", params(TABLES["volumes"]))
def test_volume_kinds(ctx: LocalContext, case: dict[str, Any]) -> None:
    raw = {"name": "v", **case["volume"]}
    if "error" in case:
        with pytest.raises(VolumeError) as raised:
            local_volumes([raw], ctx)
        assert str(raised.value).startswith(case["error"])
        return
    [volume] = local_volumes([raw], ctx)
    expected = dict(case["expected"])
    files = [(f.path, f.content.decode(), f.mode) for f in volume.files]
    assert files == [tuple(f) for f in expected.pop("files", [])]
    assert volume == LocalVolume("v", files=volume.files, **expected)
    assert (ctx.missing, ctx.notes) == (
        _lines(case.get("missing") or [], ctx),
        case.get("notes") or [],
    )
    said = [*ctx.missing, *ctx.notes, volume.describe]
    assert not [v for v in SECRET_VALUES for line in said if v in line]


@pytest.mark.parametrize("case", params(TABLES["mounts"]))
def test_volume_mounts(ctx: LocalContext, case: dict[str, Any]) -> None:
    volumes = {v.name: v for v in local_volumes(TABLES["mount_volumes"], ctx)}
    if "error" in case:
        with pytest.raises(VolumeError) as raised:
            local_mounts("test", [case["mount"]], volumes)
        assert str(raised.value) == case["error"]
    else:
        assert local_mounts("test", [case["mount"]], volumes) == [LocalMount(**case["expected"])]

"""The cluster mapping of `up`: every cluster on the default executor, `--cluster NAME=KIND`
routes one elsewhere, one executor per kind, each with its own workspaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import VirtualClock

from minprow.runtime.engines import EngineError, cluster_map


def test_routes_send_named_clusters_to_their_kind_and_the_rest_to_the_default(
    tmp_path: Path, busybox_image: str
) -> None:
    clusters = cluster_map(
        "docker", ["gpu=host", "arm=host"], tmp_path, tmp_path / "artifacts", VirtualClock()
    )
    docker, host = clusters.get("default"), clusters.get("gpu")
    assert docker is not None
    assert host is not None
    assert (docker.name, host.name) == ("docker", "host")
    assert clusters.get("arm") is host  # one executor per kind
    assert clusters.get("build01") is docker
    assert sorted(clusters) == ["arm", "gpu"]


@pytest.mark.parametrize(
    "route", ["gpu", "gpu=kubernetes", "=host"], ids=["no-kind", "unknown-kind", "no-name"]
)
def test_a_bad_route_is_an_error_naming_it(tmp_path: Path, route: str) -> None:
    with pytest.raises(EngineError, match=f"--cluster '{route}': expected NAME=KIND"):
        cluster_map("host", [route], tmp_path, tmp_path, VirtualClock())

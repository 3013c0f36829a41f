"""Which executors a sinker pass sweeps, and where orphans may be removed."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sinker_fakes import RecordingExecutor

from minprow.executors.clusters import ClusterMap
from minprow.sinker import Executors, targets

A = RecordingExecutor(name="docker")
B = RecordingExecutor(name="host")

CASES: list[tuple[str, Callable[[], Executors], list[str], list[tuple[str, bool]]]] = [
    # (id, executors, exclude_clusters, expected (key, orphans allowed))
    ("mapping/shared-executor-once", lambda: {"default": A, "build01": A, "gpu": B}, [], [("docker(build01,default)", True), ("host(gpu)", True)]),
    ("mapping/wholly-excluded-skipped", lambda: {"default": A, "gpu": B}, ["gpu"], [("docker(default)", True)]),
    ("mapping/partly-excluded-keeps-orphans", lambda: {"default": A, "build01": A}, ["build01"], [("docker(build01,default)", False)]),
    ("mapping/unknown-exclusion-is-harmless", lambda: {"default": A}, ["elsewhere"], [("docker(default)", True)]),
    ("cluster-map/fallback", lambda: ClusterMap(fallback=A), [], [("docker(*)", True)]),
    ("cluster-map/fallback-runs-the-excluded", lambda: ClusterMap(fallback=A), ["trusted"], [("docker(*)", False)]),
    ("cluster-map/excluded-routed-elsewhere", lambda: ClusterMap({"trusted": B}, fallback=A), ["trusted"], [("docker(*)", True)]),
    ("cluster-map/route-and-fallback-once", lambda: ClusterMap({"default": A}, fallback=A), [], [("docker(*,default)", True)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("executors", "exclude", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_targets(
    executors: Callable[[], Executors], exclude: list[str], expected: list[tuple[str, bool]]
) -> None:
    found = targets(executors(), exclude)
    assert sorted((t.key, t.orphans_allowed) for t in found) == expected

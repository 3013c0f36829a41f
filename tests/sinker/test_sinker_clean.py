"""Sinker's pure step, case by case, as Prow's cmd/sinker `clean()` decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fakes import T0
from sinker_fakes import J, periodic

from minprow.config import Config
from minprow.executors.base import Managed, Phase
from minprow.model import ProwJobState
from minprow.sinker import Resource, plan_cleanup

NOW = T0
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

Load = Callable[[str], Config]
R = tuple[str, str, bool, bool, Phase]
"""A managed resource: (executor, ProwJob name, orphans allowed, an orphan in the
previous pass too, its phase)."""


def on(
    executor: str,
    *names: str,
    orphans: bool = True,
    seen: bool = True,
    phase: Phase = Phase.SUCCEEDED,
) -> list[R]:
    return [(executor, name, orphans, seen, phase) for name in names]


CASES: list[tuple[str, str, list[J], list[R], list[tuple[str, str]], list[tuple[str, str, str]]]] = [
    # (id, config, jobs, resources, deleted (name, reason), cleaned (executor, name, reason))
    ("job/aged", "defaults", [J("a", 8 * D, 8 * D)], [], [("a", "aged")], []),
    ("job/young", "defaults", [J("a", 6 * D, 6 * D)], [], [], []),
    ("job/exactly-max-age-stays", "defaults", [J("a", 7 * D, 6 * D)], [], [], []),
    ("job/age-counts-from-start", "defaults", [J("a", 8 * D, H)], [], [("a", "aged")], []),
    ("job/failed-too", "defaults", [J("a", 8 * D, 8 * D, state=ProwJobState.FAILURE)], [], [("a", "aged")], []),
    ("job/running-never", "defaults", [J("a", 30 * D)], [], [], []),
    ("job/aborted-not-yet-completed", "defaults", [J("a", 30 * D, state=ProwJobState.ABORTED)], [], [], []),
    ("job/completion-time-but-not-final", "defaults", [J("a", 30 * D, 29 * D, state=ProwJobState.PENDING)], [], [], []),
    ("job/max-prowjob-age-from-config", "tuned", [J("a", 49 * H, 49 * H), J("b", 47 * H, 47 * H)], [], [("a", "aged")], []),
    ("periodic/latest-run-kept", "defaults", [periodic("n1", 10 * D, 10 * D)], [], [], []),
    ("periodic/older-runs-go", "defaults", [periodic("n1", 10 * D, 10 * D), periodic("n2", 9 * D, 9 * D)], [], [("n1", "aged-periodic")], []),
    ("periodic/latest-running-previous-goes", "defaults", [periodic("n1", 10 * D, 10 * D), periodic("n2", H)], [], [("n1", "aged-periodic")], []),
    ("periodic/gone-from-config", "defaults", [periodic("x1", 10 * D, 10 * D, job="removed")], [], [("x1", "aged-periodic")], []),
    ("periodic/young-runs-stay", "defaults", [periodic("n1", 2 * D, 2 * D), periodic("n2", D, D)], [], [], []),
    ("resource/aged", "defaults", [J("a", 25 * H, 2 * H, pending=25 * H)], on("e", "a"), [], [("e", "a", "aged")]),
    ("resource/aged-from-start-without-pending-time", "defaults", [J("a", 25 * H, 2 * H)], on("e", "a"), [], [("e", "a", "aged")]),
    ("resource/finished-recently", "defaults", [J("a", 3 * H, 2 * H, pending=3 * H)], on("e", "a"), [], []),
    ("resource/running-never", "defaults", [J("a", 48 * H, pending=48 * H)], on("e", "a"), [], []),
    ("orphan/ended-and-seen-before", "defaults", [], on("e", "ghost"), [], [("e", "ghost", "orphaned")]),
    ("orphan/failed", "defaults", [], on("e", "ghost", phase=Phase.FAILED), [], [("e", "ghost", "orphaned")]),
    ("orphan/first-seen-waits-a-pass", "defaults", [], on("e", "ghost", seen=False), [], []),
    ("orphan/running-waits-to-end", "defaults", [], on("e", "ghost", phase=Phase.RUNNING), [], []),
    ("orphan/pending-waits-to-end", "defaults", [], on("e", "ghost", phase=Phase.PENDING), [], []),
    ("orphan/of-a-partly-excluded-executor", "defaults", [], on("e", "ghost", orphans=False), [], []),
    ("orphan/seen-on-another-executor-only", "defaults", [], on("e", "ghost", seen=False) + on("f", "ghost"), [], [("f", "ghost", "orphaned")]),
    ("resource/of-a-job-deleted-now", "defaults", [J("a", 8 * D, 8 * D, pending=8 * D)], on("e", "a", seen=False), [("a", "aged")], [("e", "a", "orphaned")]),
    ("resource/listed-twice-cleaned-once", "defaults", [], on("e", "ghost", "ghost"), [], [("e", "ghost", "orphaned")]),
    ("resource/on-two-executors", "defaults", [], on("e", "ghost") + on("f", "ghost"), [], [("e", "ghost", "orphaned"), ("f", "ghost", "orphaned")]),
    ("tuned/ttled", "tuned", [J("a", 3 * H, 2 * H, pending=3 * H)], on("e", "a"), [], [("e", "a", "ttled")]),
    ("tuned/exactly-ttl-stays", "tuned", [J("a", 3 * H, H, pending=3 * H)], on("e", "a"), [], []),
    ("tuned/within-ttl", "tuned", [J("a", 3 * H, 30 * M, pending=3 * H)], on("e", "a"), [], []),
    ("tuned/aged-before-ttl", "tuned", [J("a", 13 * H, 30 * M, pending=13 * H)], on("e", "a"), [], [("e", "a", "aged")]),
    ("tuned/excluded-cluster-keeps-resources", "tuned", [J("a", 3 * H, 2 * H, cluster="trusted")], on("e", "a"), [], []),
    ("tuned/excluded-cluster-jobs-still-age", "tuned", [J("a", 3 * D, 3 * D, cluster="trusted")], on("e", "a"), [("a", "aged")], []),
    ("tuned/other-clusters-cleaned", "tuned", [J("a", 3 * H, 2 * H, cluster="build01")], on("e", "a"), [], [("e", "a", "ttled")]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("config", "jobs", "resources", "deleted", "cleaned"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_plan_cleanup_like_prow(
    load: Load,
    config: str,
    jobs: list[J],
    resources: list[R],
    deleted: list[tuple[str, str]],
    cleaned: list[tuple[str, str, str]],
) -> None:
    loaded = load(config)
    managed = [Resource(e, Managed(name, phase), ok) for e, name, ok, _, phase in resources]
    plan = plan_cleanup(
        [job.build(NOW) for job in jobs],
        managed,
        loaded.sinker,
        NOW,
        active_periodics={p.name for p in loaded.periodics},
        orphans_seen={(e, name) for e, name, _, seen, _ in resources if seen},
    )
    assert sorted((d.name, d.reason.value) for d in plan.delete_prowjobs) == sorted(deleted)
    assert sorted(
        (c.executor, c.prowjob, c.reason.value) for c in plan.cleanup_resources
    ) == sorted(cleaned)


def test_deletions_carry_the_judged_resource_version(load: Load) -> None:
    job = J("a", 8 * D, 8 * D).build(NOW)
    job.metadata.resource_version = "41"
    plan = plan_cleanup([job], [], load("defaults").sinker, NOW, active_periodics=())
    [deletion] = plan.delete_prowjobs
    assert (deletion.name, deletion.resource_version, deletion.job) == ("a", "41", job)


def test_without_active_periodics_every_old_run_may_go(load: Load) -> None:
    runs = [periodic("n1", 10 * D, 10 * D).build(NOW)]
    kept = plan_cleanup(runs, [], load("defaults").sinker, NOW, active_periodics={"nightly"})
    gone = plan_cleanup(runs, [], load("defaults").sinker, NOW, active_periodics=())
    assert (len(kept.delete_prowjobs), len(gone.delete_prowjobs)) == (0, 1)


def test_every_orphan_is_remembered_for_the_next_pass(load: Load) -> None:
    resources = [
        Resource("e", Managed("ghost", Phase.RUNNING)),
        Resource("e", Managed("a", Phase.SUCCEEDED)),
        Resource("f", Managed("ghost", Phase.SUCCEEDED), orphans_allowed=False),
    ]
    plan = plan_cleanup(
        [J("a", H, H).build(NOW)], resources, load("defaults").sinker, NOW, active_periodics=()
    )
    assert plan.orphans == {("e", "ghost"), ("f", "ghost")}
    assert plan.cleanup_resources == []

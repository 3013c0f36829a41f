"""Test parts for the TUI app: a fixed, varied set of ProwJobs and a started store.

The jobs are made by minprow's one factory (`pjutil.new_prowjob`) at fixed
times around `fakes.T0`, so tables, durations and snapshots are the same on
every run when the app's clock is frozen at `NOW`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fakes import T0

from minprow import pjutil
from minprow.model import ProwJob, ProwJobSpec, ProwJobState, ProwJobType, Pull, Refs

NOW = T0 + timedelta(hours=2)
"""The frozen "now" of the app under test: two hours after the virtual epoch."""


@dataclass(frozen=True)
class Spec:
    """One job of the set, in the words of the table."""

    name: str
    job: str
    type: ProwJobType
    state: ProwJobState
    repo: str = "kubernetes/test-infra"
    pr: int | None = None
    author: str = ""
    cluster: str | None = None
    started_ago: timedelta = timedelta(minutes=5)
    ran_for: timedelta | None = None
    """None: still running (or waiting); else it completed after this long."""


def make_job(spec: Spec, now: datetime = NOW) -> ProwJob:
    org, repo = spec.repo.split("/")
    pulls = [Pull(number=spec.pr, author=spec.author, sha=f"{spec.pr:040x}")] if spec.pr else None
    refs = Refs(org=org, repo=repo, base_ref="main", base_sha="b" * 40, pulls=pulls)
    job = pjutil.new_prowjob(
        ProwJobSpec(type=spec.type, job=spec.job, cluster=spec.cluster, refs=refs),
        now=now - spec.started_ago,
        namespace="default",
        name=spec.name,
    )
    # Created when it started: the store would stamp the wall clock otherwise.
    job.metadata.creation_timestamp = now - spec.started_ago
    job.status.state = spec.state
    if spec.ran_for is not None:
        job.status.completion_time = now - spec.started_ago + spec.ran_for
    elif spec.state is not ProwJobState.TRIGGERED:
        job.status.pending_time = now - spec.started_ago
    return job


def m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


P, S, PER, B = (
    ProwJobType.PRESUBMIT,
    ProwJobType.POSTSUBMIT,
    ProwJobType.PERIODIC,
    ProwJobType.BATCH,
)
ST = ProwJobState

SPECS: tuple[Spec, ...] = (
    Spec("j01", "pull-unit", P, ST.PENDING, pr=101, author="alice", started_ago=m(3)),
    Spec("j02", "pull-e2e-gce", P, ST.TRIGGERED, pr=101, author="alice", started_ago=m(1)),
    Spec(
        "j03", "pull-verify", P, ST.SUCCESS, pr=101, author="alice", started_ago=m(9), ran_for=m(4)
    ),
    Spec("j04", "pull-unit", P, ST.FAILURE, pr=102, author="bob", started_ago=m(20), ran_for=m(6)),
    Spec(
        "j05",
        "pull-e2e-gce",
        P,
        ST.ERROR,
        pr=102,
        author="bob",
        cluster="build01",
        started_ago=m(25),
        ran_for=m(1),
    ),
    Spec(
        "j06",
        "post-release",
        S,
        ST.SUCCESS,
        repo="kubernetes/kubernetes",
        started_ago=m(40),
        ran_for=m(12),
    ),
    Spec(
        "j07",
        "ci-nightly",
        PER,
        ST.ABORTED,
        repo="kubernetes/kubernetes",
        cluster="build01",
        started_ago=m(55),
        ran_for=m(30),
    ),
    Spec(
        "j08", "pull-unit", B, ST.SUCCESS, pr=103, author="carol", started_ago=m(70), ran_for=m(5)
    ),
    Spec(
        "j09",
        "pull-lint",
        P,
        ST.PENDING,
        repo="kubernetes/kubernetes",
        pr=200,
        author="dave",
        cluster="build02",
        started_ago=m(95),
    ),
    Spec(
        "j10",
        "ci-periodic-scale",
        PER,
        ST.FAILURE,
        repo="kubernetes/kubernetes",
        cluster="build02",
        started_ago=m(110),
        ran_for=m(62),
    ),
)
"""Ten jobs: every state, every type, three repos' worth of PRs, three clusters."""


def jobs() -> list[ProwJob]:
    return [make_job(spec) for spec in SPECS]

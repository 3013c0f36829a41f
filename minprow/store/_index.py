"""The JobStore's in-memory index: ProwJobs by name, plus secondary indexes.

Like a client-go indexer (Prow's informers index ProwJobs the same way), it keeps
buckets by state, job name, type, org/repo, org/repo + PR number and build
cluster, so a filtered list costs the size of its smallest bucket, not the size
of the store. The keys an object was filed under are recorded with it, so removal
never depends on the (shared, possibly mutated by a careless caller) object.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from minprow.model import ProwJob


class _Keys(NamedTuple):
    state: str
    job: str
    type: str
    org_repo: str | None
    pulls: tuple[str, ...]
    cluster: str


def _pull_key(org_repo: str, number: int) -> str:
    return f"{org_repo}#{number}"


def _keys(job: ProwJob) -> _Keys:
    refs = job.spec.refs
    org_repo = refs.org_repo if refs is not None else None
    pulls: tuple[str, ...] = ()
    if refs is not None and refs.pulls:
        pulls = tuple(_pull_key(refs.org_repo, pull.number) for pull in refs.pulls)
    return _Keys(
        job.status.state.value,
        job.spec.job,
        job.spec.type.value,
        org_repo,
        pulls,
        job.spec.cluster_alias,
    )


_Bucket = dict[str, ProwJob]
_Index = dict[str, _Bucket]


class JobIndex:
    """Name -> ProwJob with secondary indexes; every operation is O(1) or O(result)."""

    def __init__(self) -> None:
        self._jobs: dict[str, tuple[ProwJob, _Keys]] = {}
        self._by_state: _Index = {}
        self._by_job: _Index = {}
        self._by_type: _Index = {}
        self._by_repo: _Index = {}
        self._by_pull: _Index = {}
        self._by_cluster: _Index = {}

    def __len__(self) -> int:
        return len(self._jobs)

    def get(self, name: str) -> ProwJob | None:
        entry = self._jobs.get(name)
        return entry[0] if entry is not None else None

    def all(self) -> list[ProwJob]:
        return [job for job, _ in self._jobs.values()]

    def put(self, job: ProwJob) -> None:
        name = job.metadata.name
        self.remove(name)
        keys = _keys(job)
        self._jobs[name] = (job, keys)
        for index, key in self._filed(keys):
            index.setdefault(key, {})[name] = job

    def remove(self, name: str) -> ProwJob | None:
        entry = self._jobs.pop(name, None)
        if entry is None:
            return None
        for index, key in self._filed(entry[1]):
            bucket = index[key]
            del bucket[name]
            if not bucket:
                del index[key]
        return entry[0]

    def replace_all(self, jobs: Iterable[ProwJob]) -> None:
        self._jobs.clear()
        for index in (
            self._by_state,
            self._by_job,
            self._by_type,
            self._by_repo,
            self._by_pull,
            self._by_cluster,
        ):
            index.clear()
        for job in jobs:
            self.put(job)

    def select(
        self,
        *,
        state: str | None,
        job: str | None,
        type: str | None,
        org_repo: str | None,
        pull: int | None,
        cluster: str | None,
    ) -> list[ProwJob]:
        """The jobs matching every given filter, in no particular order."""
        wanted = _Keys(state or "", job or "", type or "", org_repo, (), cluster or "")
        buckets: list[_Bucket] = []
        for index, key in (
            (self._by_state, state),
            (self._by_job, job),
            (self._by_type, type),
            (self._by_cluster, cluster),
        ):
            if key is not None:
                buckets.append(index.get(key, {}))
        if pull is not None:
            if org_repo is None:
                raise ValueError("a pull request number needs org_repo to go with it")
            buckets.append(self._by_pull.get(_pull_key(org_repo, pull), {}))
        elif org_repo is not None:
            buckets.append(self._by_repo.get(org_repo, {}))
        if not buckets:
            return self.all()
        smallest = min(buckets, key=len)
        if len(buckets) == 1:
            return list(smallest.values())
        return [
            j for name, j in smallest.items() if self._matches(self._jobs[name][1], wanted, pull)
        ]

    @staticmethod
    def _matches(keys: _Keys, wanted: _Keys, pull: int | None) -> bool:
        return (
            (not wanted.state or keys.state == wanted.state)
            and (not wanted.job or keys.job == wanted.job)
            and (not wanted.type or keys.type == wanted.type)
            and (not wanted.cluster or keys.cluster == wanted.cluster)
            and (wanted.org_repo is None or keys.org_repo == wanted.org_repo)
            and (pull is None or _pull_key(wanted.org_repo or "", pull) in keys.pulls)
        )

    def _filed(self, keys: _Keys) -> list[tuple[_Index, str]]:
        filed = [
            (self._by_state, keys.state),
            (self._by_job, keys.job),
            (self._by_type, keys.type),
            (self._by_cluster, keys.cluster),
        ]
        if keys.org_repo is not None:
            filed.append((self._by_repo, keys.org_repo))
        filed.extend((self._by_pull, pull) for pull in keys.pulls)
        return filed

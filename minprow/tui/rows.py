"""One table row per ProwJob, and the sorted, filtered job list behind the table.

Deck renders its job list from `/prowjobs.js` every few seconds (Prow's
pkg/deck/static/prow/prow.ts); the TUI instead keeps this index and applies each
change of the feed to it, so a change costs a bisect, not a redraw of every job.
`JobList` holds every row newest first, the rows the filter lets through, and the
counts the summary header shows, all kept current one event at a time.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from minprow.model import ProwJob, ProwJobState
from minprow.tui.filtering import JobFilter

STATE_LOOK: dict[ProwJobState, tuple[str, str]] = {
    ProwJobState.SCHEDULING: ("◌", "grey62"),
    ProwJobState.TRIGGERED: ("◌", "cyan"),
    ProwJobState.PENDING: ("●", "yellow"),
    ProwJobState.SUCCESS: ("✓", "green"),
    ProwJobState.FAILURE: ("✗", "red"),
    ProwJobState.ABORTED: ("⊘", "magenta"),
    ProwJobState.ERROR: ("!", "bright_red"),
}
"""The symbol and colour of each state: the colour for the eye, the symbol for
terminals (and people) without colour."""


def format_elapsed(seconds: float) -> str:
    """A duration as Deck prints it, coarse to fine: `12s`, `3m05s`, `1h02m`."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


@dataclass(frozen=True, slots=True)
class JobRow:
    """What the table shows of one job, computed once per change of the job."""

    job: ProwJob
    name: str
    job_name: str
    type: str
    state: ProwJobState
    org_repo: str
    pr: int | None
    author: str
    base_ref: str
    cluster: str
    started: datetime | None
    completed: datetime | None
    haystack: str
    """Lower-cased job name, repo, author and `#PR`: what free text searches."""
    sort_key: tuple[float, str]

    @classmethod
    def of(cls, job: ProwJob) -> JobRow:
        refs = job.spec.refs
        pull = refs.pulls[0] if refs is not None and refs.pulls else None
        org_repo = refs.org_repo if refs is not None else ""
        started = job.status.start_time or job.metadata.creation_timestamp
        pr = pull.number if pull is not None else None
        author = pull.author if pull is not None else ""
        haystack = " ".join(
            part for part in (job.spec.job, org_repo, author, f"#{pr}" if pr else "") if part
        ).lower()
        # Newest first; a job without a start time is brand new, so it goes on top.
        stamp = started.timestamp() if started is not None else float("inf")
        return cls(
            job=job,
            name=job.metadata.name,
            job_name=job.spec.job,
            type=str(job.spec.type),
            state=job.status.state,
            org_repo=org_repo,
            pr=pr,
            author=author,
            base_ref=(refs.base_ref or "") if refs is not None else "",
            cluster=job.spec.cluster_alias,
            started=started,
            completed=job.status.completion_time,
            haystack=haystack,
            sort_key=(-stamp, job.metadata.name),
        )

    @property
    def running(self) -> bool:
        return not self.state.is_final and self.completed is None

    def where(self) -> str:
        """Repo and PR (`org/repo#12`), or repo and base ref for postsubmits and periodics."""
        if not self.org_repo:
            return ""
        if self.pr is not None:
            return f"{self.org_repo}#{self.pr}"
        return f"{self.org_repo}@{self.base_ref}" if self.base_ref else self.org_repo

    def duration(self, now: datetime) -> str:
        if self.started is None:
            return ""
        return format_elapsed(((self.completed or now) - self.started).total_seconds())


def _key(row: JobRow) -> tuple[float, str]:
    return row.sort_key


class JobList:
    """Every job newest first, the filtered view of them, and the summary counts."""

    def __init__(self) -> None:
        self._rows: dict[str, JobRow] = {}
        self._order: list[JobRow] = []
        self._shown: list[JobRow] = []
        self._filter = JobFilter.parse("")
        self.by_state: Counter[ProwJobState] = Counter()
        self.by_cluster: Counter[str] = Counter()

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def shown(self) -> list[JobRow]:
        """The rows the filter lets through, newest first (do not change the list)."""
        return self._shown

    @property
    def filter(self) -> JobFilter:
        return self._filter

    def get(self, name: str) -> JobRow | None:
        return self._rows.get(name)

    def rows(self) -> Iterable[JobRow]:
        return self._order

    def replace_all(self, jobs: Iterable[ProwJob]) -> None:
        rows = [JobRow.of(job) for job in jobs]
        self._rows = {row.name: row for row in rows}
        self._order = sorted(self._rows.values(), key=_key)
        self.by_state = Counter(row.state for row in self._order)
        self.by_cluster = Counter(row.cluster for row in self._order)
        self._shown = [row for row in self._order if self._filter.matches(row)]

    def set_filter(self, job_filter: JobFilter) -> None:
        self._filter = job_filter
        self._shown = [row for row in self._order if job_filter.matches(row)]

    def put(self, job: ProwJob) -> JobRow:
        """Add or replace a job; returns its new row."""
        self.remove(job.metadata.name)
        row = JobRow.of(job)
        self._rows[row.name] = row
        insort(self._order, row, key=_key)
        self.by_state[row.state] += 1
        self.by_cluster[row.cluster] += 1
        if self._filter.matches(row):
            insort(self._shown, row, key=_key)
        return row

    def remove(self, name: str) -> JobRow | None:
        row = self._rows.pop(name, None)
        if row is None:
            return None
        _discard(self._order, row)
        _discard(self._shown, row)
        self.by_state[row.state] -= 1
        self.by_cluster[row.cluster] -= 1
        # Zero counts go, so the header never lists a state or cluster with no jobs.
        if self.by_state[row.state] <= 0:
            del self.by_state[row.state]
        if self.by_cluster[row.cluster] <= 0:
            del self.by_cluster[row.cluster]
        return row

    def index_of(self, name: str) -> int | None:
        """Where the named job is among the shown rows, if it is shown."""
        row = self._rows.get(name)
        if row is None:
            return None
        at = bisect_left(self._shown, row.sort_key, key=_key)
        if at < len(self._shown) and self._shown[at].name == name:
            return at
        return None

    def pass_rate(self, now: datetime, window: timedelta = timedelta(hours=1)) -> tuple[int, int]:
        """(passed, judged) among the jobs finished within `window` before `now`.

        Judged are successes, failures and errors; aborted jobs are left out, since
        nobody's code failed, as they are left out of Deck's job-history pass rate.
        """
        since = now - window
        passed = judged = 0
        for row in self._order:
            if row.completed is None or row.completed < since:
                continue
            if row.state is ProwJobState.SUCCESS:
                passed += 1
                judged += 1
            elif row.state in (ProwJobState.FAILURE, ProwJobState.ERROR):
                judged += 1
        return passed, judged


def _discard(rows: list[JobRow], row: JobRow) -> None:
    at = bisect_left(rows, row.sort_key, key=_key)
    if at < len(rows) and rows[at].name == row.name:
        del rows[at]

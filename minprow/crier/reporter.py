"""What a reporter is to crier: a name, a `should_report` test and a `report` call.

Corresponds to Prow's `ReportClient` in pkg/crier/controller.go. A reporter
raises `PermanentReportError` for a failure that retrying cannot fix (GitHub's
422 for a commit that no longer exists, a storage bucket minprow cannot write
to): crier logs it, records the state as reported and never retries it. Any
other exception is transient and the report is retried with backoff.

A reporter that also resolves what it left behind for a ProwJob deleted before
it finished implements `DeletionReporter` as well (the GitHub reporter sets the
job's pending status to error).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from minprow.model import ProwJob


class PermanentReportError(Exception):
    """A report that can never succeed: recorded as reported, not retried."""


class Reporter(Protocol):
    @property
    def name(self) -> str:
        """The key of this reporter in `status.prev_report_states` (Prow's names)."""
        ...

    def should_report(self, job: ProwJob) -> bool:
        """Whether this reporter reports this job in its current state at all."""
        ...

    async def report(self, job: ProwJob) -> None:
        """Report the job's current state; raise to fail (see the module docstring)."""
        ...


@runtime_checkable
class DeletionReporter(Protocol):
    async def report_deleted(self, job: ProwJob) -> None:
        """Resolve what was reported for `job` (its last state), deleted before it finished."""
        ...

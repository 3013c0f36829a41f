"""Crier: reports ProwJob state changes (GitHub statuses and comments, GCS, Slack).

Corresponds to Prow's pkg/crier and cmd/crier. `run(store, reporters, clock=...)`
is the loop; the reporters, in minprow/crier/reporters/, are listed explicitly
by the caller.
"""

from minprow.crier.controller import Crier, run
from minprow.crier.reporter import DeletionReporter, PermanentReportError, Reporter

__all__ = ["Crier", "DeletionReporter", "PermanentReportError", "Reporter", "run"]

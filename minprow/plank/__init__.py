"""plank: turns ProwJobs into running processes and their results into job states.

Corresponds to Prow's pkg/plank. `Plank.reconcile` is the step; `run` is the loop.
"""

from minprow.plank.controller import run
from minprow.plank.reconciler import Plank, Result

__all__ = ["Plank", "Result", "run"]

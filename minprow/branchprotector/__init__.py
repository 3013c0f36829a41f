"""branchprotector: GitHub branch protection kept as config.yaml's `branch-protection` says.

Corresponds to Prow's cmd/branchprotector. `Protector` plans and applies,
`run_once` is the command (`minprow branchprotector [--confirm]`), `run_every`
the `serve` component.
"""

from minprow.branchprotector.enablement import Enablement, EnablementError
from minprow.branchprotector.protect import Change, Plan, Protector, summary
from minprow.branchprotector.run import DEFAULT_INTERVAL, run_every, run_once

__all__ = [
    "DEFAULT_INTERVAL",
    "Change",
    "Enablement",
    "EnablementError",
    "Plan",
    "Protector",
    "run_every",
    "run_once",
    "summary",
]

"""The hold plugin: `/hold` and `/hold cancel` set or clear `do-not-merge/hold`.

Corresponds to Prow's pkg/plugins/hold. `HOLD` is the plugin value for hook's
registry; `handle_hold` is the handler over the shared `GenericComment`.
"""

from minprow.hook.plugins.hold.client import HoldGitHub
from minprow.hook.plugins.hold.hold import HOLD_LABEL, handle_hold, wants_hold
from minprow.hook.plugins.hold.plugin import HELP, HOLD, NAME

__all__ = [
    "HELP",
    "HOLD",
    "HOLD_LABEL",
    "NAME",
    "HoldGitHub",
    "handle_hold",
    "wants_hold",
]

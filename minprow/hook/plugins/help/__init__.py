"""The help plugin: `/help`, `/good-first-issue` and their `/remove-` forms.

Corresponds to Prow's pkg/plugins/help. `HELP` is the plugin value for hook's
registry; `handle` is the handler over the shared `GenericComment`.
"""

from minprow.hook.plugins.help.client import HelpGitHub
from minprow.hook.plugins.help.plugin import (
    GOOD_FIRST_ISSUE_LABEL,
    GOOD_FIRST_ISSUE_MARK,
    HELP,
    HELP_LABEL,
    HELP_MARK,
    HELP_TEXT,
    NAME,
    Guidelines,
    handle,
)

__all__ = [
    "GOOD_FIRST_ISSUE_LABEL",
    "GOOD_FIRST_ISSUE_MARK",
    "HELP",
    "HELP_LABEL",
    "HELP_MARK",
    "HELP_TEXT",
    "NAME",
    "Guidelines",
    "HelpGitHub",
    "handle",
]

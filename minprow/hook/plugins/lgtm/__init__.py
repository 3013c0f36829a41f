"""The lgtm plugin: `/lgtm`, `/lgtm cancel`, approving reviews, removal on push.

Corresponds to Prow's pkg/plugins/lgtm. `LGTM` is the plugin value for hook's
registry; `handle_comment`, `handle_review` and `handle_push` are its handlers.
"""

from minprow.hook.plugins.lgtm.client import LgtmGitHub
from minprow.hook.plugins.lgtm.lgtm import (
    LGTM_LABEL,
    NOT_COLLABORATOR,
    OWN_PR,
    REMOVED_NOTICE,
    Review,
    handle_comment,
    handle_push,
    handle_review,
    set_lgtm,
    wants_lgtm,
)
from minprow.hook.plugins.lgtm.plugin import HELP, LGTM, NAME

__all__ = [
    "HELP",
    "LGTM",
    "LGTM_LABEL",
    "NAME",
    "NOT_COLLABORATOR",
    "OWN_PR",
    "REMOVED_NOTICE",
    "LgtmGitHub",
    "Review",
    "handle_comment",
    "handle_push",
    "handle_review",
    "set_lgtm",
    "wants_lgtm",
]

"""The trigger plugin: presubmits on pull requests and comments, postsubmits on push.

Corresponds to Prow's pkg/plugins/trigger. `TRIGGER` is the plugin value for
hook's registry (`trigger_plugin(local_repos)` one reading changed files from
local clones when there are no GitHub credentials); the handlers (`handle_pull_request`, `handle_comment`,
`handle_push`) take a `TriggerContext` and the trigger's own small inputs.
"""

from minprow.hook.plugins.trigger.client import TriggerGitHub, TriggerStore
from minprow.hook.plugins.trigger.comment import handle_comment
from minprow.hook.plugins.trigger.inputs import (
    PullRequest,
    PullRequestAction,
    Push,
    pull_request_event,
    pull_request_from,
    push_event,
)
from minprow.hook.plugins.trigger.plugin import HELP, NAME, TRIGGER, trigger_plugin
from minprow.hook.plugins.trigger.pull_request import handle_pull_request
from minprow.hook.plugins.trigger.push import handle_push
from minprow.hook.plugins.trigger.run import TriggerContext
from minprow.hook.plugins.trigger.trust import trusted_pull_request, trusted_user

__all__ = [
    "HELP",
    "NAME",
    "TRIGGER",
    "PullRequest",
    "PullRequestAction",
    "Push",
    "TriggerContext",
    "TriggerGitHub",
    "TriggerStore",
    "handle_comment",
    "handle_pull_request",
    "handle_push",
    "pull_request_event",
    "pull_request_from",
    "push_event",
    "trigger_plugin",
    "trusted_pull_request",
    "trusted_user",
]

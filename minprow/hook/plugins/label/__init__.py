"""The label plugin: `/kind bug`, `/label foo`, `/remove-label foo`, ...

Corresponds to Prow's pkg/plugins/label. `LABEL` is the plugin value for hook's
registry; `handle_label` and `handle_new_commits` are its handlers.
"""

from minprow.hook.plugins.label.client import LabelGitHub, RepoLabelsGitHub, TeamsGitHub
from minprow.hook.plugins.label.commands import PREFIXES, Commands, parse_commands
from minprow.hook.plugins.label.label import TRIAGE_ACCEPTED, handle_label, handle_new_commits
from minprow.hook.plugins.label.plugin import HELP, LABEL, NAME
from minprow.hook.plugins.label.restricted import RestrictedLabel, restricted_labels_for

__all__ = [
    "HELP",
    "LABEL",
    "NAME",
    "PREFIXES",
    "TRIAGE_ACCEPTED",
    "Commands",
    "LabelGitHub",
    "RepoLabelsGitHub",
    "RestrictedLabel",
    "TeamsGitHub",
    "handle_label",
    "handle_new_commits",
    "parse_commands",
    "restricted_labels_for",
]

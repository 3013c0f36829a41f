"""Prow's configuration, read as Prow reads it: config.yaml, the job config, plugins.yaml.

Corresponds to Prow's pkg/config (and the plugin configuration of pkg/plugins).
`load_config` returns a defaulted, validated `Config`, or raises `ConfigError`
listing every `Problem`. Only `minprow.model` is imported from the rest of minprow.
"""

from minprow.config.configuration import Config
from minprow.config.jobs import (
    Brancher,
    JobBase,
    Periodic,
    Postsubmit,
    Presubmit,
    RegexpChangeMatcher,
    branch_from_ref,
    default_rerun_command_for,
    default_trigger_for,
)
from minprow.config.loader import load_config
from minprow.config.plugins import ExternalPlugin, OrgPlugins, PluginConfig, Trigger
from minprow.config.problems import ConfigError, Problem
from minprow.config.prow import (
    DefaultDecorationConfigEntry,
    GitHubReporter,
    Horologium,
    Plank,
    Preset,
    Sinker,
    SlackReporter,
)

__all__ = [
    "Brancher",
    "Config",
    "ConfigError",
    "DefaultDecorationConfigEntry",
    "ExternalPlugin",
    "GitHubReporter",
    "Horologium",
    "JobBase",
    "OrgPlugins",
    "Periodic",
    "Plank",
    "PluginConfig",
    "Postsubmit",
    "Preset",
    "Presubmit",
    "Problem",
    "RegexpChangeMatcher",
    "Sinker",
    "SlackReporter",
    "Trigger",
    "branch_from_ref",
    "default_rerun_command_for",
    "default_trigger_for",
    "load_config",
]

"""The config-updater plugin (Prow's pkg/plugins/updateconfig).

`config_updater_plugin(target)` is the plugin value for hook's registry; the
target is `KubeConfigMaps` (ConfigMaps in the clusters) or `LocalConfigMaps`
(the embedded mode's own configuration files).
"""

from minprow.hook.plugins.config_updater.changes import ConfigMapID, KeyUpdate, filter_changes
from minprow.hook.plugins.config_updater.plugin import NAME, config_updater_plugin, merged
from minprow.hook.plugins.config_updater.targets import (
    ConfigMapError,
    ConfigMapTarget,
    KeyContent,
    LocalConfigMaps,
)

__all__ = [
    "NAME",
    "ConfigMapError",
    "ConfigMapID",
    "ConfigMapTarget",
    "KeyContent",
    "KeyUpdate",
    "LocalConfigMaps",
    "config_updater_plugin",
    "filter_changes",
    "merged",
]

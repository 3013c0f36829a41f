"""Hook plugins: the `Plugin` shape, the `Registry` and the `PluginContext` handlers get
(Prow's pkg/plugins)."""

"""Prow's configuration, read as Prow reads it: config.yaml, the job config, plugins.yaml.

Corresponds to Prow's pkg/config (and pkg/plugins' plugin config). Only
`minprow.model` is imported from the rest of minprow.
"""

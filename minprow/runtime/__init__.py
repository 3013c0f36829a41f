"""Wiring: flags and config turned into running components, and the commands behind the CLI."""

"""Where minprow looks for its configuration when no flag says.

Run from a Prow config repository, `minprow up` finds `config.yaml`, `jobs/` and
`plugins.yaml` in the working directory, so the common case needs no flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ConfigPaths:
    config_path: Path | None
    job_config_path: Path | None
    plugin_config: Path | None

    def args(self) -> tuple[Path | None, Path | None, Path | None]:
        """The three paths in `load_config`'s argument order."""
        return self.config_path, self.job_config_path, self.plugin_config

    def existing(self) -> list[Path]:
        return [p for p in (self.config_path, self.job_config_path, self.plugin_config) if p]


def discover(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    cwd: Path | None = None,
) -> ConfigPaths:
    """Fill unset paths with `./config.yaml`, `./jobs` and `./plugins.yaml` when they exist,
    but only when no config flag was given at all (explicit flags mean exactly those files)."""
    if config_path or job_config_path or plugin_config:
        return ConfigPaths(config_path, job_config_path, plugin_config)
    base = cwd or Path.cwd()

    def found(name: str) -> Path | None:
        path = base / name
        return path if path.exists() else None

    return ConfigPaths(found("config.yaml"), found("jobs"), found("plugins.yaml"))

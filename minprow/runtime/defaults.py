"""Where minprow looks for its configuration and keeps its jobs when no flag says.

Run from a Prow config repository, every command that reads configuration
(`up`, `serve`, `run`, `check-config`, `mkpj`, `explain`) finds `config.yaml`,
`jobs/` and `plugins.yaml` in the working directory, so the common case needs no
flags.

The embedded job store belongs to the project: its default directory is derived
from the project's directory (config.yaml's, else the job config's, else the
working directory), under `$XDG_STATE_HOME/minprow/projects/`, so two projects
never see each other's jobs, and `get`, `tui` and `up` run in one project find the
same store. It is not kept inside the project itself: the state directory holds
the hook's HMAC secret and the API token, which have no place in a repository.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from minprow.store.sqlite import DB_FILE, state_root


@dataclass(frozen=True)
class ConfigPaths:
    config_path: Path | None
    job_config_path: Path | None
    plugin_config: Path | None
    awaited_plugin_config: Path | None = None
    """`./plugins.yaml` when it is not there (yet): read once it appears."""

    def args(self) -> tuple[Path | None, Path | None, Path | None]:
        """The three paths in `load_config`'s argument order (an awaited plugins.yaml
        once it exists)."""
        plugins = self.plugin_config
        if plugins is None and self.awaited_plugin_config and self.awaited_plugin_config.exists():
            plugins = self.awaited_plugin_config
        return self.config_path, self.job_config_path, plugins

    def existing(self) -> list[Path]:
        return [p for p in (self.config_path, self.job_config_path, self.plugin_config) if p]

    def watched(self) -> list[Path]:
        """What a config agent watches: the files given or found, and an awaited
        plugins.yaml, whose appearance is a change like any other."""
        awaited = [self.awaited_plugin_config] if self.awaited_plugin_config else []
        return [*self.existing(), *awaited]


def configmap_dirs(paths: ConfigPaths) -> dict[str, Path]:
    """Where config-updater writes each ConfigMap's keys in the embedded mode: the
    directory minprow reads that part of its configuration from, as if the
    ConfigMap were mounted there. The names are the ones Prow's deployments mount
    (config-updater's default `maps` use the first two; `job-config` is what
    Prow's manifests call the third)."""
    found: dict[str, Path] = {}
    config, jobs, plugins = paths.args()
    plugins = plugins or paths.awaited_plugin_config
    for name, path in (("config", config), ("plugins", plugins), ("job-config", jobs)):
        if path is not None:
            found[name] = path if path.is_dir() else path.parent
    return found


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

    plugins = found("plugins.yaml")
    return ConfigPaths(
        found("config.yaml"),
        found("jobs"),
        plugins,
        awaited_plugin_config=None if plugins else base / "plugins.yaml",
    )


API_TOKEN_FILE = "api-token"
"""The API's bearer token `up` keeps in the state directory, as it keeps the HMAC secret."""


@dataclass(frozen=True)
class StateDir:
    """The embedded job store's directory, and what chose it (for messages)."""

    path: Path
    project: Path | None
    """The project it belongs to; None when --state-dir named it."""

    @property
    def origin(self) -> str:
        if self.project is None:
            return "--state-dir"
        return f"the project in {self.project}; set another with --state-dir"

    def api_token(self) -> Path | None:
        """The API token `minprow up` made here, when it did (`tui --url`'s default)."""
        path = self.path / API_TOKEN_FILE
        return path if path.is_file() else None

    def describe(self) -> str:
        """`DIR (why)`, as every command prints it."""
        return f"{self.path} ({self.origin})"

    def announce(self, command: str) -> None:
        """Say on stderr which store `command` uses (stdout stays the command's output)."""
        print(f"{command}: job store {self.describe()}", file=sys.stderr)
        legacy = _legacy_store()
        if self.project is not None and legacy is not None and not (self.path / DB_FILE).exists():
            print(
                f"{command}: note: jobs of an earlier minprow are in {legacy.parent}, "
                f"the store every project shared; pass --state-dir {legacy.parent} to see them",
                file=sys.stderr,
            )


def project_dir(paths: ConfigPaths, cwd: Path | None = None) -> Path:
    """The project's directory: config.yaml's, else the job config's (a directory's
    parent, a file's directory), else the working directory."""
    if paths.config_path is not None:
        return paths.config_path.resolve().parent
    jobs = paths.job_config_path
    if jobs is not None:
        jobs = jobs.resolve()
        return jobs.parent
    return (cwd or Path.cwd()).resolve()


def project_state_dir(project: Path) -> Path:
    """`$XDG_STATE_HOME/minprow/projects/<name>-<hash of the path>`: readable, and
    distinct for two checkouts of the same repository."""
    resolved = project.resolve()
    digest = hashlib.sha256(str(resolved).encode()).hexdigest()[:10]
    name = resolved.name or "root"
    return state_root() / "projects" / f"{name}-{digest}"


def project_store(
    given: Path | None, paths: ConfigPaths | None = None, cwd: Path | None = None
) -> StateDir:
    """--state-dir when given, else the store of the project `paths` (or, for
    commands reading no config, the working directory's config) belongs to."""
    if given is not None:
        return StateDir(given, None)
    if paths is None:
        paths = discover(None, None, None, cwd)
    project = project_dir(paths, cwd)
    return StateDir(project_state_dir(project), project)


def _legacy_store() -> Path | None:
    """The store of minprow before stores were per project, when it holds jobs."""
    db = state_root() / DB_FILE
    return db if db.exists() else None

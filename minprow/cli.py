"""The `minprow` command line: parse flags, call runtime; no logic here.

Flag names are Prow's where Prow has one (`--config-path`, `--job-config-path`,
`--plugin-config`, mkpj's `--pull-number`...). Every heavy import happens inside
a command, so `minprow --help` stays fast. Errors a user can fix are printed one
per line with a non-zero exit, never as a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

_PATH = click.Path(path_type=Path)
_EXISTING = click.Path(exists=True, path_type=Path)


def _config_options(func: Any) -> Any:
    """The three config flags of Prow's ConfigOptions, in Prow's spelling."""
    func = click.option(
        "--plugin-config",
        type=_EXISTING,
        help="Path to plugins.yaml (Prow's plugin configuration).",
    )(func)
    func = click.option(
        "--job-config-path",
        type=_EXISTING,
        help="Job config: a directory walked recursively for *.yaml/*.yml, or one file.",
    )(func)
    return click.option("--config-path", type=_EXISTING, help="Path to Prow's config.yaml.")(func)


def _state_dir_option(func: Any) -> Any:
    return click.option(
        "--state-dir",
        type=_PATH,
        help="Directory of the embedded job store [default: $XDG_STATE_HOME/minprow].",
    )(func)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="minprow")
def main() -> None:
    """minprow: Prow's core (hook, trigger, horologium, plank, sinker, crier) in one process."""


@main.command("check-config")
@_config_options
@click.option("--strict", is_flag=True, help="Treat warnings (unknown job fields) as errors.")
def check_config(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    strict: bool,
) -> None:
    """Validate a Prow configuration, as Prow's checkconfig does."""
    from minprow.runtime import commands

    sys.exit(commands.check_config(config_path, job_config_path, plugin_config, strict=strict))


@main.command()
@_config_options
@click.option("--job", "job_name", required=True, help="Job to run.")
@click.option("--base-ref", default="", help="Git base ref under test.")
@click.option("--base-sha", default="", help="Git base SHA under test.")
@click.option("--pull-number", type=int, default=0, help="Git pull number under test.")
@click.option("--pull-sha", default="", help="Git pull SHA under test.")
@click.option("--pull-author", default="", help="Git pull author under test.")
@click.option("--pull-head-ref", default="", help="Git branch name of the proposed change.")
def mkpj(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    job_name: str,
    base_ref: str,
    base_sha: str,
    pull_number: int,
    pull_sha: str,
    pull_author: str,
    pull_head_ref: str,
) -> None:
    """Print the ProwJob that Prow would create for a job, as YAML (Prow's mkpj)."""
    from minprow.runtime import commands

    sys.exit(
        commands.mkpj(
            config_path,
            job_config_path,
            job_name=job_name,
            base_ref=base_ref,
            base_sha=base_sha,
            pull_number=pull_number,
            pull_sha=pull_sha,
            pull_author=pull_author,
            pull_head_ref=pull_head_ref,
        )
    )


@main.group()
def get() -> None:
    """Read objects from the job store."""


@get.command("prowjobs")
@_state_dir_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
)
@click.option("--state", "state", help="Only jobs in this state (triggered, pending, ...).")
@click.option("--job", "job", help="Only runs of this job.")
def get_prowjobs(state_dir: Path | None, output: str, state: str | None, job: str | None) -> None:
    """List ProwJobs (columns like `kubectl get prowjobs`)."""
    from minprow.runtime import commands

    sys.exit(commands.get_prowjobs(state_dir, output, state=state, job=job))


@main.command()
@_config_options
@_state_dir_option
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option("--log-level", default="info", show_default=True)
def up(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    state_dir: Path | None,
    log_format: str,
    log_level: str,
) -> None:
    """Run minprow on this machine: config, job store and every component, in one process."""
    from minprow import logs
    from minprow.runtime import up as runtime_up

    logs.configure(log_format, log_level)
    sys.exit(runtime_up.main(config_path, job_config_path, plugin_config, state_dir))

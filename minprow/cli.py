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
_LOG_LEVEL = click.Choice(["debug", "info", "warning", "error"], case_sensitive=False)
_GITHUB_ENDPOINT_HELP = "GitHub's API, or a GitHub Enterprise server's (https://HOST/api/v3)."
_GITHUB_APP_KEY_HELP = "The GitHub App's private key, a PEM file (with --github-app-id)."


_FOUND_HERE = (
    " With none of --config-path, --job-config-path and --plugin-config, ./config.yaml, "
    "./jobs/ and ./plugins.yaml are read when they exist."
)


def _config_options(func: Any) -> Any:
    """The three config flags of Prow's ConfigOptions, in Prow's spelling."""
    func = click.option(
        "--plugin-config",
        type=_EXISTING,
        help="Path to plugins.yaml (Prow's plugin configuration) [default: ./plugins.yaml].",
    )(func)
    func = click.option(
        "--job-config-path",
        type=_EXISTING,
        help="Job config: a directory walked recursively for *.yaml/*.yml, or one file "
        "[default: ./jobs].",
    )(func)
    return click.option(
        "--config-path",
        type=_EXISTING,
        help="Path to Prow's config.yaml [default: ./config.yaml]." + _FOUND_HERE,
    )(func)


def _state_dir_option(func: Any) -> Any:
    return click.option(
        "--state-dir",
        type=_PATH,
        help="Directory of the embedded job store [default: the project's, "
        "$XDG_STATE_HOME/minprow/projects/NAME-HASH, derived from the directory of "
        "./config.yaml (or --config-path), so each project has its own].",
    )(func)


def _help_when_bare(ctx: click.Context) -> None:
    """A group given no command prints its help and succeeds (click would exit 2)."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.version_option(package_name="minprow")
@click.pass_context
def main(ctx: click.Context) -> None:
    """minprow: Prow's core (hook, trigger, horologium, plank, sinker, crier) in one process."""
    _help_when_bare(ctx)


def _kubeconfig_options() -> list[Any]:
    """Prow's kubeconfig flags: where the build clusters' contexts are."""
    return [
        click.option(
            "--kubeconfig",
            "kubeconfigs",
            multiple=True,
            type=_EXISTING,
            help="A kubeconfig whose contexts are build clusters; repeatable, merged "
            "(a context name defined twice is an error).",
        ),
        click.option(
            "--kubeconfig-dir",
            type=_EXISTING,
            help="A directory of kubeconfig files (a mounted Secret; up and serve re-read it on change).",
        ),
        click.option(
            "--kubeconfig-suffix",
            default="",
            help="Only files of --kubeconfig-dir ending with this suffix.",
        ),
    ]


def _check_config_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option(
                "--strict",
                is_flag=True,
                help="Treat warnings (unknown job fields, unknown clusters) as errors.",
            ),
            *_kubeconfig_options(),
        ]
    ):
        func = option(func)
    return func


@main.command("check-config")
@_config_options
@_check_config_options
def check_config(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    strict: bool,
    kubeconfigs: tuple[Path, ...],
    kubeconfig_dir: Path | None,
    kubeconfig_suffix: str,
) -> None:
    """Validate a Prow configuration, as Prow's checkconfig does.

    With --kubeconfig or --kubeconfig-dir, every job's `cluster` must name one of
    their contexts (or `default` / `in-cluster`, as Prow aliases them); no
    credentials are read. Periodics that will run less often than their
    interval or cron says (horologium checks them once a tick) are warned about."""
    from minprow.runtime import commands

    sys.exit(
        commands.check_config(
            config_path,
            job_config_path,
            plugin_config,
            strict=strict,
            kubeconfigs=kubeconfigs,
            kubeconfig_dir=kubeconfig_dir,
            kubeconfig_suffix=kubeconfig_suffix,
        )
    )


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


@main.group(invoke_without_command=True)
@click.pass_context
def get(ctx: click.Context) -> None:
    """Read objects from the job store."""
    _help_when_bare(ctx)


@get.command("prowjobs")
@_state_dir_option
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="A table like kubectl's, or the ProwJobs as a List in JSON or YAML.",
)
@click.option("--state", "state", help="Only jobs in this state (triggered, pending, ...).")
@click.option("--job", "job", help="Only runs of this job.")
def get_prowjobs(state_dir: Path | None, output: str, state: str | None, job: str | None) -> None:
    """List ProwJobs (columns like `kubectl get prowjobs`)."""
    from minprow.runtime import commands

    sys.exit(commands.get_prowjobs(state_dir, output, state=state, job=job))


def _executor_option(func: Any) -> Any:
    return click.option(
        "--executor",
        type=click.Choice(["auto", "docker", "host"]),
        default="auto",
        show_default=True,
        help="Where jobs run: the local Docker engine, host processes, or docker when it answers.",
    )(func)


def _objects_options(func: Any) -> Any:
    """Where local runs find the Secrets and ConfigMaps jobs name (docker and host executors)."""
    for option in reversed(
        [
            click.option(
                "--secrets-dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="A folder per Secret, a file per key (as `kubectl create secret generic "
                "NAME --from-file=DIR` reads) [default: ~/.config/minprow/secrets].",
            ),
            click.option(
                "--configmaps-dir",
                type=click.Path(file_okay=False, path_type=Path),
                help="A folder per ConfigMap, a file per key "
                "[default: ~/.config/minprow/configmaps].",
            ),
        ]
    ):
        func = option(func)
    return func


def _cluster_option(func: Any) -> Any:
    return click.option(
        "--cluster",
        "clusters",
        multiple=True,
        metavar="NAME=KIND",
        help="Run the jobs of build cluster NAME on another executor (docker, host); repeatable.",
    )(func)


def _local_repos(_: click.Context, param: click.Parameter, values: tuple[str, ...]) -> Any:
    from minprow.runtime.localrepos import LocalRepoError, parse_local_repos

    try:
        return parse_local_repos(values)
    except LocalRepoError as err:
        raise click.BadParameter(str(err), param=param) from err


def _process_options(func: Any) -> Any:
    """The flags `up` and `serve` share: where jobs run, GitHub, the hook, logging."""
    func = _objects_options(func)
    for option in reversed(
        [
            click.option(
                "--port", type=int, default=8888, show_default=True, help="The hook's HTTP port."
            ),
            click.option(
                "--hmac-secret-file",
                type=_EXISTING,
                help="Prow's webhook HMAC secret file (a token, or tokens per org/repo).",
            ),
            click.option(
                "--api-token-file",
                type=_EXISTING,
                help="A file holding the bearer token the API's rerun and abort require "
                "[up's default: STATE_DIR/api-token, made on first start and read by "
                "`minprow tui --url` in the same project].",
            ),
            click.option(
                "--github-endpoint",
                default="https://api.github.com",
                show_default=True,
                help=_GITHUB_ENDPOINT_HELP,
            ),
            click.option(
                "--github-token-path", type=_EXISTING, help="A file holding a GitHub token."
            ),
            click.option(
                "--github-app-id", help="A GitHub App's id (with --github-app-private-key-path)."
            ),
            click.option(
                "--github-app-private-key-path", type=_EXISTING, help=_GITHUB_APP_KEY_HELP
            ),
            click.option(
                "--local-repo",
                "local_repos",
                multiple=True,
                metavar="ORG/REPO=PATH",
                callback=_local_repos,
                help="A git clone standing in for GitHub's ORG/REPO: jobs check it out from "
                "there, and with no GitHub credentials trigger reads a pull request's changed "
                "files from it; repeatable.",
            ),
            click.option(
                "--slack-webhook-file",
                type=_EXISTING,
                help="A file holding a Slack incoming-webhook URL, for crier's Slack reporter.",
            ),
            click.option(
                "--log-format",
                type=click.Choice(["text", "json"]),
                default="text",
                show_default=True,
                help="Log lines as readable text, or one JSON object a line (for a log collector).",
            ),
            click.option(
                "--log-level",
                type=_LOG_LEVEL,
                default="info",
                show_default=True,
                help="The least severe log lines shown.",
            ),
        ]
    ):
        func = option(func)
    return func


def _kube_options(func: Any) -> Any:
    """Prow's build-cluster flags (pkg/flagutil/kubernetes_cluster_clients.go) and the store."""
    for option in reversed(
        [
            click.option(
                "--store",
                type=click.Choice(["auto", "sqlite", "kube"]),
                default="auto",
                show_default=True,
                help="Where ProwJobs are kept: the embedded SQLite file, or ProwJob custom "
                "resources (auto: kube when a kubeconfig is given or this runs in a pod).",
            ),
            *_kubeconfig_options(),
            click.option(
                "--prow-job-context",
                help="The context of the service cluster holding the ProwJobs "
                "[default: in-cluster].",
            ),
            click.option(
                "--podutils-image",
                help="The minprow image decorated pods run `minprow podutils` from "
                "[default: minprow:VERSION].",
            ),
            click.option(
                "--leader-elect/--no-leader-elect",
                default=None,
                help="Run the controllers only while holding the minprow-controllers Lease "
                "[default: on with the kube store].",
            ),
            click.option(
                "--rotate-build-credentials",
                is_flag=True,
                help="Renew the token of every build-cluster context `minprow gencred` wrote "
                "once two thirds of its lifetime have passed, where it was written (only the "
                "leader does).",
            ),
        ]
    ):
        func = option(func)
    return func


def _run_process(log_format: str, log_level: str, **flags: Any) -> None:
    from minprow import logs
    from minprow.runtime import serve
    from minprow.runtime.components import GitHubSettings
    from minprow.runtime.federation import KubeSettings, default_podutils_image

    logs.configure(log_format, log_level)
    github = GitHubSettings(
        endpoint=flags.pop("github_endpoint"),
        token_path=flags.pop("github_token_path"),
        app_id=flags.pop("github_app_id"),
        app_private_key_path=flags.pop("github_app_private_key_path"),
    )
    kube = KubeSettings(
        store=flags.pop("store", "auto"),
        kubeconfigs=tuple(flags.pop("kubeconfigs", ())),
        kubeconfig_dir=flags.pop("kubeconfig_dir", None),
        kubeconfig_suffix=flags.pop("kubeconfig_suffix", ""),
        prow_job_context=flags.pop("prow_job_context", None),
        podutils_image=flags.pop("podutils_image", None) or default_podutils_image(),
        leader_elect=flags.pop("leader_elect", None),
        rotate_build_credentials=flags.pop("rotate_build_credentials", False),
    )
    sys.exit(serve.main(serve.Settings(github=github, kube=kube, **flags)))


@main.command()
@_config_options
@_state_dir_option
@_executor_option
@_cluster_option
@click.option("--no-tui", is_flag=True, help="Run headless and log to the terminal.")
@click.option(
    "--kind/--no-kind",
    "use_kind",
    default=None,
    help="Run jobs as pods in a kind cluster [default: when kind and Docker are there].",
)
@click.option("--kind-name", default="minprow", show_default=True, help="The kind cluster's name.")
@_process_options
def up(no_tui: bool, **flags: Any) -> None:
    """Run minprow on this machine: config, job store and every component, in one process.

    With Docker and kind, jobs run in a kind cluster (created or reused); in a
    terminal the TUI runs in front. Without --hmac-secret-file, the hook uses a
    secret made in the state directory (for `minprow send-event --hmac-path`)."""
    from minprow.runtime.up import wants_tui

    # The embedded store unless a kind cluster is made (even when run inside a pod).
    _run_process(
        make_hmac_secret=True,
        store="sqlite",
        foreground=_tui if wants_tui(no_tui) else None,
        **flags,
    )


async def _tui(process: Any) -> int:
    """`up`'s TUI over the process's own store and executors, in its loop."""
    from minprow.tui.app import run_in_loop
    from minprow.tui.sources.inprocess import InProcessSource

    source = InProcessSource(
        process.store, process.clusters, process.config, process.artifacts_dir, clock=process.clock
    )
    return await run_in_loop(source, clock=process.clock)


@main.command()
@click.option("--install", is_flag=True, help="Create it in the cluster instead of printing it.")
@click.option(
    "--kubeconfig", "kubeconfigs", multiple=True, type=_EXISTING, help="Kubeconfig file(s)."
)
@click.option("--prow-job-context", help="The context to install into [default: in-cluster].")
def crd(install: bool, kubeconfigs: tuple[Path, ...], prow_job_context: str | None) -> None:
    """Print minprow's ProwJob CRD (Prow's group, version and names) or --install it."""
    if not install:
        from minprow.kube.crd import crd_yaml

        click.echo(crd_yaml(), nl=False)
        return
    from minprow.runtime.federation import FederationError, KubeSettings, install_crd

    settings = KubeSettings(kubeconfigs=kubeconfigs, prow_job_context=prow_job_context)
    try:
        created = install_crd(settings)
    except FederationError as err:
        click.echo(f"minprow crd: {err}", err=True)
        sys.exit(1)
    click.echo("ProwJob CRD created" if created else "ProwJob CRD already installed")


@main.command()
@_state_dir_option
@click.option("--name", default="minprow", show_default=True, help="The kind cluster's name.")
def down(state_dir: Path | None, name: str) -> None:
    """Delete the kind cluster `minprow up` made (a no-op when there is none)."""
    from minprow.runtime.defaults import project_store
    from minprow.runtime.kind import down as delete

    code, message = delete(name, project_store(state_dir).path)
    click.echo(message, err=code != 0)
    sys.exit(code)


@main.command()
@_config_options
@_state_dir_option
@_executor_option
@_cluster_option
@click.option(
    "--components",
    default="hook,horologium,plank,sinker,crier",
    show_default=True,
    help="The components this process runs (several hook replicas + one controller scale out).",
)
@click.option(
    "--branchprotector-interval",
    default="30m",
    show_default=True,
    help="How often the branchprotector component (named in --components) applies "
    "config.yaml's branch-protection, as a Go duration.",
)
@_kube_options
@_process_options
def serve(components: str, branchprotector_interval: str, **flags: Any) -> None:
    """Run minprow as a server: the hook on --port and the chosen components
    (hook, horologium, plank, sinker, crier; and branchprotector when named)."""
    from minprow.model import parse_duration
    from minprow.runtime.components import SettingsError, parse_components

    try:
        chosen = parse_components(components)
    except SettingsError as err:
        raise click.BadParameter(str(err), param_hint="--components") from err
    try:
        interval = parse_duration(branchprotector_interval)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--branchprotector-interval") from err
    if interval.total_seconds() <= 0:
        raise click.BadParameter("must be positive", param_hint="--branchprotector-interval")
    _run_process(components=chosen, branchprotector_interval=interval, **flags)


@main.command()
@_state_dir_option
@click.option(
    "--url",
    help="Attach to a running minprow server, e.g. http://host:8888 (with --state-dir, "
    "that directory's api-token is the default --token-file).",
)
@click.option(
    "--token-file",
    type=_EXISTING,
    help="The server's API token (its --api-token-file), for rerun and abort; with --url "
    "[default: STATE_DIR/api-token, which `minprow up` makes on its first start, of "
    "--state-dir or this project's state directory].",
)
def tui(state_dir: Path | None, url: str | None, token_file: Path | None) -> None:
    """Watch the jobs live: those of a state directory, or of a server with --url.

    Over a state directory, the header says when no minprow is running against it
    (queued jobs and reruns wait until `minprow up` or `minprow serve` runs there).
    With --url, rerun and abort use the API token `minprow up` keeps in
    STATE_DIR/api-token unless --token-file names another."""
    if token_file and not url:
        raise click.UsageError("--token-file goes with --url")
    # Textual and the sources load here, not at start-up: every other command skips them.
    from minprow.runtime.defaults import project_store
    from minprow.tui.app import run_tui
    from minprow.tui.source import JobSource

    where = project_store(state_dir)
    source: JobSource
    if url:
        from minprow.tui.sources.remote import RemoteSource

        token_file = token_file or where.api_token()
        try:
            token = token_file.read_text().strip() if token_file else None
        except OSError as err:
            raise click.ClickException(
                f"cannot read the API token {token_file}: {err.strerror}; pass a readable "
                "--token-file"
            ) from err
        if token_file is not None:
            # The path only: the token itself is never printed.
            click.echo(f"minprow tui: rerun and abort use the API token in {token_file}", err=True)
        source = RemoteSource(url, token, token_from=str(token_file) if token_file else None)
    else:
        from minprow.tui.sources.statedir import StateDirSource

        where.announce("minprow tui")
        source = StateDirSource(where.path)
    sys.exit(run_tui(source))


@main.command()
@_config_options
@click.option("--repo", "org_repo", required=True, help="The repository, org/repo.")
@click.option("--pr", type=int, help="Explain the presubmits for this pull request.")
@click.option("--push", "push_ref", help="Explain the postsubmits for a push to this ref.")
@click.option("--base-ref", help="The PR's base branch (offline; overrides GitHub's).")
@click.option(
    "--changed-file",
    "changed_files",
    multiple=True,
    help="A changed file (repeat it; overrides GitHub's list).",
)
@click.option("--author", help="The PR's author (overrides GitHub's).")
@click.option(
    "--github-endpoint",
    default="https://api.github.com",
    show_default=True,
    help=_GITHUB_ENDPOINT_HELP,
)
@click.option(
    "--github-token-path", type=_EXISTING, help="Look the PR up on GitHub with this token."
)
@click.option("--github-app-id", help="Or as this GitHub App (with --github-app-private-key-path).")
@click.option("--github-app-private-key-path", type=_EXISTING, help=_GITHUB_APP_KEY_HELP)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="A table for people, or JSON for scripts.",
)
def explain(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    org_repo: str,
    pr: int | None,
    push_ref: str | None,
    base_ref: str | None,
    changed_files: tuple[str, ...],
    author: str | None,
    github_endpoint: str,
    github_token_path: Path | None,
    github_app_id: str | None,
    github_app_private_key_path: Path | None,
    output: str,
) -> None:
    """Every job of a repo and why it would or would not run for a PR or a push."""
    from minprow.runtime import explain as runtime_explain
    from minprow.runtime.components import GitHubSettings

    github = None
    if github_token_path or github_app_id:
        github = GitHubSettings(
            endpoint=github_endpoint,
            token_path=github_token_path,
            app_id=github_app_id,
            app_private_key_path=github_app_private_key_path,
        )
    sys.exit(
        runtime_explain.main(
            config_path,
            job_config_path,
            plugin_config,
            org_repo=org_repo,
            pr=pr,
            push_ref=push_ref,
            changed_files=list(changed_files) or None,
            author=author,
            base_ref=base_ref,
            github=github,
            output=output,
        )
    )


@main.command()
@click.option(
    "--config-path", type=_EXISTING, help="Path to Prow's config.yaml [default: ./config.yaml]."
)
@click.option(
    "--job-config-path",
    type=_EXISTING,
    help="Job config (the required presubmits' contexts come from it) [default: ./jobs].",
)
@click.option("--confirm", is_flag=True, help="Change GitHub; without it, only print the diffs.")
@click.option(
    "--verify-restrictions",
    is_flag=True,
    help="Refuse a branch whose restrictions name apps, users or teams that may not push "
    "(read from the org's app installations and the repository's collaborators and teams).",
)
@click.option(
    "--enable-apps-restrictions",
    is_flag=True,
    help="Apply `restrictions.apps` of the policies (off: a policy naming apps is an error).",
)
@click.option(
    "--github-enabled-org", "enabled_orgs", multiple=True, help="Only these orgs (repeatable)."
)
@click.option(
    "--github-enabled-repo",
    "enabled_repos",
    multiple=True,
    help="Only these org/repos (repeatable).",
)
@click.option(
    "--github-disabled-org", "disabled_orgs", multiple=True, help="Never these orgs (repeatable)."
)
@click.option(
    "--github-disabled-repo",
    "disabled_repos",
    multiple=True,
    help="Never these org/repos (repeatable).",
)
@click.option(
    "--github-endpoint",
    default="https://api.github.com",
    show_default=True,
    help=_GITHUB_ENDPOINT_HELP,
)
@click.option("--github-token-path", type=_EXISTING, help="A file holding a GitHub token.")
@click.option("--github-app-id", help="A GitHub App's id (with --github-app-private-key-path).")
@click.option("--github-app-private-key-path", type=_EXISTING, help=_GITHUB_APP_KEY_HELP)
def branchprotector(
    github_endpoint: str,
    github_token_path: Path | None,
    github_app_id: str | None,
    github_app_private_key_path: Path | None,
    **flags: Any,
) -> None:
    """Make GitHub's branch protection what config.yaml's `branch-protection` says.

    Every branch of the configured orgs and repos gets its policy (the contexts of
    the required presubmits that run on it included); without --confirm the
    changes are only printed, as a diff per branch."""
    from minprow.runtime import branchprotector_cmd
    from minprow.runtime.components import GitHubSettings

    github = GitHubSettings(
        endpoint=github_endpoint,
        token_path=github_token_path,
        app_id=github_app_id,
        app_private_key_path=github_app_private_key_path,
    )
    sys.exit(branchprotector_cmd.main(github=github, **flags))


@main.command("send-event")
@click.option(
    "--hmac-path",
    type=_EXISTING,
    help="The HMAC secret file [default: the one `minprow up` made in the state directory].",
)
@_state_dir_option
@click.option("--event-type", required=True, help="X-GitHub-Event, e.g. pull_request.")
@click.option("--payload", type=_EXISTING, required=True, help="The JSON payload file.")
@click.option(
    "--address",
    default="http://localhost:8888/hook",
    show_default=True,
    help="The hook's URL (`minprow up` and `serve` listen on port 8888 by default).",
)
@click.option("--delivery-id", help="X-GitHub-Delivery (default: a fresh UUID).")
def send_event(
    hmac_path: Path | None,
    state_dir: Path | None,
    event_type: str,
    payload: Path,
    address: str,
    delivery_id: str | None,
) -> None:
    """Send a signed GitHub webhook to a hook, as Prow's phony does."""
    from minprow.runtime.defaults import project_store
    from minprow.runtime.send_event import hmac_path_of
    from minprow.runtime.send_event import send_event as send

    path = hmac_path
    if path is None:
        where = project_store(state_dir)
        where.announce("minprow send-event")
        path = hmac_path_of(where.path)
    if path is None:
        sys.exit(1)
    sys.exit(send(path, event_type, payload, address, delivery_id))


@main.command()
@click.argument("job_name", metavar="JOB")
@_config_options
@_state_dir_option
@_executor_option
@click.option(
    "--pull-number",
    "pull_numbers",
    type=int,
    multiple=True,
    help="Pull request to test (repeat it for a batch run), looked up with git ls-remote.",
)
@click.option("--base-ref", help="Base branch (default: the repository's HEAD branch).")
@click.option(
    "--repo",
    metavar="ORG/REPO",
    help="The repository whose job to run, when several share JOB's name.",
)
@click.option(
    "--local",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Use this working tree as it is instead of cloning the job's repository.",
)
@click.option(
    "--artifacts-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where logs and artifacts go when the job's config names no bucket or directory.",
)
@click.option("--keep", is_flag=True, help="Keep the container and workspace afterwards.")
@_objects_options
@click.option(
    "--env",
    "env",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set an env var of the test container (over the job's); repeatable.",
)
@click.option("--image", help="Run the test container from this image instead (a local build).")
@click.option(
    "--dry-run",
    is_flag=True,
    help="Render everything (refs, env, mounts, security) and start nothing.",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["summary", "yaml"]),
    default="summary",
    show_default=True,
    help="What --dry-run prints: a readable summary, or the pod as YAML.",
)
@click.option(
    "--shell",
    type=click.Choice(["after", "before"]),
    is_flag=False,
    flag_value="after",
    default=None,
    help="Open a shell in the test container's image with the job's mounts and env: "
    "once the job failed (--shell), or instead of running it (--shell=before).",
)
@click.option(
    "--log-level",
    type=_LOG_LEVEL,
    default="warning",
    show_default=True,
    help="The least severe log lines shown (the job's own output is always shown).",
)
def run(
    job_name: str,
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    state_dir: Path | None,
    executor: str,
    pull_numbers: tuple[int, ...],
    base_ref: str | None,
    repo: str | None,
    local: Path | None,
    artifacts_dir: Path | None,
    keep: bool,
    secrets_dir: Path | None,
    configmaps_dir: Path | None,
    env: tuple[str, ...],
    image: str | None,
    dry_run: bool,
    output: str,
    shell: str | None,
    log_level: str,
) -> None:
    """Run JOB on this machine as Prow would: same refs, env and JOB_SPEC; exit code = result."""
    from minprow import logs
    from minprow.runtime import run as runtime_run

    logs.configure("text", log_level)
    options = runtime_run.RunOptions(
        job_name=job_name,
        pull_numbers=list(pull_numbers),
        base_ref=base_ref,
        local=local,
        executor=executor,
        state_dir=state_dir,
        artifacts_dir=artifacts_dir,
        keep=keep,
        secrets_dir=secrets_dir,
        configmaps_dir=configmaps_dir,
        env=env,
        image=image,
        dry_run=dry_run,
        output=output,
        shell=shell,
        repo=repo,
    )
    if output != "summary" and not dry_run:
        raise click.UsageError("-o/--output goes with --dry-run")
    sys.exit(runtime_run.main(config_path, job_config_path, options))


@main.command()
@click.option(
    "--kubeconfig",
    type=_EXISTING,
    help="The kubeconfig with the caller's credentials [default: $KUBECONFIG, else ~/.kube/config].",
)
@click.option("--context", help="The build cluster's context in it [default: its current-context].")
@click.option(
    "-n", "--name", default="build", show_default=True, help="The name of the context written."
)
@click.option(
    "-o",
    "--output",
    type=_PATH,
    help="The kubeconfig file to merge the context into (created 0600, replaced atomically).",
)
@click.option(
    "--secret",
    metavar="NAMESPACE/NAME[:KEY]",
    help="Merge the context into this Secret's key instead (KEY: kubeconfig), the Secret "
    "mounted as serve's --kubeconfig-dir.",
)
@click.option(
    "--secret-context",
    help="The context of the cluster holding --secret [default: --context's].",
)
@click.option(
    "-s",
    "--serviceaccount",
    is_flag=True,
    help="Authorize with a service account (Prow's flag; the only way minprow has, so implied).",
)
@click.option(
    "--sa-name",
    default="serviceaccount-cluster-admin",
    show_default=True,
    help="The ServiceAccount (Prow's gencred's name).",
)
@click.option(
    "--namespace",
    default="default",
    show_default=True,
    help="The ServiceAccount's namespace.",
)
@click.option(
    "--duration",
    default="48h",
    show_default=True,
    help="The token's lifetime (a Go duration; GKE caps it at 48h).",
)
@click.option(
    "--role",
    type=click.Choice(["cluster-admin", "minimal"]),
    default="cluster-admin",
    show_default=True,
    help="cluster-admin (Prow's), or minimal: pods, pods/log, events and secrets in "
    "--pod-namespace plus renewing its own token — what minprow calls in a build cluster.",
)
@click.option(
    "--pod-namespace",
    default="test-pods",
    show_default=True,
    help="Where jobs' pods run (config.yaml's pod_namespace), for --role minimal.",
)
@click.option("--audience", "audiences", multiple=True, help="A token audience; repeatable.")
def gencred(
    kubeconfig: Path | None,
    context: str | None,
    name: str,
    output: Path | None,
    secret: str | None,
    secret_context: str | None,
    serviceaccount: bool,
    sa_name: str,
    namespace: str,
    duration: str,
    role: str,
    pod_namespace: str,
    audiences: tuple[str, ...],
) -> None:
    """Credentials for a build cluster, as Prow's gencred makes them: a ServiceAccount
    with its binding, a token from the TokenRequest API, written as a context marked
    for `serve --rotate-build-credentials` to renew. Never prints the token."""
    from minprow.kube.gencred import Request
    from minprow.model.duration import parse_duration
    from minprow.runtime import gencred_cmd

    del serviceaccount  # accepted for Prow's command lines: service accounts are all there is
    if (output is None) == (secret is None):
        raise click.UsageError("give exactly one of --output and --secret")
    try:
        lifetime = parse_duration(duration)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--duration") from err
    request = Request(sa_name, namespace, role, pod_namespace, lifetime, audiences)
    target = gencred_cmd.Target(name, output, secret, secret_context)
    sys.exit(gencred_cmd.main(kubeconfig, context, target, request))


@main.group(invoke_without_command=True)
@click.pass_context
def podutils(ctx: click.Context) -> None:
    """Prow's pod utilities, run inside a job's pod (the minprow image).

    Each reads its options from the env var Prow's utility reads
    ($CLONEREFS_OPTIONS, $INITUPLOAD_OPTIONS, $ENTRYPOINT_OPTIONS,
    $SIDECAR_OPTIONS) and $JOB_SPEC."""
    from minprow import logs

    _help_when_bare(ctx)
    logs.configure("json", "info")


@podutils.command("clonerefs")
@click.option("--cookiefile", default="", help="Path to a git http.cookiefile (Prow's flag).")
def podutils_clonerefs(cookiefile: str) -> None:
    """Clone the job's refs under src_root and write the clone records."""
    import os

    from minprow.runtime import podutils_cmd

    sys.exit(podutils_cmd.clonerefs(os.environ, cookiefile=cookiefile))


@podutils.command("initupload")
def podutils_initupload() -> None:
    """Upload started.json and the clone records before the test runs."""
    import os

    from minprow.runtime import podutils_cmd

    sys.exit(podutils_cmd.run_initupload(os.environ))


@podutils.command("entrypoint")
def podutils_entrypoint() -> None:
    """Run the test command with its timeout, log it and write its marker file."""
    import os

    from minprow.runtime import podutils_cmd

    sys.exit(podutils_cmd.run_entrypoint(os.environ))


@podutils.command("sidecar")
def podutils_sidecar() -> None:
    """Wait for the test containers to finish, then upload logs, artifacts and finished.json."""
    import os

    from minprow.runtime import podutils_cmd

    sys.exit(podutils_cmd.run_sidecar(os.environ))


@podutils.command("place-entrypoint")
@click.option(
    "--copy-destination",
    type=_PATH,
    default="/tools/entrypoint",
    show_default=True,
    help="Where to write the entrypoint wrapper (the shared tools volume).",
)
def podutils_place_entrypoint(copy_destination: Path) -> None:
    """Put the entrypoint wrapper (a POSIX sh program) into the tools volume."""
    from minprow.runtime import podutils_cmd

    sys.exit(podutils_cmd.place_entrypoint(copy_destination))

"""`minprow branchprotector [--confirm]`: the command around minprow/branchprotector.

Prow runs branchprotector as a periodic job with `--confirm`; run by hand
without it, it only shows what it would change. Here that is a diff per
branch on stdout (the settings GitHub has as `-`, the config's as `+`), and a
summary on stderr. Exit 0 when every org, repository and branch was handled,
1 when any failed (the others are still handled), as Prow's.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.runtime.commands import fail_with, load
from minprow.runtime.components import GitHubSettings, SettingsError

if TYPE_CHECKING:
    from minprow.branchprotector import Protector
    from minprow.github.client import GitHubClient


def main(
    config_path: Path | None,
    job_config_path: Path | None,
    *,
    github: GitHubSettings,
    confirm: bool,
    enable_apps_restrictions: bool,
    verify_restrictions: bool = False,
    enabled_orgs: tuple[str, ...] = (),
    enabled_repos: tuple[str, ...] = (),
    disabled_orgs: tuple[str, ...] = (),
    disabled_repos: tuple[str, ...] = (),
) -> int:
    from minprow.aio import SystemClock
    from minprow.branchprotector import Enablement, EnablementError, Protector

    try:
        enablement = Enablement.of(enabled_orgs, enabled_repos, disabled_orgs, disabled_repos)
    except EnablementError as err:
        return fail_with(str(err))
    config = load(config_path, job_config_path, None)
    if config is None:
        return 1
    if not config.branch_protection.orgs and not config.branch_protection.protect_tested_repos:
        print("branch-protection names no orgs and does not protect tested repos: nothing to do")
        return 0
    try:
        client = github.client(SystemClock())
    except SettingsError as err:
        return fail_with(str(err))
    if client is None:
        return fail_with(
            "branchprotector reads GitHub: pass --github-token-path, or --github-app-id "
            "with --github-app-private-key-path"
        )
    protector = Protector(
        client,
        lambda: config,
        enablement=enablement,
        enable_apps_restrictions=enable_apps_restrictions,
        verify_restrictions=verify_restrictions,
    )
    return asyncio.run(_run(client, protector, confirm))


async def _run(client: GitHubClient, protector: Protector, confirm: bool) -> int:
    from minprow.branchprotector import run_once, summary

    async with client:
        plan = await run_once(protector, confirm=confirm, out=sys.stdout)
    done = "changed" if confirm else "would change (run with --confirm to apply)"
    print(f"branchprotector: {summary(plan)}; {len(plan.changes)} {done}", file=sys.stderr)
    for error in plan.errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if plan.errors else 0

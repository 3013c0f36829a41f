"""Running branchprotector: once from the command line, or every interval in `serve`.

Corresponds to `main` of Prow's cmd/branchprotector/protect.go, which runs as
a periodic job: plan every branch, then apply the changes (with `--confirm`);
without it, Prow logs what a dry-run client would have sent, and minprow
prints the changes as diffs. The exit status is 1 when any org, repository or
branch failed, as Prow's `Fatalf` on errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TextIO

from minprow.aio.clock import Clock
from minprow.branchprotector.diff import render
from minprow.branchprotector.protect import Plan, Protector, summary
from minprow.github.errors import GitHubError

log = logging.getLogger("minprow.branchprotector")

DEFAULT_INTERVAL = timedelta(minutes=30)


async def run_once(protector: Protector, *, confirm: bool, out: TextIO | None = None) -> Plan:
    """Plan, then apply (confirm) or print the diffs (`out`). Failures of `apply` join
    the plan's errors, for the caller to say; nothing stops the other branches."""
    plan = await protector.plan()
    for change in plan.changes:
        if not confirm:
            if out is not None:
                print(render(change), file=out)
            continue
        try:
            await protector.apply(change)
        except GitHubError as err:
            plan.errors.append(f"{change.where}: {err}")
            continue
        log.info("%s: protection %s", change.where, "removed" if change.request is None else "set")
    return plan


async def run_every(protector: Protector, interval: Callable[[], timedelta], clock: Clock) -> None:
    """`serve`'s branchprotector component: apply the config now and every `interval`."""
    while True:
        try:
            plan = await run_once(protector, confirm=True)
            log.info("branchprotector: %s", summary(plan))
            for error in plan.errors:
                log.error("branchprotector: %s", error)
        except GitHubError as err:
            log.error("branchprotector: %s", err)
        await clock.sleep(interval().total_seconds())

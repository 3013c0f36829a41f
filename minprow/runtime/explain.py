"""`minprow explain`: every job of a repo, and why an event would or would not run it.

For a pull request, the presubmits as a PR's open or synchronize runs them
(trigger's `/test all` filter, trust, drafts, `mergeable`); for a push, the
postsubmits (Prow's `handlePE`). The PR's base branch, author and changed files
come from GitHub when credentials are given, else from flags; flags given
alongside GitHub override what GitHub says, to ask "what if". The decisions are
trigger's own functions (minprow/hook/plugins/trigger); `_explain_jobs` names
the reasons. Prints a table, or a JSON list of {job, runs, reason, details}.
"""

from __future__ import annotations

import asyncio
import json
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.runtime.commands import fail_with, load
from minprow.runtime.components import GitHubSettings, SettingsError

if TYPE_CHECKING:
    from minprow.config import Config, Presubmit, Trigger
    from minprow.github.client import GitHubClient
    from minprow.runtime._explain_jobs import Explanation, Gate

OUTPUTS = ("table", "json")
USAGE = 2
"""Exit code for flags that cannot work together (argparse's)."""


@dataclass(frozen=True)
class PullFacts:
    """What the explanation of a pull request rests on, and where it came from."""

    base_ref: str
    author: str
    files: list[str]
    files_known: bool
    source: str
    """"GitHub" or "flags"."""
    draft: bool = False
    mergeable: bool | None = None
    trusted: bool | None = None
    """None: not checked (no GitHub credentials)."""
    trust_reason: str = ""
    ok_to_test_ignored: bool = False
    """The repo's trigger has `ignore_ok_to_test`: only a trusted author's PR runs."""


def usage(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return USAGE


def main(
    config_path: Path | None,
    job_config_path: Path | None,
    plugin_config: Path | None,
    *,
    org_repo: str,
    pr: int | None,
    push_ref: str | None,
    changed_files: list[str] | None,
    author: str | None,
    base_ref: str | None,
    github: GitHubSettings | None,
    output: str,
) -> int:
    """Explain every job of `org_repo` for a PR (`pr`, or `base_ref` offline) or a
    push (`push_ref`); returns the exit code (0, 1 for bad input, 2 for bad flags)."""
    from minprow.runtime._explain_jobs import explain_postsubmits

    if output not in OUTPUTS:
        return usage(f"-o {output!r}: use one of {', '.join(OUTPUTS)}")
    org, _, repo = org_repo.partition("/")
    if not org or not repo or "/" in repo:
        return usage(f"--repo {org_repo!r}: expected org/repo")
    if pr is not None and push_ref is not None:
        return usage("pass --pr or --push, not both")
    config = load(config_path, job_config_path, plugin_config)
    if config is None:
        return 1
    if org_repo not in config.repos():
        known = ", ".join(sorted(config.repos())) or "none"
        return fail_with(f"no presubmits or postsubmits for {org_repo} (repos with jobs: {known})")
    if push_ref is not None:
        if not push_ref.strip():
            return usage("--push needs a ref, such as refs/heads/main or refs/tags/v1.0")
        files = list(changed_files or [])
        results = explain_postsubmits(
            config.postsubmits_for(org, repo),
            push_ref,
            files,
            files_known=changed_files is not None,
            gate=_plugin_gate(config, org, repo, plugin_config),
        )
        header = [
            f"push of {push_ref} to {org_repo}: {_count(files, changed_files is not None)}",
            "(a push that deletes the ref runs no postsubmits)",
        ]
        return _print(results, header, output)
    trigger = config.plugins.trigger_for(org, repo)
    try:
        facts = asyncio.run(
            _pull_facts(org, repo, pr, trigger, github, changed_files, author, base_ref)
        )
    except _InputError as err:
        return usage(err.message) if err.code == USAGE else fail_with(err.message)
    disabled = _plugin_gate(config, org, repo, plugin_config)
    if trigger.ignore_ok_to_test and facts.trusted is False:
        facts = replace(facts, ok_to_test_ignored=True)
    return _explain_pull(config.presubmits_for(org, repo), org_repo, pr, facts, disabled, output)


def _explain_pull(
    jobs: list[Presubmit],
    org_repo: str,
    pr: int | None,
    facts: PullFacts,
    disabled: Gate,
    output: str,
) -> int:
    from minprow.runtime._explain_jobs import explain_presubmits

    results = asyncio.run(
        explain_presubmits(
            jobs,
            facts.base_ref,
            facts.files,
            files_known=facts.files_known,
            gate=_gate(facts, disabled),
        )
    )
    where = f"{org_repo}#{pr}" if pr is not None else org_repo
    header = [
        f"pull request {where} (from {facts.source}): base {facts.base_ref!r}, "
        f"author {facts.author or '(not given)'!r}, {_count(facts.files, facts.files_known)}",
        f"trust: {_trust_line(facts)}",
    ]
    if not jobs:
        header.append(f"no presubmits for {org_repo}")
    return _print(results, header, output)


class _InputError(Exception):
    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


async def _pull_facts(
    org: str,
    repo: str,
    pr: int | None,
    trigger: Trigger,
    github: GitHubSettings | None,
    changed_files: list[str] | None,
    author: str | None,
    base_ref: str | None,
) -> PullFacts:
    from minprow.aio import SystemClock
    from minprow.github.auth import CredentialsError

    try:
        client = github.client(SystemClock()) if github is not None else None
    except SettingsError as err:
        raise _InputError(str(err), USAGE) from err
    except CredentialsError as err:
        raise _InputError(f"GitHub credentials: {err}") from err
    if client is None:
        if not base_ref:
            raise _InputError(
                "without GitHub credentials, pass --base-ref (and --changed-file, --author)", USAGE
            )
        files = list(changed_files or [])
        return PullFacts(base_ref, author or "", files, changed_files is not None, "flags")
    if pr is None:
        raise _InputError("pass --pr N to look the pull request up on GitHub", USAGE)
    async with client:
        return await _from_github(client, org, repo, pr, trigger, changed_files, author, base_ref)


async def _from_github(
    client: GitHubClient,
    org: str,
    repo: str,
    number: int,
    trigger: Trigger,
    changed_files: list[str] | None,
    author: str | None,
    base_ref: str | None,
) -> PullFacts:
    from minprow.github.errors import GitHubError, NotFound
    from minprow.hook.plugins.trigger.trust import trusted_pull_request, trusted_user

    try:
        pull = await client.get_pull_request(org, repo, number)
        if changed_files is None:
            changes = await client.list_pull_request_files(org, repo, number)
            changed_files = [change.filename for change in changes]
        who = author or pull.user.login
        bot = (await client.get_user()).login
        response = await trusted_user(client, trigger, who, org, repo, bot_login=bot)
        _, trusted = await trusted_pull_request(
            client, trigger, who, org, repo, number, bot_login=bot
        )
    except NotFound as err:
        raise _InputError(
            f"pull request {org}/{repo}#{number} not found on GitHub ({err})"
        ) from err
    except GitHubError as err:
        raise _InputError(f"cannot read {org}/{repo}#{number} from GitHub: {err}") from err
    reason = "trusted user" if response.trusted else response.reason
    if trusted and not response.trusted:
        reason += " The PR has the ok-to-test label."
    return PullFacts(
        base_ref=base_ref or pull.base.ref,
        author=who,
        files=changed_files,
        files_known=True,
        source="GitHub",
        draft=bool(pull.draft),
        mergeable=pull.mergeable,
        trusted=trusted,
        trust_reason=reason,
    )


def _plugin_gate(config: Config, org: str, repo: str, plugin_config: Path | None) -> Gate:
    """Hook hands events to trigger only where plugins.yaml enables it (unknown
    without a plugin config: no gate then)."""
    from minprow.runtime._explain_jobs import Gate

    if plugin_config is None or config.plugins.is_enabled("trigger", org, repo):
        return Gate()
    return Gate(
        f"the trigger plugin is not enabled for {org}/{repo} in {plugin_config}",
        blocks_comments=True,
    )


def _gate(facts: PullFacts, disabled: Gate) -> Gate:
    """Hook's plugin enablement, then trigger's order: trust, drafts, `mergeable: false`."""
    from minprow.runtime._explain_jobs import Gate

    if disabled.reason is not None:
        return disabled
    if facts.trusted is False:
        if facts.ok_to_test_ignored:
            return Gate(
                f"author {facts.author!r} is not trusted and trigger ignores ok-to-test here: "
                "only a trusted user's /test runs jobs"
            )
        return Gate(
            f"author {facts.author!r} is not trusted and the PR has no ok-to-test label: "
            "it gets needs-ok-to-test until a trusted user comments /ok-to-test"
        )
    if facts.draft:
        return Gate("draft PR: no jobs start automatically until it is ready for review")
    if facts.mergeable is False:
        return Gate(
            "GitHub says the PR is not mergeable: trigger starts no jobs", blocks_comments=True
        )
    return Gate()


def _trust_line(facts: PullFacts) -> str:
    if facts.trusted is None:
        return "not checked (no GitHub credentials; verdicts assume a trusted author)"
    return ("trusted" if facts.trusted else "NOT trusted") + f": {facts.trust_reason}"


def _count(files: list[str], known: bool) -> str:
    if not known:
        return "no changed files given"
    return f"{len(files)} changed file{'s' * (len(files) != 1)}"


def _print(results: list[Explanation], header: list[str], output: str) -> int:
    if output == "json":
        print(json.dumps([r.to_json() for r in results], indent=2))
        return 0
    for line in header:
        print(line)
    rows = [("JOB", "VERDICT", "REASON")] + [(r.job, r.verdict.value, r.reason) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0].ljust(widths[0])}   {row[1].ljust(widths[1])}   {row[2]}".rstrip())
    return 0

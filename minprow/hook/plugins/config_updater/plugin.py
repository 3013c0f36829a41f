"""The config-updater plugin: merged configuration goes where the CI reads it.

Corresponds to `handlePullRequest`, `handle` and `helpProvider` of Prow's
pkg/plugins/updateconfig/updateconfig.go. When a pull request into the
repository's default branch is merged, the files it changed that plugins.yaml's
`config_updater.maps` names are read at the merge commit from GitHub's
contents API and written to their ConfigMaps (or, in the embedded mode, the
local files standing for them), and the pull request is told what was
updated. One ConfigMap failing does not stop the others; the comment says
which failed and why. A merge whose ConfigMaps already hold it (the same
merge delivered twice) changes nothing and says nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from minprow.config.configupdater import ConfigUpdater
from minprow.github.errors import GitHubError
from minprow.hook.plugins.config_updater.changes import ConfigMapID, KeyUpdate, filter_changes
from minprow.hook.plugins.config_updater.client import ConfigUpdaterGitHub
from minprow.hook.plugins.config_updater.targets import (
    Applied,
    ConfigMapError,
    ConfigMapTarget,
    KeyContent,
)
from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.registry import Plugin

NAME = "config-updater"
MAX_LISTED = 50
"""Keys listed per ConfigMap in the comment (GitHub refuses comments over 65,536
characters; a merge of every job file lists hundreds)."""

HELP = """\
The config-updater plugin keeps the CI's configuration in step with its repository: \
when a pull request that changes files named in plugins.yaml's 'config_updater.maps' \
is merged into the default branch, those files at the merge commit are written to \
their ConfigMaps (with a Kubernetes store) or to minprow's own configuration files \
(embedded mode), and the pull request gets a comment saying what was updated.
"""


@dataclass(frozen=True)
class MergedPR:
    """The facts of a merged pull request the plugin acts on."""

    org: str
    repo: str
    number: int
    merge_sha: str
    author: str


def merged(event: Any) -> MergedPR | None:
    """The merge a `pull_request` event reports, if it is one config-updater acts on:
    closed, merged, with a merge commit, into the repository's default branch."""
    pr = event.pull_request
    if event.action != "closed" or not pr.merged or not pr.merge_commit_sha:
        return None
    base_repo = pr.base.repo or event.repository
    if base_repo.default_branch != pr.base.ref:
        return None
    return MergedPR(
        base_repo.owner.login, base_repo.name, pr.number, pr.merge_commit_sha, pr.user.login
    )


async def handle_merge(
    github: ConfigUpdaterGitHub,
    target: ConfigMapTarget,
    updater: ConfigUpdater,
    default_namespace: str,
    pr: MergedPR,
    log: logging.Logger,
) -> None:
    """Update every ConfigMap the merge touches, then comment once on the PR."""
    if not updater.maps:
        return
    changes = await github.list_pull_request_files(pr.org, pr.repo, pr.number)
    updates = filter_changes(updater, changes, default_namespace, f"{pr.org}/{pr.repo}")
    if not updates:
        return
    files: dict[str, bytes | None] = {}
    done: list[tuple[Applied, list[KeyUpdate]]] = []
    failed: list[str] = []
    for cm_id, key_updates in updates.items():
        try:
            contents = [await _content(github, pr, update, files) for update in key_updates]
            applied = await target.apply(cm_id, contents, pr.merge_sha)
        except (ConfigMapError, GitHubError) as err:
            # One ConfigMap failing (its cluster, its size, a file GitHub would not
            # give) leaves the others to be updated; the comment says which failed.
            reason = str(err) if isinstance(err, ConfigMapError) else f"{_name(cm_id)}: {err}"
            log.warning("config-updater: %s/%s#%d: %s", pr.org, pr.repo, pr.number, reason)
            failed.append(reason)
            continue
        if applied is None:
            log.info("config-updater: %s is not kept here; left alone", _name(cm_id))
        elif applied.changed:
            log.info("config-updater: updated %s from %s", applied.where, pr.merge_sha)
            done.append((applied, key_updates))
    if done or failed:
        await github.create_comment(pr.org, pr.repo, pr.number, comment(pr, done, failed))


async def _content(
    github: ConfigUpdaterGitHub, pr: MergedPR, update: KeyUpdate, files: dict[str, bytes | None]
) -> KeyContent:
    if update.filename is None:
        return KeyContent(update.key, None, None, update.gzip)
    if update.filename not in files:
        files[update.filename] = await github.get_file(
            pr.org, pr.repo, update.filename, pr.merge_sha
        )
    content = files[update.filename]
    if content is None:
        raise ConfigMapError(
            f"`{update.filename}` is not in {pr.org}/{pr.repo} at {pr.merge_sha[:12]}"
        )
    return KeyContent(update.key, update.filename, content, update.gzip)


def comment(
    pr: MergedPR, done: Sequence[tuple[Applied, list[KeyUpdate]]], failed: Sequence[str]
) -> str:
    """The PR comment: what was updated from which files, and what could not be."""
    lines: list[str] = []
    if done:
        lines.append(f"@{pr.author}: merged as {pr.merge_sha[:12]}, which updated:")
        for applied, key_updates in done:
            lines.append(f"- {applied.where}")
            details = applied.details or [_key_line(u) for u in key_updates]
            lines.extend(f"  - {detail}" for detail in details[:MAX_LISTED])
            if len(details) > MAX_LISTED:
                lines.append(f"  - and {len(details) - MAX_LISTED} more")
    if failed:
        if not done:
            lines.append(f"@{pr.author}: merged as {pr.merge_sha[:12]}, but:")
        lines.append("These could not be updated:" if done else "")
        lines.extend(f"- {reason}" for reason in failed)
    return "\n".join(line for line in lines if line) + "\n"


def _key_line(update: KeyUpdate) -> str:
    if update.filename is None:
        return f"key `{update.key}` removed"
    gz = " (gzipped)" if update.gzip else ""
    return f"key `{update.key}` from `{update.filename}`{gz}"


def _name(cm_id: ConfigMapID) -> str:
    return f"ConfigMap {cm_id.name} ({cm_id.namespace}, cluster {cm_id.cluster})"


def config_updater_plugin(target: ConfigMapTarget) -> Plugin:
    """The plugin, writing through `target` (ConfigMaps or local files)."""

    async def on_pull_request(ctx: PluginContext, event: Any) -> None:
        pr = merged(event)
        if pr is None:
            return
        github = ctx.github
        if not isinstance(github, ConfigUpdaterGitHub):
            raise TypeError(
                "the config-updater plugin needs a GitHub client "
                "(list_pull_request_files, get_file, create_comment)"
            )
        config = ctx.config()
        await handle_merge(
            github,
            target,
            config.plugins.config_updater,
            config.prowjob_namespace,
            pr,
            ctx.log.logger,
        )

    return Plugin(name=NAME, help=HELP, handlers={"pull_request": on_pull_request})

"""The help plugin: `/help` and `/good-first-issue` label issues for contributors.

Corresponds to Prow's pkg/plugins/help/help.go. On a new comment on an open
issue (not a pull request), or the body of a newly opened one:

- `/help` adds `help wanted` and comments the guidelines;
- `/good-first-issue` adds `good first issue` (and `help wanted` if missing) and
  comments the good-first-issue guidelines;
- `/remove-help` removes `help wanted` (and `good first issue` with it), and
  deletes the bot's earlier guideline comments;
- `/remove-good-first-issue` removes `good first issue` and its comments.

Each command is a line of its own; commands that would change nothing do
nothing. A GitHub call that fails is logged and the rest still run, as Prow
does. The guidelines link and summary come from plugins.yaml's `help` section
(`help_guidelines_url`, `help_guidelines_summary`). The wording is minprow's.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any

from minprow.github.errors import GitHubError
from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import CREATED, GENERIC_COMMENT, GenericComment, format_response
from minprow.hook.plugins.help.client import HelpGitHub
from minprow.hook.plugins.registry import Plugin

NAME = "help"
HELP_LABEL = "help wanted"
GOOD_FIRST_ISSUE_LABEL = "good first issue"
DEFAULT_GUIDELINES_URL = "https://git.k8s.io/community/contributors/guide/help-wanted.md"

HELP_RE = re.compile(r"^/help\s*$", re.I | re.M)
REMOVE_HELP_RE = re.compile(r"^/remove-help\s*$", re.I | re.M)
GOOD_FIRST_ISSUE_RE = re.compile(r"^/good-first-issue\s*$", re.I | re.M)
REMOVE_GOOD_FIRST_ISSUE_RE = re.compile(r"^/remove-good-first-issue\s*$", re.I | re.M)

HELP_MARK = "This issue is marked as needing help from a contributor."
GOOD_FIRST_ISSUE_MARK = "This issue is marked as suitable for new contributors."
"""The first line of each guidelines comment: how the bot finds its own to delete."""

HELP_TEXT = f"""\
The help plugin adds and removes the '{HELP_LABEL}' and '{GOOD_FIRST_ISSUE_LABEL}' \
labels of issues.

Commands (anyone, on an open issue):
  /help                     add '{HELP_LABEL}' and comment the guidelines
  /remove-help              remove '{HELP_LABEL}' (and '{GOOD_FIRST_ISSUE_LABEL}')
  /good-first-issue         add '{GOOD_FIRST_ISSUE_LABEL}' and '{HELP_LABEL}'
  /remove-good-first-issue  remove '{GOOD_FIRST_ISSUE_LABEL}'
"""


@dataclass(frozen=True)
class Guidelines:
    """plugins.yaml's `help` section."""

    url: str = DEFAULT_GUIDELINES_URL
    summary: str = ""

    @classmethod
    def from_section(cls, section: Any) -> Guidelines:
        if not isinstance(section, Mapping):
            return cls()
        url = section.get("help_guidelines_url") or DEFAULT_GUIDELINES_URL
        return cls(url=str(url), summary=str(section.get("help_guidelines_summary") or ""))

    def _message(self, mark: str, anchor: str, remove: str) -> str:
        link = f"{self.url}{anchor}"
        if self.summary:
            middle = (
                f"### Guidelines\n{self.summary}\n\n"
                f"The full requirements for such an issue are [here]({link}); "
                "please check that it meets them.\n"
            )
        else:
            middle = f"Please check that it meets the requirements listed [here]({link}).\n"
        return (
            f"{mark}\n\n{middle}\n"
            f"If it stops meeting them, comment `{remove}` to remove the label.\n"
        )

    def help_message(self) -> str:
        return self._message(HELP_MARK, "", "/remove-help")

    def good_first_issue_message(self) -> str:
        return self._message(GOOD_FIRST_ISSUE_MARK, "#good-first-issue", "/remove-good-first-issue")


def _same_user(a: str, b: str) -> bool:
    return a.removesuffix("[bot]").lower() == b.removesuffix("[bot]").lower()


class _Issue:
    """The GitHub calls for one issue, each failure logged and survived."""

    def __init__(self, gh: HelpGitHub, c: GenericComment, log: logging.Logger) -> None:
        self.gh, self.c, self.log = gh, c, log

    async def _try(self, what: str, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except GitHubError as err:
            self.log.error("help: failed to %s on %s/%s#%d: %s", what, *self._where(), err)
            return None

    def _where(self) -> tuple[str, str, int]:
        return self.c.org, self.c.repo, self.c.number

    async def labels(self) -> set[str]:
        found = await self._try("list labels", self.gh.list_issue_labels(*self._where()))
        return {label.name.lower() for label in found or ()}

    async def add(self, label: str) -> None:
        await self._try(f"add label {label!r}", self.gh.add_labels(*self._where(), [label]))

    async def remove(self, label: str) -> None:
        await self._try(f"remove label {label!r}", self.gh.remove_label(*self._where(), label))

    async def reply(self, message: str) -> None:
        c = self.c
        text = format_response(c.body, c.issue_html_url, c.author, message)
        await self._try("comment", self.gh.create_comment(*self._where(), text))

    async def prune(self, mark: str) -> None:
        """Delete the bot's earlier comments containing `mark` (Prow's `PruneComments`)."""
        bot = await self._try("get the bot's user", self.gh.get_user())
        comments = await self._try("list comments", self.gh.list_issue_comments(*self._where()))
        if bot is None or not comments:
            return
        for comment in comments:
            if _same_user(comment.user.login, bot.login) and mark in comment.body:
                await self._try(
                    f"delete comment {comment.id}",
                    self.gh.delete_comment(self.c.org, self.c.repo, comment.id),
                )


async def handle(
    gh: HelpGitHub, log: logging.Logger, c: GenericComment, guidelines: Guidelines
) -> None:
    """Prow's `handle`: act on the first command that applies, in Prow's order."""
    if c.is_pr or c.issue_state != "open" or c.action != CREATED:
        return
    commands = (HELP_RE, REMOVE_HELP_RE, GOOD_FIRST_ISSUE_RE, REMOVE_GOOD_FIRST_ISSUE_RE)
    if not any(r.search(c.body) for r in commands):
        return
    issue = _Issue(gh, c, log)
    labels = await issue.labels()
    has_help = HELP_LABEL in labels
    has_gfi = GOOD_FIRST_ISSUE_LABEL in labels
    if has_help and REMOVE_HELP_RE.search(c.body):
        await issue.remove(HELP_LABEL)
        await issue.prune(HELP_MARK)
        if has_gfi:
            await issue.remove(GOOD_FIRST_ISSUE_LABEL)
            await issue.prune(GOOD_FIRST_ISSUE_MARK)
    elif not has_gfi and GOOD_FIRST_ISSUE_RE.search(c.body):
        await issue.reply(guidelines.good_first_issue_message())
        await issue.add(GOOD_FIRST_ISSUE_LABEL)
        if not has_help:
            await issue.add(HELP_LABEL)
    elif not has_help and HELP_RE.search(c.body):
        await issue.reply(guidelines.help_message())
        await issue.add(HELP_LABEL)
    elif has_gfi and REMOVE_GOOD_FIRST_ISSUE_RE.search(c.body):
        await issue.remove(GOOD_FIRST_ISSUE_LABEL)
        await issue.prune(GOOD_FIRST_ISSUE_MARK)


async def _run(ctx: PluginContext, c: GenericComment) -> None:
    github = ctx.github
    if not isinstance(github, HelpGitHub):
        raise TypeError("the help plugin needs a GitHub client (labels and comments)")
    guidelines = Guidelines.from_section(ctx.config().plugins.section("help"))
    await handle(github, ctx.log.logger, c, guidelines)


async def on_generic_comment(ctx: PluginContext, comment: GenericComment) -> None:
    await _run(ctx, comment)


HELP = Plugin(
    name=NAME,
    help=HELP_TEXT,
    handlers={GENERIC_COMMENT: on_generic_comment},
)
"""The help plugin, for hook's explicit tuple of plugins."""

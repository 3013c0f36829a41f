"""trigger with no GitHub credentials: a GitHub answered from the webhook's payload.

Prow's trigger asks GitHub whom to trust, where the base branch points, which
files a pull request changes, and posts its replies there. On a laptop with no
credentials, `PayloadGitHub` satisfies the same `TriggerGitHub` Protocol from
what the delivery itself carries, so the handlers run unchanged:

- trust: the payload's `author_association` of the PR's author or the
  commenter: OWNER and MEMBER count as org members, COLLABORATOR as a
  collaborator (so `only_org_members` still means what it says); nobody is a
  member of another org (`trusted_org`);
- the base branch's head is the payload's base sha (Prow reads the branch's
  current head instead);
- the changed files come from a local clone mapped to the repository
  (`--local-repo org/repo=PATH`), as `git diff` from the merge base of the
  payload's base and head shas, when the clone has both; otherwise none are
  known, so the jobs that depend on them do not run, and the log says so;
- labels are the payload's; nothing is posted: each comment, label or
  workflow approval trigger would have made is logged once, at info.

What only GitHub can say (a pull request named by a comment, the statuses of
a commit for `/retest`) raises `PayloadOnly`, which the plugin logs as a
sentence, never as a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minprow.github.types import CombinedStatus, Label, PullRequestChange, User
from minprow.hook.plugins.generic import GenericComment, _get

TRUSTED_MEMBER = frozenset({"OWNER", "MEMBER"})
"""`author_association` values that count as members of the repository's org."""
TRUSTED_COLLABORATOR = frozenset({"COLLABORATOR"})
"""`author_association` values that count as collaborators on the repository."""
GIT_TIMEOUT = 60.0
"""Seconds a `git` command on a local clone may take."""

Log = logging.Logger | logging.LoggerAdapter[Any]


class PayloadOnly(RuntimeError):
    """Something trigger needs that only GitHub can say: why, for the log."""


@dataclass(frozen=True)
class Facts:
    """What one delivery tells about its repository and pull request."""

    org: str
    repo: str
    number: int = 0
    associations: Mapping[str, str] = field(default_factory=dict)
    """login -> `author_association`, for the users the payload describes."""
    base_ref: str = ""
    base_sha: str = ""
    head_sha: str = ""
    labels: tuple[str, ...] = ()
    pull: Any = None
    """The payload's pull request object (a pull_request event's), if any."""


def pull_request_facts(event: Any) -> Facts:
    """The facts of a `pull_request` webhook (parsed model or plain JSON)."""
    pull = _get(event, "pull_request")
    author = str(_get(pull, "user", "login", default=""))
    return Facts(
        org=str(_get(pull, "base", "repo", "owner", "login", default="")),
        repo=str(_get(pull, "base", "repo", "name", default="")),
        number=int(_get(pull, "number", default=0)),
        associations={author: str(_get(pull, "author_association", default=""))},
        base_ref=str(_get(pull, "base", "ref", default="")),
        base_sha=str(_get(pull, "base", "sha", default="")),
        head_sha=str(_get(pull, "head", "sha", default="")),
        labels=tuple(
            str(_get(label, "name", default="")) for label in _get(pull, "labels", default=())
        ),
        pull=pull,
    )


def comment_facts(comment: GenericComment) -> Facts:
    """The facts of a generic comment: who wrote it and who opened the issue."""
    associations = {comment.issue_author: comment.issue_author_association}
    associations[comment.author] = comment.author_association
    return Facts(
        org=comment.org, repo=comment.repo, number=comment.number, associations=associations
    )


def push_facts(org: str, repo: str) -> Facts:
    """A push: trigger asks GitHub nothing about it."""
    return Facts(org=org, repo=repo)


class LocalClones:
    """Local clones standing in for GitHub repositories (`--local-repo org/repo=PATH`)."""

    def __init__(self, clones: Mapping[str, Path] | None = None) -> None:
        self.clones = dict(clones or {})

    def __bool__(self) -> bool:
        return bool(self.clones)

    def describe(self) -> str:
        return ", ".join(f"{name}={path}" for name, path in sorted(self.clones.items()))

    async def changed_files(self, facts: Facts, log: Log) -> list[str]:
        """The files the pull request changes, from its repository's clone: `git diff`
        from the merge base of its base and head; none when that cannot be known."""
        name = f"{facts.org}/{facts.repo}"
        where = f"{name}#{facts.number}"
        clone = self.clones.get(name)
        if clone is None:
            log.info(
                "changed files of %s unknown: no --local-repo %s=PATH; jobs that run only "
                "for some changed files (run_if_changed, skip_if_only_changed) do not run",
                where,
                name,
            )
            return []
        missing = [sha for sha in (facts.base_sha, facts.head_sha) if not await _has(clone, sha)]
        if missing:
            log.info(
                "changed files of %s unknown: the clone %s does not have %s (fetch them "
                "into it); jobs that run only for some changed files do not run",
                where,
                clone,
                " and ".join(sha or "(no sha in the payload)" for sha in missing),
            )
            return []
        code, out, err = await _git(
            clone,
            "diff",
            "--name-only",
            "-z",
            "--find-renames",
            f"{facts.base_sha}...{facts.head_sha}",
        )
        if code != 0:
            log.info("changed files of %s unknown: git diff in %s: %s", where, clone, err.strip())
            return []
        return [name for name in out.split("\0") if name]


async def _git(clone: Path, *args: str) -> tuple[int, str, str]:
    """Run `git -C clone ARGS`: (exit code, stdout, stderr)."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        proc = await asyncio.create_subprocess_exec(
            "git",
            "-C",
            str(clone),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
    except OSError as error:
        return 127, "", f"cannot run git: {error}"
    try:
        out, err = await asyncio.wait_for(proc.communicate(), GIT_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return 124, "", f"git {args[0]} took more than {GIT_TIMEOUT:g} s"
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")


async def _has(clone: Path, sha: str) -> bool:
    if not sha:
        return False
    code, _, _ = await _git(clone, "cat-file", "-e", f"{sha}^{{commit}}")
    return code == 0


def _first_line(body: str, limit: int = 120) -> str:
    line = body.strip().splitlines()[0] if body.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


class PayloadGitHub:
    """The `TriggerGitHub` of one delivery when there are no GitHub credentials."""

    def __init__(self, facts: Facts, clones: LocalClones, log: Log) -> None:
        self.facts = facts
        self._clones = clones
        self._log = log
        self._trusted: dict[str, bool] = {}
        """Per user asked about: whether some check trusted them."""

    def _association(self, user: str) -> str:
        return self.facts.associations.get(user, "")

    def _asked(self, user: str, trusted: bool) -> bool:
        self._trusted[user] = self._trusted.get(user, False) or trusted
        return trusted

    def report(self) -> None:
        """Log why each user asked about was not trusted: with no credentials, the
        payload's word is all there is, and nothing is posted to say so."""
        for user, trusted in self._trusted.items():
            if trusted:
                continue
            association = self._association(user) or "not given"
            note = (
                " (a collaborator, and only_org_members is set)"
                if association in TRUSTED_COLLABORATOR
                else ""
            )
            self._log.info(
                "%s is not trusted in %s/%s: the payload's author_association is %s%s; "
                "trusted are OWNER, MEMBER and COLLABORATOR (no GitHub credentials to ask "
                "GitHub)",
                user,
                self.facts.org,
                self.facts.repo,
                association,
                note,
            )
        self._trusted.clear()

    def _would(self, what: str, org: str, repo: str, number: int) -> None:
        self._log.info("no GitHub credentials: would have %s on %s/%s#%d", what, org, repo, number)

    async def get_user(self) -> User:
        return User(login="")  # no bot: nothing trigger reads is its own

    async def is_member(self, org: str, user: str) -> bool:
        member = org == self.facts.org and self._association(user) in TRUSTED_MEMBER
        return self._asked(user, member)

    async def is_collaborator(self, org: str, repo: str, user: str) -> bool:
        ours = (org, repo) == (self.facts.org, self.facts.repo)
        association = self._association(user)
        return self._asked(user, ours and association in TRUSTED_MEMBER | TRUSTED_COLLABORATOR)

    async def get_ref(self, org: str, repo: str, ref: str) -> str:
        if ref == f"heads/{self.facts.base_ref}" and self.facts.base_sha:
            return self.facts.base_sha
        raise PayloadOnly(
            f"where {org}/{repo} {ref} points is known only to GitHub (no GitHub credentials)"
        )

    async def get_pull_request(self, org: str, repo: str, number: int) -> Any:
        pull = self.facts.pull
        if pull is not None and number == self.facts.number:
            return pull
        raise PayloadOnly(
            f"commands in comments on {org}/{repo}#{number} are not acted on: with no GitHub "
            "credentials trigger knows a pull request's head and base only from a "
            "pull_request event's payload (send one to run its jobs)"
        )

    async def list_pull_request_files(
        self, org: str, repo: str, number: int
    ) -> Sequence[PullRequestChange]:
        files = await self._clones.changed_files(self.facts, self._log)
        return [PullRequestChange(filename=name) for name in files]

    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[Label]:
        return [Label(name=name) for name in self.facts.labels]

    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None:
        self._would(f"added the labels {', '.join(labels)}", org, repo, number)

    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None:
        self._would(f"removed the label {label}", org, repo, number)

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None:
        self._would(f"commented {_first_line(body)!r}", org, repo, number)

    async def list_issue_comments(self, org: str, repo: str, number: int) -> Sequence[Any]:
        return []

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        return None  # it never posted one

    async def get_combined_status(self, org: str, repo: str, ref: str) -> CombinedStatus:
        raise PayloadOnly(
            f"/retest needs the commit statuses of {org}/{repo}@{ref[:12]}, known only to "
            "GitHub (no GitHub credentials)"
        )

    async def get_pending_approval_action_runs(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> Sequence[Any]:
        return []

    async def approve_workflow_run(self, org: str, repo: str, run_id: int) -> None:
        return None

    async def get_failed_action_runs_by_head_branch(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> Sequence[Any]:
        return []

    async def rerun_failed_workflow_jobs(self, org: str, repo: str, run_id: int) -> None:
        return None

    async def find_issues_with_org(
        self, org: str, query: str, sort: str = "", asc: bool = False
    ) -> Sequence[object]:
        return []


def assumptions(clones: LocalClones) -> str:
    """What trigger assumes with no GitHub credentials, for the start-up log."""
    files = (
        f"changed files from the local clones of --local-repo ({clones.describe()})"
        if clones
        else "no changed files known (map a clone with --local-repo ORG/REPO=PATH), so "
        "jobs that run only for some changed files do not run"
    )
    return (
        "trigger trusts the author_association of payloads (OWNER, MEMBER, COLLABORATOR), "
        f"tests against the payload's base sha, has {files}, and posts no comments or "
        "labels (it logs what it would have posted)"
    )

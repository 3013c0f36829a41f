"""The summary comment of failed tests on a pull request, as Prow writes it.

Corresponds to `ReportComment`'s helpers in Prow's pkg/github/report/report.go:
the bot's comments carrying `COMMENT_TAG` are read back, their table rows kept
for contexts not being reported now (the newest row per context wins), a row
added for each failed job, and the result is one comment: the latest of the
bot's tagged comments is edited when no new failure appeared and some rows
remain, every other tagged comment is deleted, and a new one is created when a
job failed (so the newest failures are at the bottom of the conversation).
When no rows remain the tagged comments are deleted and nothing is created,
unless the repo wants a summary every time (`summary_comment_repos`), which
then says that all tests passed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from minprow.model import ProwJob, ProwJobState, ProwJobType
from minprow.model.labels import IS_OPTIONAL

COMMENT_TAG = "<!-- test report -->"
"""The marker of crier's summary comment (Prow's `CommentTag`), kept byte for byte."""
ABOUT = (
    "Instructions for interacting with me through pull request comments are "
    "[here](https://git.k8s.io/community/contributors/guide/pull-requests.md). "
    "Questions or suggestions about how I behave go in an issue on "
    "[kubernetes-sigs/prow](https://github.com/kubernetes-sigs/prow/issues/new?title=Prow%20issue:)."
)
"""The footer in the comment's `<details>` block (where Prow puts plugins.AboutThisBot)."""
HEADER = "Test name | Commit | Details | Required | Rerun command"


class Login(Protocol):
    """A GitHub user as the client returns it; only the login is read."""

    @property
    def login(self) -> str: ...


class Comment(Protocol):
    """An issue comment as the GitHub client returns it."""

    @property
    def id(self) -> int: ...

    @property
    def body(self) -> str: ...

    @property
    def user(self) -> Login: ...


@dataclass
class Plan:
    """What to do with the pull request's comments."""

    delete: list[int] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)
    update: int | None = None
    """The comment to edit; None means create one (when there are entries)."""


def plan(
    jobs: Sequence[ProwJob], is_bot: Callable[[str], bool], comments: Sequence[Comment]
) -> Plan:
    """Prow's `parseIssueComments`."""
    previous: list[int] = []
    latest: int | None = None
    old: list[str] = []
    for comment in comments:
        if not is_bot(comment.user.login) or COMMENT_TAG not in comment.body:
            continue
        if latest is not None:
            previous.append(latest)
        latest = comment.id
        tracking = False
        for raw in comment.body.split("\n"):
            line = raw.strip()
            if line.startswith("---"):
                tracking = True
            elif not line:
                tracking = False
            elif tracking:
                old.append(line)
    reported = {job.spec.context for job in jobs}
    contexts = [line.split(" | ")[0] for line in old]
    # Keep an old row unless a newer row or a job reported now has its context.
    kept = [
        line
        for i, line in enumerate(old)
        if contexts[i] not in contexts[i + 1 :] and contexts[i] not in reported
    ]
    failed = [entry(job) for job in jobs if job.status.state is ProwJobState.FAILURE]
    result = Plan(delete=previous, entries=kept + failed, update=latest)
    if latest is not None and (failed or not result.entries):
        result.delete.append(latest)
        result.update = None
    return result


def entry(job: ProwJob) -> str:
    """Prow's `createEntry`: one row of the table."""
    required = "unknown"
    if job.spec.type is ProwJobType.PRESUBMIT:
        optional = _parse_bool(job.metadata.labels.get(IS_OPTIONAL))
        if optional is not None:
            required = "false" if optional else "true"
    pulls = job.spec.refs.pulls if job.spec.refs else None
    sha = pulls[0].sha if pulls else ""
    return " | ".join(
        [
            job.spec.context or "",
            sha,
            f"[link]({job.status.url or ''})",
            required,
            f"`{job.spec.rerun_command or ''}`",
        ]
    )


def body(jobs: Sequence[ProwJob], entries: Sequence[str], rendered_template: str | None) -> str:
    """Prow's `createComment`: the comment text for these jobs and table rows."""
    refs = jobs[0].spec.refs
    author = refs.pulls[0].author if refs and refs.pulls else ""
    if entries:
        plural = "s" if len(entries) > 1 else ""
        lines = [
            f"@{author}: The following test{plural} **failed**, say `/retest` to rerun all "
            "failed tests or `/retest-required` to rerun all mandatory failed tests:",
            "",
            HEADER,
            "--- | --- | --- | --- | ---",
        ]
    else:
        lines = [f"@{author}: all tests **passed!**", ""]
    lines.extend(entries)
    if rendered_template is not None:
        lines.extend(["", rendered_template])
    lines.extend(["", "<details>", "", ABOUT, "</details>", COMMENT_TAG])
    return "\n".join(lines)


def _parse_bool(value: str | None) -> bool | None:
    # Go's strconv.ParseBool.
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    return None

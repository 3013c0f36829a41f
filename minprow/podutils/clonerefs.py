"""Clone a job's refs into its workspace, as Prow's clonerefs does, with GitPython.

Corresponds to Prow's pkg/clonerefs/run.go and pkg/pod-utils/clone (clone.go,
types.go, format.go). For each refs, in its own directory
`<code_dir>/src/<host>/<path>` and in parallel across refs, the git commands
Prow runs:

1. `git init`, `git config user.name ci-robot`, `git config user.email ci-robot@k8s.io`;
2. `git fetch <uri> --tags --prune` (not with `skip_fetch_head`), then
   `git fetch <uri> <base_sha or base_ref>`; `--depth` from `clone_depth`,
   `--filter=blob:none` from `blobless_fetch`; sparse checkouts as Prow does;
3. `git checkout <base_sha or FETCH_HEAD>`, `git branch --force <base_ref> ...`,
   `git checkout <base_ref>`;
4. per pull in order: `git fetch <uri> <ref, else sha, else pull/N/head>` and
   `git merge --no-ff <sha or FETCH_HEAD>`, committed at the base commit's time
   plus one second per merge, so the same refs give the same merge SHAs;
5. `git submodule update --init --recursive` unless `skip_submodules`.

The URI is `clone_uri`, else `<repo_link>.git`, else
`https://github.com/<org>/<repo>.git`. Fetches are retried with Prow's backoff
(0.1s up to 30s) except on errors that no retry fixes (a missing ref or
repository), where Prow would wait a minute for nothing.

Each refs gives a `CloneRecord` (Prow's `clone.Record`): the commands with their
output and error, the final SHA, whether it failed and how long it took. The
records are written as `clone-records.json` and, formatted as Prow's
`FormatRecord` does, as `clone-log.txt`. Credentials in a `clone_uri`
(`https://user:token@...`) never reach a record or a log.

Prow's clonerefs also adds SSH keys, host fingerprints, a cookie file, OAuth
and GitHub App tokens (from Kubernetes secrets) and puts an "Environment setup"
record first; minprow clones with the credentials of the user running it and
writes one record per refs.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from minprow.model import Refs, format_duration
from minprow.podutils.gojson import marshal, refs_data
from minprow.podutils.jobspec import DEFAULT_HOST
from minprow.podutils.render import checkout_path

if TYPE_CHECKING:
    import git

log = logging.getLogger("minprow.podutils.clonerefs")

GIT_USER_NAME = "ci-robot"
"""The committer of merge commits (Prow's `DefaultGitUserName`)."""
GIT_USER_EMAIL = "ci-robot@k8s.io"
"""Prow's `DefaultGitUserEmail`."""
FETCH_RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8, 2.0, 5.0, 10.0, 15.0, 30.0)
"""Seconds to wait before each retry of a failed fetch (Prow's `fetchRetries`)."""
CLONE_LOG = "clone-log.txt"
CLONE_RECORDS = "clone-records.json"

_PERMANENT = re.compile(
    r"couldn't find remote ref|not our ref|does not appear to be a git repository"
    r"|repository '.*' not found|Repository not found|Authentication failed"
    r"|could not read Username|invalid refspec|is not a valid|refusing to run git"
)


# Settings that keep a developer's git config from breaking an unattended clone:
# no prompt for a password, no signing of merge commits.
def _quiet_git() -> dict[str, str]:
    """No prompts and no commit signing, the config entry added after those the
    environment already has (`GIT_CONFIG_COUNT`: a user's, or `--local-repo`'s URL
    rewrites), never in their place."""
    try:
        count = max(int(os.environ.get("GIT_CONFIG_COUNT") or 0), 0)
    except ValueError:
        count = 0
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_COUNT": str(count + 1),
        f"GIT_CONFIG_KEY_{count}": "commit.gpgSign",
        f"GIT_CONFIG_VALUE_{count}": "false",
    }


_DIAGNOSES = ("fatal:", "error:", "CONFLICT", "refusing")
_USERINFO = re.compile(r"(?i)\b((?:https?|ssh|git|ftps?)://)[^/@\s'\"]+@")
_HARMLESS_USERS = frozenset({"git", "x-oauth-basic", "x-access-token", "oauth2"})


@dataclass(frozen=True)
class CloneCommand:
    """One command run while cloning (Prow's `clone.Command`)."""

    command: str
    output: str = ""
    error: str = ""
    duration: timedelta = timedelta(0)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CloneCommand:
        """A command read back from `clone-records.json`."""
        return cls(
            command=str(data.get("command", "")),
            output=str(data.get("output", "")),
            error=str(data.get("error", "")),
            duration=_from_nanoseconds(data.get("duration", 0)),
        )

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"command": self.command}
        if self.output:
            data["output"] = self.output
        if self.error:
            data["error"] = self.error
        if self.duration:
            data["duration"] = _nanoseconds(self.duration)
        return data


@dataclass(frozen=True)
class CloneRecord:
    """What cloning one refs did and where it ended (Prow's `clone.Record`)."""

    refs: Refs
    commands: tuple[CloneCommand, ...] = ()
    failed: bool = False
    final_sha: str = ""
    duration: timedelta = timedelta(0)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CloneRecord:
        """A record read back from `clone-records.json` (what initupload reads)."""
        return cls(
            refs=Refs.model_validate(data.get("refs") or {}),
            commands=tuple(CloneCommand.from_data(c) for c in data.get("commands") or ()),
            failed=bool(data.get("failed", False)),
            final_sha=str(data.get("final_sha", "")),
            duration=_from_nanoseconds(data.get("duration", 0)),
        )

    def to_data(self) -> dict[str, Any]:
        """The JSON object of `clone-records.json` (durations in nanoseconds, as Go writes them)."""
        refs = refs_data(self.refs)
        if "clone_uri" in refs:
            refs["clone_uri"] = censor(refs["clone_uri"])
        data: dict[str, Any] = {"refs": refs}
        if self.commands:
            data["commands"] = [c.to_data() for c in self.commands]
        if self.failed:
            data["failed"] = True
        if self.final_sha:
            data["final_sha"] = self.final_sha
        if self.duration:
            data["duration"] = _nanoseconds(self.duration)
        return data

    def format(self) -> str:
        """The record as Prow's `FormatRecord` writes it into `clone-log.txt`."""
        refs = self.refs
        lines: list[str] = ["# FAILED"] if self.failed else []
        head = f"# Cloning {refs.org}/{refs.repo} at {refs.base_ref or ''}" if refs.repo else ""
        if refs.base_sha:
            head += f"({refs.base_sha})"
        lines.append(head or "Environment setup")
        if refs.pulls:
            lines.append("# Checking out pulls:")
            lines.extend(f"#\t{p.number}" + (f"({p.sha})" if p.sha else "") for p in refs.pulls)
        text = "\n".join(lines) + "\n"
        for command in self.commands:
            runtime = f" (runtime: {format_duration(command.duration)})" if command.duration else ""
            text += f"$ {command.command}{runtime}\n{command.output}"
            if command.error:
                text += f"# Error: {command.error}\n"
        text += f"# Final SHA: {self.final_sha}\n"
        return text + f"# Total runtime: {format_duration(self.duration)}\n"


class CloneError(Exception):
    """Cloning at least one refs failed; the message names the repository and git's error."""

    def __init__(self, message: str, records: Sequence[CloneRecord] = ()) -> None:
        super().__init__(message)
        self.records = list(records)


def records_json(records: Sequence[CloneRecord]) -> str:
    """`clone-records.json` as Prow's clonerefs writes it."""
    return marshal([r.to_data() for r in records])


def format_records(records: Sequence[CloneRecord]) -> str:
    """`clone-log.txt` as Prow's initupload writes it."""
    return "".join(r.format() for r in records)


def clone_refs(refs: list[Refs], code_dir: Path, *, log: Path | None = None) -> list[CloneRecord]:
    """Clone every refs under `code_dir/src`, in parallel; one record per refs, in order.

    With `log`, writes the readable log there (`clone-log.txt`) and the records
    beside it (`clone-records.json`). Raises CloneError, after writing both, when
    any clone failed."""
    _check_paths(refs, code_dir)
    with ThreadPoolExecutor(max_workers=max(1, len(refs)), thread_name_prefix="clone") as pool:
        records = list(pool.map(lambda r: _Clone(r, code_dir).run(), refs))
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(format_records(records))
        (log.parent / CLONE_RECORDS).write_text(records_json(records))
    failures = [_failure(r) for r in records if r.failed]
    if failures:
        raise CloneError("; ".join(failures), records)
    return records


def clone_uri(refs: Refs) -> str:
    """Where a refs is fetched from: `clone_uri`, `<repo_link>.git` or GitHub (Prow's `gitCtxForRefs`)."""
    if refs.clone_uri:
        return refs.clone_uri
    if refs.repo_link:
        return f"{refs.repo_link}.git"
    return f"https://{DEFAULT_HOST}/{refs.org}/{refs.repo}.git"


def censor(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` without the user/token part of any URL in it, nor any of `secrets`."""
    for secret in secrets:
        text = text.replace(secret, "CENSORED")
    return _USERINFO.sub(r"\1CENSORED@", text)


def _check_paths(refs: list[Refs], code_dir: Path) -> None:
    # Prow's clonerefs Options.Validate: one checkout path per repository.
    seen: dict[str, Refs] = {}
    for ref in refs:
        path = checkout_path(ref, base=str(code_dir))
        other = seen.get(path)
        if other is not None and (other.org, other.repo) == (ref.org, ref.repo):
            raise CloneError(
                f"{ref.org}/{ref.repo} is listed twice: both would be cloned to {path}"
            )
        if other is not None:
            log.warning(
                "%s/%s and %s/%s are both cloned to %s",
                other.org,
                other.repo,
                ref.org,
                ref.repo,
                path,
            )
        seen[path] = ref


def _failure(record: CloneRecord) -> str:
    refs = record.refs
    failed = next((c for c in reversed(record.commands) if c.error), None)
    if failed is None:
        return f"cloning {refs.org}/{refs.repo} failed"
    lines = [line.strip() for line in failed.output.splitlines() if line.strip()]
    # git's own diagnosis, else its last word, else the exit status.
    reason = next((line for line in lines if line.startswith(_DIAGNOSES)), None)
    reason = reason or (lines[-1] if lines else failed.error)
    # The command without its PWD= and other variable assignments.
    words = failed.command.split(" ")
    command = " ".join(words[next((i for i, w in enumerate(words) if "=" not in w), 0) :])
    return f"cloning {refs.org}/{refs.repo} failed: {command}: {reason}"


def read_records(text: str) -> list[CloneRecord]:
    """`clone-records.json` (Prow's `[]clone.Record`) read back; ValueError when malformed."""
    data = json.loads(text)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError("clone records are not a JSON list of objects")
    try:
        return [CloneRecord.from_data(r) for r in data]
    except ValidationError as err:
        raise ValueError(f"malformed refs in clone records: {err}") from err


def _from_nanoseconds(value: object) -> timedelta:
    return timedelta(microseconds=value / 1000) if isinstance(value, int) else timedelta(0)


def _nanoseconds(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 10**9 + value.microseconds * 1_000


def _secrets(uri: str) -> list[str]:
    try:
        parts = urlsplit(uri)
        names = [parts.username, parts.password]
    except ValueError:
        return []
    return [n for n in names if n and len(n) >= 6 and n not in _HARMLESS_USERS]


class _CommandFailed(Exception):
    pass


@dataclass(frozen=True)
class _Ran:
    command: str
    status: int
    output: str
    begun: float


@dataclass
class _Clone:
    """The commands for one refs, run in order until one fails (Prow's `clone.Run`)."""

    refs: Refs
    code_dir: Path
    commands: list[CloneCommand] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.dir = Path(checkout_path(self.refs, base=str(self.code_dir)))
        self.uri = clone_uri(self.refs)
        self.secrets = _secrets(self.uri)
        from git import Git  # GitPython is slow to import; only cloning needs it.

        self.git: git.Git = Git(str(self.dir))

    def run(self) -> CloneRecord:
        started = time.monotonic()
        log.info("cloning %s/%s (%s) into %s", self.refs.org, self.refs.repo, self.refs, self.dir)
        try:
            self._base()
            timestamp = self._head_timestamp()
            self._pulls(timestamp)
            final_sha = self._rev_parse()
        except _CommandFailed:
            return CloneRecord(self.refs, tuple(self.commands), failed=True)
        return CloneRecord(
            self.refs,
            tuple(self.commands),
            final_sha=final_sha,
            duration=timedelta(seconds=time.monotonic() - started),
        )

    def _base(self) -> None:
        refs = self.refs
        self._mkdir()
        self._git("init")
        self._git("config", "user.name", GIT_USER_NAME)
        self._git("config", "user.email", GIT_USER_EMAIL)
        sparse = refs.sparse_checkout_files or []
        depth = (
            ["--depth", str(1 if sparse else refs.clone_depth)]
            if sparse or refs.clone_depth
            else []
        )
        blobless = ["--filter=blob:none"] if refs.blobless_fetch or sparse else []
        if sparse:
            self._git("sparse-checkout", "init")
        if not (refs.skip_fetch_head or sparse):
            self._fetch(*depth, *blobless, self.uri, "--tags", "--prune")
        target = refs.base_sha or "FETCH_HEAD"
        fetch_ref = refs.base_sha or refs.base_ref or ""
        self._fetch(*depth, *blobless, *(["--no-tags"] if sparse else []), self.uri, fetch_ref)
        if sparse:
            self._git("sparse-checkout", "set", *sparse)
        # Check out the commit first: a branch we are on cannot be reset.
        self._git("checkout", target)
        self._git("branch", "--force", refs.base_ref or "", target)
        self._git("checkout", refs.base_ref or "")

    def _pulls(self, timestamp: int) -> None:
        refs = self.refs
        for pull in refs.pulls or ():
            ref = pull.ref or pull.sha or f"pull/{pull.number}/head"
            blobless = ["--filter=blob:none"] if refs.blobless_fetch else []
            self._fetch(*blobless, self.uri, ref)
            timestamp += 1
            dates = {"GIT_AUTHOR_DATE": str(timestamp), "GIT_COMMITTER_DATE": str(timestamp)}
            self._git("merge", "--no-ff", pull.sha or "FETCH_HEAD", env=dates)
        if not refs.skip_submodules and not refs.sparse_checkout_files:
            self._git("submodule", "update", "--init", "--recursive")

    def _mkdir(self) -> None:
        begun, status, output = time.monotonic(), 0, ""
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            status, output = 1, f"{err}\n"
        self._record(_Ran(f"PWD=/ mkdir -p {self.dir}", status, output, begun))

    def _fetch(self, *args: str) -> None:
        for delay in (*FETCH_RETRY_DELAYS, None):
            ran = self._exec("fetch", *args)
            if ran.status == 0 or delay is None or _PERMANENT.search(ran.output):
                break
            log.info("retrying in %ss: %s", delay, censor(ran.command, self.secrets))
            time.sleep(delay)
        self._record(ran)

    def _git(self, *args: str, env: dict[str, str] | None = None) -> None:
        self._record(self._exec(*args, env=env))

    def _exec(self, *args: str, env: dict[str, str] | None = None) -> _Ran:
        env = env or {}
        command = " ".join([f"PWD={self.dir}", *(f"{k}={v}" for k, v in env.items()), "git", *args])
        begun = time.monotonic()
        problem = self._unsafe(args)
        if problem:
            return _Ran(command, 1, f"refusing to run git with {problem}\n", begun)
        from git import GitCommandNotFound

        try:
            status, out, err = self.git.execute(
                ["git", *args],
                with_extended_output=True,
                with_exceptions=False,
                env={**_quiet_git(), **env},
            )
        except (GitCommandNotFound, OSError) as error:
            return _Ran(command, 127, f"{error}\n", begun)
        output = "".join(f"{text}\n" for text in (out, err) if text)
        return _Ran(command, int(status or 0), output, begun)

    def _unsafe(self, args: Sequence[str]) -> str:
        # Values from the job (URI, refs, SHAs) must not be read as options.
        refs = self.refs
        pulls = [v for p in refs.pulls or () for v in (p.ref, p.sha) if v]
        values = {self.uri, refs.base_ref, refs.base_sha, *pulls}
        for arg in args:
            if not arg:
                return "an empty argument (does the refs have a base_ref?)"
            if arg in values and arg.startswith("-"):
                return f"{arg!r}, which git would read as an option"
        return ""

    def _record(self, ran: _Ran) -> None:
        error = f"exit status {ran.status}" if ran.status else ""
        self.commands.append(
            CloneCommand(
                command=censor(ran.command, self.secrets),
                output=censor(ran.output, self.secrets),
                error=error,
                duration=timedelta(seconds=time.monotonic() - ran.begun),
            )
        )
        if error:
            raise _CommandFailed

    def _head_timestamp(self) -> int:
        status, out, _ = self.git.execute(
            ["git", "show", "-s", "--format=format:%ct", "HEAD"],
            with_extended_output=True,
            with_exceptions=False,
        )
        try:
            return int(str(out).strip()) if status == 0 else int(time.time())
        except ValueError:
            return int(time.time())

    def _rev_parse(self) -> str:
        status, out, _ = self.git.execute(
            ["git", "rev-parse", "HEAD"], with_extended_output=True, with_exceptions=False
        )
        return str(out).strip() if status == 0 else ""

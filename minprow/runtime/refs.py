"""The refs of a job run on this machine: from `--pull-number` or `--local`, without GitHub.

Prow's trigger takes a pull request's base and head SHAs from GitHub; `minprow
run` asks the repository itself with `git ls-remote` (base branch head,
`refs/pull/<n>/head`), from the job's `clone_uri` or GitHub's HTTPS URL, so a
public repository needs no token. `--local PATH` describes a working tree:
its current branch and HEAD, used as they are.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from minprow.config import Postsubmit, Presubmit
from minprow.model import Pull, Refs


class RefsError(ValueError):
    """The refs cannot be found: says which repository, which ref and what git said."""


def clone_url(org: str, repo: str, job: Presubmit | Postsubmit) -> str:
    return job.clone_uri or f"https://github.com/{org}/{repo}.git"


def _ls_remote(url: str, *patterns: str) -> dict[str, str]:
    import git

    try:
        out = str(git.cmd.Git().ls_remote("--symref", url, *patterns))
    except git.GitCommandError as err:
        detail = (err.stderr or "").strip().splitlines()
        raise RefsError(f"git ls-remote {url} failed: {detail[-1] if detail else err}") from err
    found: dict[str, str] = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if sha.startswith("ref: "):  # the symref line: "ref: refs/heads/main\tHEAD"
            found[f"symref:{ref}"] = sha.removeprefix("ref: ")
        else:
            found[ref] = sha
    return found


def remote_refs(
    org_repo: str,
    job: Presubmit | Postsubmit,
    *,
    pull_numbers: list[int],
    base_ref: str | None,
) -> Refs:
    """The refs Prow would give this job for these pull requests (or the branch head)."""
    org, repo = org_repo.split("/", 1)
    url = clone_url(org, repo, job)
    patterns = ["HEAD", "refs/heads/*", *(f"refs/pull/{n}/head" for n in pull_numbers)]
    found = _ls_remote(url, *patterns)
    branch = base_ref or found.get("symref:HEAD", "refs/heads/main").removeprefix("refs/heads/")
    base_sha = found.get(f"refs/heads/{branch}")
    if base_sha is None:
        raise RefsError(f"{url} has no branch {branch!r} (pass --base-ref)")
    pulls = []
    for number in pull_numbers:
        sha = found.get(f"refs/pull/{number}/head")
        if sha is None:
            raise RefsError(f"{url} has no pull request #{number} (no refs/pull/{number}/head)")
        pulls.append(Pull(number=number, author="", sha=sha))
    return Refs(org=org, repo=repo, base_ref=branch, base_sha=base_sha, pulls=pulls or None)


def local_refs(org_repo: str, job: Presubmit | Postsubmit, path: Path, pull_number: int) -> Refs:
    """Refs describing the working tree at `path` as the job's repository."""
    # Two plain git calls: GitPython's import alone costs `run` 60-100 ms.
    head = _git(path, "log", "-1", "--format=%H%x00%an")
    branch = _git(path, "symbolic-ref", "-q", "--short", "HEAD") or "HEAD"
    sha, _, author = head.partition("\0")
    if not sha:
        raise RefsError(f"--local {path}: not a git working tree with a commit")
    org, repo = org_repo.split("/", 1)
    pulls = None
    if isinstance(job, Presubmit):
        pulls = [Pull(number=pull_number, author=author, sha=sha, head_ref=branch)]
    return Refs(org=org, repo=repo, base_ref=branch, base_sha=sha, pulls=pulls)


def _git(path: Path, *args: str) -> str:
    """The output of `git -C path ARGS`, stripped; "" when git says no."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path), *args], capture_output=True, text=True, check=False
        )
    except OSError as err:
        raise RefsError(f"--local {path}: cannot run git ({err})") from err
    return done.stdout.strip() if done.returncode == 0 else ""

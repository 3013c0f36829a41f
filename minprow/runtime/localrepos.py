"""`--local-repo ORG/REPO=PATH`: a local git clone standing in for a GitHub repository.

On a laptop with no GitHub credentials (or no network), `up` and `serve` take
clones of the repositories their webhooks name. The trigger plugin reads a pull
request's changed files from the clone (hook/plugins/trigger/offline.py), and
the jobs' checkouts come from it too: git's own `url.<PATH>.insteadOf` turns
`https://github.com/ORG/REPO(.git)` into the clone for every fetch this process
makes (clonerefs runs here for the docker and host executors), set through
git's `GIT_CONFIG_COUNT` environment so no file is written. The ProwJobs stay
exactly what Prow would create.
"""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path

log = logging.getLogger("minprow.serve")


class LocalRepoError(ValueError):
    """A `--local-repo` that is not ORG/REPO=PATH of a git clone: says which and why."""


def parse_local_repos(values: Sequence[str]) -> dict[str, Path]:
    """`--local-repo ORG/REPO=PATH` (repeatable): "ORG/REPO" -> the clone's absolute
    path, each checked now so a typo is an error at start."""
    repos: dict[str, Path] = {}
    for value in values:
        name, sep, where = value.partition("=")
        org, slash, repo = name.partition("/")
        if not sep or not slash or not org or not repo or "/" in repo or not where:
            raise LocalRepoError(
                f"--local-repo {value}: write it as ORG/REPO=PATH, e.g. "
                "--local-repo minprow/minprow=."
            )
        path = Path(where).expanduser().resolve()
        if not path.is_dir() or not _is_clone(path):
            raise LocalRepoError(
                f"--local-repo {value}: {path} is not a git clone (clone {name} there, "
                "or give the path of one)"
            )
        if repos.get(name, path) != path:
            raise LocalRepoError(f"--local-repo: {name} is given twice ({repos[name]}, {path})")
        repos[name] = path
    return repos


def _is_clone(path: Path) -> bool:
    try:
        found = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "--git-dir"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return found.returncode == 0


def clone_from_local(
    repos: Mapping[str, Path], environ: MutableMapping[str, str] | None = None
) -> None:
    """Make every git fetch of this process read GitHub's ORG/REPO from its clone
    (`url.<clone>.insteadOf`), after any `GIT_CONFIG_COUNT` entries already set."""
    if not repos:
        return
    env = os.environ if environ is None else environ
    count = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    for name, path in sorted(repos.items()):
        for url in (f"https://github.com/{name}.git", f"https://github.com/{name}"):
            env[f"GIT_CONFIG_KEY_{count}"] = f"url.{path}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{count}"] = url
            count += 1
        log.info("jobs of %s are checked out from %s (--local-repo)", name, path)
    env["GIT_CONFIG_COUNT"] = str(count)

"""`--local-repo ORG/REPO=PATH` (minprow.runtime.localrepos): parsed and checked at start,
and git's URL rewrites that make a job's checkout read the clone, with real git."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import git
import pytest

from minprow.runtime.localrepos import LocalRepoError, clone_from_local, parse_local_repos


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    repo = git.Repo.init(tmp_path / "clone", initial_branch="main")
    with repo.config_writer() as cfg:
        cfg.set_value("user", "name", "Test").set_value("user", "email", "t@example.com")
    repo.index.commit("base")
    return tmp_path / "clone"


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("acme/widgets={clone}", ""),
        ("acme/widgets={clone}/", ""),
        ("acme/widgets", "write it as ORG/REPO=PATH"),
        ("acme={clone}", "write it as ORG/REPO=PATH"),
        ("acme/widgets/extra={clone}", "write it as ORG/REPO=PATH"),
        ("acme/widgets=", "write it as ORG/REPO=PATH"),
        ("acme/widgets={clone}/missing", "is not a git clone"),
    ],
    ids=["clone", "trailing-slash", "no-path", "no-repo", "too-deep", "empty-path", "not-there"],
)
def test_parse(clone: Path, value: str, error: str) -> None:
    given = value.format(clone=clone)
    if error:
        with pytest.raises(LocalRepoError, match=error):
            parse_local_repos([given])
        return
    assert parse_local_repos([given]) == {"acme/widgets": clone.resolve()}


def test_a_repo_mapped_to_two_clones_is_an_error(clone: Path, tmp_path: Path) -> None:
    other = git.Repo.init(tmp_path / "other").working_dir
    with pytest.raises(LocalRepoError, match="acme/widgets is given twice"):
        parse_local_repos([f"acme/widgets={clone}", f"acme/widgets={other}"])


@pytest.mark.parametrize(
    "existing",
    [{}, {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "core.abbrev", "GIT_CONFIG_VALUE_0": "9"}],
    ids=["none-before", "after-the-users-entries"],
)
def test_githubs_url_reads_the_clone(clone: Path, existing: dict[str, str]) -> None:
    """`git ls-remote https://github.com/acme/widgets` lists the clone's refs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_CONFIG_")}
    env.update(existing)
    clone_from_local({"acme/widgets": clone}, env)
    assert env["GIT_CONFIG_COUNT"] == str(len(existing) // 3 + 2)
    assert all(env[k] == v for k, v in existing.items() if k != "GIT_CONFIG_COUNT")
    head = git.Repo(clone).head.commit.hexsha
    for url in ("https://github.com/acme/widgets.git", "https://github.com/acme/widgets"):
        listed = subprocess.run(
            ["git", "ls-remote", url, "refs/heads/main"],
            capture_output=True,
            text=True,
            env={**env, "GIT_TERMINAL_PROMPT": "0"},
            timeout=30,
            check=True,
        )
        assert listed.stdout.split() == [head, "refs/heads/main"]

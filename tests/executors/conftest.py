"""Fixtures of the executor tests: ProwJobs made by the one factory and a git
repository to clone. The engine and the busybox test image (`docker_client`,
`busybox_image`) are the root conftest's, shared with the runtime tests.
"""

from __future__ import annotations

from pathlib import Path

import git
import pytest
from executor_helpers import Jobs


@pytest.fixture
def jobs() -> Jobs:
    return Jobs()


@pytest.fixture
def git_repo(tmp_path: Path) -> tuple[str, str]:
    """A real git repository (file:// URI, main branch, one commit): its URI and SHA."""
    path = tmp_path / "upstream"
    repo = git.Repo.init(path, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test")
        config.set_value("user", "email", "test@example.com")
    (path / "README").write_text("hello from the checkout\n")
    repo.index.add(["README"])
    commit = repo.index.commit("first")
    return f"file://{path}", commit.hexsha

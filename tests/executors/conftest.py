"""Fixtures of the executor tests: ProwJobs made by the one factory and a git
repository to clone; a busybox tag no registry has, for the images minprow builds
itself. The engine and the busybox test image (`docker_client`, `busybox_image`) are
the root conftest's, shared with the runtime tests.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import docker
import docker.errors
import git
import pytest
from executor_helpers import Jobs

from minprow.executors import _localimage


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


@pytest.fixture
def unpullable_busybox(docker_client: docker.DockerClient) -> Iterator[str]:
    """A busybox tag no registry has (none answers here anyway), removed afterwards."""
    if _localimage.static_busybox() is None:
        pytest.skip("no static busybox on this machine")
    tag = f"busybox:minprow-test-{uuid.uuid4().hex[:8]}"
    yield tag
    with contextlib.suppress(docker.errors.ImageNotFound):
        docker_client.images.remove(tag, force=True)
    # The steps of a build that failed are left as untagged images, labelled with the tag.
    for step in docker_client.images.list(
        all=True, filters={"label": f"{_localimage.LABEL}={tag}"}
    ):
        with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
            docker_client.images.remove(step.id, force=True)

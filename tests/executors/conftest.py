"""Fixtures of the executor tests: the real Docker engine, the busybox test image,
ProwJobs made by the one factory, and a git repository to clone.

Without an engine the Docker tests are skipped, saying why; with `CI` set they
fail instead, so CI never passes by running none of them. The image is built
`FROM scratch` around the host's static busybox (fixtures/images/busybox), so
no registry is needed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import docker
import git
import pytest
from executor_helpers import IMAGE, Jobs

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
BUSYBOX = Path("/bin/busybox")


def unavailable(why: str) -> NoReturn:
    """Skip, or fail in CI (`CI` set), for a part of this machine the tests need."""
    if os.environ.get("CI"):
        pytest.fail(f"{why} (CI is set: the executor tests must run)")
    pytest.skip(why)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as err:  # any failure to reach it means "no engine here"
        unavailable(f"no Docker engine answers ({type(err).__name__}: {err})")
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_client: docker.DockerClient) -> str:
    """The test image, built from fixtures/images/busybox (cached by the engine)."""
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is missing: install busybox-static to build the test image")
    with tempfile.TemporaryDirectory() as context:
        shutil.copy(BUSYBOX, Path(context) / "busybox")
        shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
        docker_client.images.build(path=context, tag=IMAGE, rm=True)
    return IMAGE


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

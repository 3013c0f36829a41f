"""Fixtures shared across the suite: where the repository and shared/ are,
Prow's ProwJob schema that every ProwJob minprow writes must satisfy, and the
real Docker engine with the busybox test image.

Without an engine the Docker tests are skipped, saying why; with `CI` set they
fail instead, so CI never passes by running none of them. The image is built
`FROM scratch` around the host's static busybox (fixtures/images/busybox), so
no registry is needed."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import docker
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CRD = SHARED / "prow" / "prowjob_customresourcedefinition.yaml"
TEST_IMAGE = "minprow-test-busybox:latest"
DOCKERFILE = REPO / "fixtures" / "images" / "busybox" / "Dockerfile"
BUSYBOX = Path("/bin/busybox")


@pytest.fixture(scope="session")
def crd_schema() -> dict[str, Any]:
    """The `openAPIV3Schema` of Prow's ProwJob CRD (shared/prow), or a skip saying why not."""
    if not CRD.is_file():
        pytest.skip(f"Prow's ProwJob CRD not found at {CRD} (the shared reference data)")
    crd = yaml.safe_load(CRD.read_text())
    schema: dict[str, Any] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


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
        docker_client.images.build(path=context, tag=TEST_IMAGE, rm=True)
    return TEST_IMAGE

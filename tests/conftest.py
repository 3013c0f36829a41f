"""Fixtures shared across the suite: where the repository and shared/ are,
Prow's ProwJob schema that every ProwJob minprow writes must satisfy, and the
real Docker engine with the busybox test image (removed again when the last
test session using it ends), and a GCS emulator
(gcp-storage-emulator, in this process) for the real google-cloud-storage client.

Without an engine the Docker tests are skipped, saying why; with `CI` set they
fail instead, so CI never passes by running none of them. The image is built
`FROM scratch` around the host's static busybox (fixtures/images/busybox), so
no registry is needed."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import docker
import pytest
import yaml
from dockerimages import session_images

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
def busybox_image(docker_client: docker.DockerClient) -> Iterator[str]:
    """The test image, built from fixtures/images/busybox, and removed when the
    last test session using it ends (tests/dockerimages.py)."""
    if not BUSYBOX.is_file():
        unavailable(f"{BUSYBOX} is missing: install busybox-static to build the test image")

    def build() -> None:
        with tempfile.TemporaryDirectory() as context:
            shutil.copy(BUSYBOX, Path(context) / "busybox")
            shutil.copy(DOCKERFILE, Path(context) / "Dockerfile")
            docker_client.images.build(path=context, tag=TEST_IMAGE, rm=True, forcerm=True)

    with session_images(TEST_IMAGE, build=build, client=docker_client):
        yield TEST_IMAGE


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def gcs_emulator() -> Iterator[str]:
    """A GCS emulator in this process, on a free port, for the whole session: its URL."""
    from gcp_storage_emulator.server import create_server

    port = free_port()
    server = create_server("127.0.0.1", port, in_memory=True)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@dataclass(frozen=True)
class GCS:
    """A fresh bucket in the emulator, and a client to look into it."""

    client: Any
    bucket: str

    def blob(self, name: str) -> Any:
        blob = self.client.bucket(self.bucket).get_blob(name)
        assert blob is not None, f"gs://{self.bucket}/{name} was not uploaded"
        return blob

    def names(self) -> set[str]:
        return {b.name for b in self.client.list_blobs(self.bucket)}


@pytest.fixture
def gcs(gcs_emulator: str, monkeypatch: pytest.MonkeyPatch) -> GCS:
    """STORAGE_EMULATOR_HOST set for this test, and an empty bucket of its own."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator)
    client = storage.Client(project="test", credentials=AnonymousCredentials())
    bucket = f"logs-{uuid.uuid4().hex[:12]}"
    client.create_bucket(bucket)
    return GCS(client, bucket)

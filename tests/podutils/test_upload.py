"""Destinations: a local directory, and a GCS bucket through the real
google-cloud-storage client against the GCS emulator (STORAGE_EMULATOR_HOST)."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from minprow.model import ProwJob
from minprow.podutils import (
    GCSDestination,
    LocalDestination,
    UploadError,
    destination_for,
)
from minprow.podutils.upload import content_type, parse_bucket
from tests.conftest import GCS
from tests.podutils.conftest import load_prowjob

TEXT = "text/plain; charset=utf-8"


@pytest.mark.parametrize(
    ("name", "media", "data", "expected"),
    [
        ("build-log.txt", None, b"", TEXT),
        ("started.json", None, b"{}", "application/json"),
        ("junit_01.xml", None, b"", "text/xml; charset=utf-8"),
        ("report.html", None, b"", "text/html; charset=utf-8"),
        ("e2e.log", None, b"", TEXT),
        ("trace", None, b"plain words\n", TEXT),
        ("core", None, b"\x7fELF\x02\x01\x00", "application/octet-stream"),
        ("run.log", {"log": "text/x-log"}, b"", "text/x-log; charset=utf-8"),
        ("a.cast", {"cast": "application/x-asciicast"}, b"", "application/x-asciicast"),
        ("A.JSON", None, b"", "application/json"),
    ],
    ids=[
        "txt",
        "json",
        "xml",
        "html",
        "log",
        "sniffed-text",
        "sniffed-binary",
        "media-type-text",
        "media-type",
        "upper-case",
    ],
)
def test_content_type(name: str, media: dict[str, str] | None, data: bytes, expected: str) -> None:
    assert content_type(name, media, data) == expected


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("acme-logs", ("acme-logs", "")),
        ("gs://acme-logs", ("acme-logs", "")),
        ("gs://acme-logs/some/prefix/", ("acme-logs", "some/prefix")),
    ],
    ids=["bare", "gs", "gs-with-prefix"],
)
def test_parse_bucket(bucket: str, expected: tuple[str, str]) -> None:
    assert parse_bucket(bucket) == expected


@pytest.mark.parametrize(
    ("bucket", "message"),
    [
        ("s3://acme-logs", "S3, which minprow cannot upload to"),
        ("ftp://x", "unknown storage provider"),
        ("gs://", "names no bucket"),
    ],
    ids=["s3", "unknown-scheme", "empty"],
)
def test_parse_bucket_errors(bucket: str, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        parse_bucket(bucket)


def _with_gcs(job: ProwJob, **gcs: Any) -> ProwJob:
    job = job.model_copy(deep=True)
    assert job.spec.decoration_config is not None
    config = job.spec.decoration_config.gcs_configuration
    assert config is not None
    job.spec.decoration_config.gcs_configuration = config.model_copy(update=gcs)
    return job


@pytest.mark.parametrize(
    ("gcs", "kind", "where"),
    [
        ({"local_output_dir": "/out"}, LocalDestination, "/out"),
        ({}, GCSDestination, "gs://acme-logs"),
        ({"bucket": "gs://acme-logs/prow"}, GCSDestination, "gs://acme-logs/prow"),
        ({"bucket": None}, LocalDestination, "/default"),
    ],
    ids=["local-output-dir-wins", "bucket", "bucket-with-prefix", "default-dir"],
)
def test_destination_for(gcs: dict[str, Any], kind: type, where: str) -> None:
    destination = destination_for(
        _with_gcs(load_prowjob("presubmit"), **gcs), default_dir=Path("/default")
    )
    assert isinstance(destination, kind)
    assert destination.url() == where


def test_destination_of_an_undecorated_job_is_the_default_dir() -> None:
    job = ProwJob.from_wire({"spec": {"type": "periodic", "job": "j"}})
    assert destination_for(job, default_dir=Path("/d")).url() == "/d"


def test_s3_bucket_is_a_clear_error() -> None:
    job = _with_gcs(load_prowjob("presubmit"), bucket="s3://acme-logs")
    with pytest.raises(UploadError, match=r"ProwJob 0c3b6f2e.*\(pull-widget-unit\).*S3"):
        destination_for(job, default_dir=Path("/d"))


def _tree(root: Path) -> Path:
    (root / "junit").mkdir(parents=True)
    (root / "junit" / "junit_01.xml").write_text("<testsuite/>")
    (root / "report#1.txt").write_text("ok")
    (root / "log.txt.gz").write_bytes(gzip.compress(b"zipped"))
    (root / "bundle.tar.gz").write_bytes(gzip.compress(b"tar"))
    return root


def test_local_destination(tmp_path: Path) -> None:
    out = LocalDestination(tmp_path / "out")
    out.put_bytes("a/b/started.json", b"{}")
    (tmp_path / "f.txt").write_text("file")
    out.put_file("a/f.txt", tmp_path / "f.txt")
    written = out.put_tree("a/artifacts", _tree(tmp_path / "artifacts"))
    assert out.get_bytes("a/b/started.json") == b"{}"
    assert out.get_bytes("a/f.txt") == b"file"
    # A local directory keeps names as they are.
    assert sorted(written) == [
        "a/artifacts/bundle.tar.gz",
        "a/artifacts/junit/junit_01.xml",
        "a/artifacts/log.txt.gz",
        "a/artifacts/report#1.txt",
    ]
    assert (
        tmp_path / "out" / "a" / "artifacts" / "junit" / "junit_01.xml"
    ).read_text() == "<testsuite/>"
    assert out.put_tree("x", tmp_path / "missing") == []


def test_local_destination_stays_in_its_root(tmp_path: Path) -> None:
    with pytest.raises(UploadError, match="outside"):
        LocalDestination(tmp_path / "out").put_bytes("../escape", b"")


def test_local_destination_errors_are_upload_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UploadError, match="cannot write") as caught:
        LocalDestination(tmp_path / "file").put_bytes("x", b"")
    assert isinstance(caught.value.__cause__, OSError)
    with pytest.raises(UploadError, match="cannot read"):
        LocalDestination(tmp_path).get_bytes("nothing")


def test_gcs_put_bytes(gcs: GCS) -> None:
    bucket = GCSDestination(gcs.bucket, "prow")
    bucket.put_bytes("logs/j/1/started.json", b'{"timestamp":1}')
    bucket.put_bytes("pr-logs/directory/j/1.txt", b"gs://x/y", metadata={"link": "gs://x/y"})
    started = gcs.blob("prow/logs/j/1/started.json")
    assert started.download_as_bytes() == b'{"timestamp":1}'
    assert started.content_type.startswith("application/json")
    assert gcs.blob("prow/pr-logs/directory/j/1.txt").metadata == {"link": "gs://x/y"}
    assert bucket.get_bytes("logs/j/1/started.json") == b'{"timestamp":1}'
    assert bucket.url("logs/j/1") == f"gs://{gcs.bucket}/prow/logs/j/1"


def test_gcs_put_tree_is_prows_artifact_upload(gcs: GCS, tmp_path: Path) -> None:
    bucket = GCSDestination(gcs.bucket)
    written = bucket.put_tree("logs/j/1/artifacts", _tree(tmp_path / "artifacts"))
    assert (
        sorted(written)
        == sorted(gcs.names())
        == [
            "logs/j/1/artifacts/bundle.tar",
            "logs/j/1/artifacts/junit/junit_01.xml",
            "logs/j/1/artifacts/log.txt",
            "logs/j/1/artifacts/report%231.txt",
        ]
    )
    log = gcs.blob("logs/j/1/artifacts/log.txt")
    assert (log.content_type.split(";")[0], log.content_encoding) == ("text/plain", "gzip")
    raw = log.download_as_bytes(raw_download=True)
    assert raw == (tmp_path / "artifacts" / "log.txt.gz").read_bytes()
    assert gzip.decompress(raw) == b"zipped"
    bundle = gcs.blob("logs/j/1/artifacts/bundle.tar")
    assert (bundle.content_type, bundle.content_encoding) == ("application/gzip", None)
    assert gcs.blob("logs/j/1/artifacts/junit/junit_01.xml").content_type.startswith("text/xml")


@pytest.mark.parametrize(
    ("types", "name", "size", "compressed"),
    [
        (("txt",), "big.txt", 4096, True),
        (("txt",), "small.txt", 100, False),
        (("*",), "big.json", 4096, True),
        (("log",), "big.txt", 4096, False),
    ],
    ids=["listed-type", "too-small", "star", "other-type"],
)
def test_gcs_compress_file_types(
    gcs: GCS, tmp_path: Path, types: tuple[str, ...], name: str, size: int, compressed: bool
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / name).write_text("x" * size)
    GCSDestination(gcs.bucket, compress_file_types=types).put_tree("", tmp_path / "a")
    blob = gcs.blob(name)
    assert (blob.content_encoding == "gzip") is compressed
    raw = blob.download_as_bytes(raw_download=True)
    assert (gzip.decompress(raw) if compressed else raw) == b"x" * size


def test_gcs_client_is_made_once(gcs: GCS) -> None:
    bucket = GCSDestination(gcs.bucket)
    bucket.put_bytes("a.txt", b"a")
    client = bucket.client()
    bucket.put_bytes("b.txt", b"b")
    assert bucket.client() is client
    assert gcs.names() == {"a.txt", "b.txt"}


def test_gcs_errors_are_upload_errors(gcs: GCS) -> None:
    from google.api_core.exceptions import NotFound

    missing = GCSDestination(f"{gcs.bucket}-missing")
    with pytest.raises(
        UploadError, match=f"cannot upload gs://{gcs.bucket}-missing/a.txt"
    ) as caught:
        missing.put_bytes("a.txt", b"a")
    assert isinstance(caught.value.__cause__, NotFound)
    with pytest.raises(UploadError, match="cannot read"):
        GCSDestination(gcs.bucket).get_bytes("nothing.txt")


def test_storage_and_git_are_imported_lazily() -> None:
    code = (
        "import sys, minprow.podutils; "
        "print([m for m in ('google.cloud.storage', 'git') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

"""Where a job's logs and artifacts are written: a local directory or a GCS bucket.

Corresponds to Prow's pkg/pod-utils/gcs/upload.go (`Upload`, `LocalExport`),
pkg/pod-utils/gcs/metadata.go (`WriterOptionsFromFileName`) and the choice in
pkg/gcsupload/run.go between copying to `local_output_dir` and uploading to
`bucket`. `destination_for` makes that choice for a ProwJob:

1. the decoration config's `gcs_configuration.local_output_dir`: copy there;
2. else its `bucket` (`gs://name[/prefix]` or a bare name): upload through
   google-cloud-storage, with Application Default Credentials or a credentials
   file, or anonymously against `STORAGE_EMULATOR_HOST` when that is set;
3. else `default_dir`, a local directory.

A local directory is laid out as the bucket would be (minprow runs many jobs
into one directory, where Prow's local mode gives each pod its own).

Objects get Prow's content types: by extension (Go's built-in table plus
`text/plain` for `.txt` and `.log`, and the job's `mediaTypes`), else
`text/plain; charset=utf-8` for text and `application/octet-stream` for the
rest. In a bucket, a `.gz` file is stored without the suffix and with
`Content-Encoding: gzip`, `#` becomes `%23`, and files of the
`compress_file_types` over 1 KiB are gzipped, as Prow's uploader does.
"""

from __future__ import annotations

import gzip
import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.model import ProwJob

if TYPE_CHECKING:
    from google.cloud.storage import Client

GO_MEDIA_TYPES: Mapping[str, str] = {
    ".avif": "image/avif",
    ".css": "text/css; charset=utf-8",
    ".gif": "image/gif",
    ".htm": "text/html; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".jpeg": "image/jpeg",
    ".jpg": "image/jpeg",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".log": "text/plain; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
    ".webp": "image/webp",
    ".xml": "text/xml; charset=utf-8",
}
"""Go's `mime.TypeByExtension` table, with `.txt` and `.log` from a system mime.types."""
TEXT = "text/plain; charset=utf-8"
BINARY = "application/octet-stream"
EMULATOR_PROJECT = "minprow"
"""The project the client names when `STORAGE_EMULATOR_HOST` is set (the emulator ignores it)."""
_COMPRESS_OVER = 1024
_BINARY_BYTES = frozenset([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20)])


class UploadError(Exception):
    """Writing a job's logs or artifacts failed: says where to and why."""


def content_type(name: str, media_types: Mapping[str, str] | None = None, data: bytes = b"") -> str:
    """The Content-Type Prow gives an object named `name` holding `data`."""
    by_extension = _by_extension(os.path.splitext(name)[1], media_types)
    if by_extension:
        return by_extension
    return BINARY if _binary(data) else TEXT


def _by_extension(ext: str, media_types: Mapping[str, str] | None) -> str | None:
    for key, value in (media_types or {}).items():
        if f".{key.lstrip('.')}".lower() == ext.lower():
            # Go's mime.AddExtensionType adds the charset to text types.
            return f"{value}; charset=utf-8" if _needs_charset(value) else value
    return GO_MEDIA_TYPES.get(ext.lower())


@dataclass(frozen=True)
class _Blob:
    """One object to write: its name under the destination and its attributes."""

    name: str
    content_type: str
    content_encoding: str | None = None


class Destination(ABC):
    """A place to put a job's files, by path relative to its root."""

    media_types: Mapping[str, str]

    @property
    @abstractmethod
    def is_bucket(self) -> bool:
        """True for a storage bucket (it gets Prow's latest-build and alias markers)."""

    @abstractmethod
    def url(self, path: str = "") -> str:
        """Where `path` is, for people and for alias files (`gs://...` or a local path)."""

    @abstractmethod
    def put_bytes(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        """Write `data` at `path`; the content type defaults to Prow's for the name."""

    @abstractmethod
    def get_bytes(self, path: str) -> bytes:
        """Read back what is at `path`; UploadError when there is nothing."""

    def put_file(self, path: str, source: Path) -> None:
        """Copy the file `source` to `path`."""
        try:
            data = source.read_bytes()
        except OSError as err:
            raise UploadError(f"cannot read {source} to upload it: {err}") from err
        self.put_bytes(path, data)

    def put_tree(self, path: str, source: Path) -> list[str]:
        """Copy every file under the directory `source` below `path`; the names written."""
        written = []
        for file in _files(source):
            rel = file.relative_to(source).as_posix()
            written.append(self._put_artifact(f"{path.rstrip('/')}/{rel}" if path else rel, file))
        return written

    def _put_artifact(self, path: str, file: Path) -> str:
        self.put_file(path, file)
        return path


@dataclass
class LocalDestination(Destination):
    """A local directory: files are copied below `root`."""

    root: Path
    media_types: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_bucket(self) -> bool:
        return False

    def url(self, path: str = "") -> str:
        return str(self._target(path)) if path else str(self.root)

    def put_bytes(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        target = self._target(path)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(data)
            partial.replace(target)
        except OSError as err:
            raise UploadError(f"cannot write {target}: {err}") from err

    def get_bytes(self, path: str) -> bytes:
        target = self._target(path)
        try:
            return target.read_bytes()
        except OSError as err:
            raise UploadError(f"cannot read {target}: {err}") from err

    def _target(self, path: str) -> Path:
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise UploadError(f"{path!r} is outside {self.root}")
        return target


@dataclass
class GCSDestination(Destination):
    """A GCS bucket (and a prefix in it), written through google-cloud-storage."""

    bucket: str
    prefix: str = ""
    media_types: Mapping[str, str] = field(default_factory=dict)
    compress_file_types: tuple[str, ...] = ()
    credentials_file: Path | None = None
    _client: Client | None = field(default=None, init=False, repr=False)

    @property
    def is_bucket(self) -> bool:
        return True

    def url(self, path: str = "") -> str:
        name = self._name(path)
        return f"gs://{self.bucket}/{name}" if name else f"gs://{self.bucket}"

    def put_bytes(
        self,
        path: str,
        data: bytes,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        self._upload(_Blob(path, content_type or self._type(path, data)), data, metadata)

    def get_bytes(self, path: str) -> bytes:
        from google.api_core.exceptions import GoogleAPIError

        try:
            data: bytes = (
                self.client().bucket(self.bucket).blob(self._name(path)).download_as_bytes()
            )
        except GoogleAPIError as err:
            raise UploadError(f"cannot read {self.url(path)}: {err}") from err
        return data

    def client(self) -> Client:
        """The storage client, made on first use (the library is slow to import)."""
        if self._client is None:
            self._client = _make_client(self.credentials_file)
        return self._client

    def _put_artifact(self, path: str, file: Path) -> str:
        # Prow's gatherArtifacts + WriterOptionsFromFileName.
        try:
            data = file.read_bytes()
        except OSError as err:
            raise UploadError(f"cannot read {file} to upload it: {err}") from err
        obj = self._artifact_object(path.replace("#", "%23"), data)
        self._upload(obj, data, None)
        return obj.name

    def _artifact_object(self, path: str, data: bytes) -> _Blob:
        # A gzipped file is stored under its name without ".gz", served as the
        # inner type with Content-Encoding gzip, or as application/gzip when that
        # type is unknown (Prow's WriterOptionsFromFileName).
        stem, ext = os.path.splitext(path)
        if ext not in (".gz", ".gzip") or not os.path.basename(stem):
            return _Blob(path, self._type(path, data))
        inner = _by_extension(os.path.splitext(stem)[1], self.media_types)
        if inner is None:
            return _Blob(stem, "application/gzip")
        return _Blob(stem, inner, content_encoding="gzip")

    def _type(self, path: str, data: bytes) -> str:
        return content_type(path, self.media_types, data)

    def _upload(self, obj: _Blob, data: bytes, metadata: Mapping[str, str] | None) -> None:
        from google.api_core.exceptions import GoogleAPIError
        from google.auth.exceptions import GoogleAuthError
        from google.cloud.storage.retry import DEFAULT_RETRY
        from requests import RequestException

        encoding = obj.content_encoding
        if encoding is None and self._compress(obj.name, data):
            data, encoding = gzip.compress(data), "gzip"
        try:
            blob = self.client().bucket(self.bucket).blob(self._name(obj.name))
            blob.content_encoding = encoding
            if metadata:
                blob.metadata = dict(metadata)
            blob.upload_from_string(data, content_type=obj.content_type, retry=DEFAULT_RETRY)
        except (GoogleAPIError, GoogleAuthError, RequestException, OSError) as err:
            raise UploadError(f"cannot upload {self.url(obj.name)}: {err}") from err

    def _compress(self, name: str, data: bytes) -> bool:
        ext = os.path.splitext(name)[1].lstrip(".")
        wanted = "*" in self.compress_file_types or ext in self.compress_file_types
        return wanted and len(data) > _COMPRESS_OVER and data[:2] != b"\x1f\x8b"

    def _name(self, path: str) -> str:
        return "/".join(p for p in (self.prefix.strip("/"), path.strip("/")) if p)


def destination_for(
    job: ProwJob, *, default_dir: Path, credentials_file: Path | None = None
) -> Destination:
    """Where a job's files go: `local_output_dir`, else `bucket`, else `default_dir`."""
    decoration = job.spec.decoration_config
    gcs = decoration.gcs_configuration if decoration else None
    media = dict(gcs.media_types or {}) if gcs else {}
    if gcs and gcs.local_output_dir:
        return LocalDestination(Path(gcs.local_output_dir), media)
    if gcs and gcs.bucket:
        bucket, prefix = parse_bucket(gcs.bucket, where=f"ProwJob {job.name} ({job.spec.job})")
        return GCSDestination(
            bucket,
            prefix,
            media,
            compress_file_types=tuple(gcs.compress_file_types or ()),
            credentials_file=credentials_file,
        )
    return LocalDestination(default_dir, media)


def parse_bucket(bucket: str, *, where: str = "") -> tuple[str, str]:
    """A `bucket` setting as (bucket name, prefix): `gs://name/prefix` or a bare `name`."""
    scheme, sep, rest = bucket.partition("://")
    if not sep:
        scheme, rest = "gs", bucket
    context = f"{where}: " if where else ""
    if scheme == "s3":
        raise UploadError(
            f"{context}bucket {bucket!r} is on S3, which minprow cannot upload to; "
            "use a gs:// bucket or set gcs_configuration.local_output_dir"
        )
    if scheme != "gs":
        raise UploadError(f"{context}bucket {bucket!r}: unknown storage provider {scheme!r}")
    name, _, prefix = rest.partition("/")
    if not name:
        raise UploadError(f"{context}bucket {bucket!r} names no bucket")
    return name, prefix.strip("/")


def _make_client(credentials_file: Path | None) -> Client:
    from google.auth.exceptions import GoogleAuthError
    from google.cloud import storage

    try:
        if os.environ.get("STORAGE_EMULATOR_HOST"):
            from google.auth.credentials import AnonymousCredentials

            project = os.environ.get("GOOGLE_CLOUD_PROJECT") or EMULATOR_PROJECT
            return storage.Client(project=project, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
        if credentials_file is not None:
            return storage.Client.from_service_account_json(str(credentials_file))
        return storage.Client()
    except (GoogleAuthError, OSError, ValueError) as err:
        raise UploadError(
            f"cannot create a GCS client: {err} (set GOOGLE_APPLICATION_CREDENTIALS or run "
            "`gcloud auth application-default login`)"
        ) from err


def _files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in sorted(filenames):
            path = Path(dirpath, name)
            if path.is_file():
                yield path


def _needs_charset(value: str) -> bool:
    return value.startswith("text/") and "charset" not in value


def _binary(data: bytes) -> bool:
    # Go's http.DetectContentType: text unless the first 512 bytes hold a control byte.
    return any(b in _BINARY_BYTES for b in data[:512])

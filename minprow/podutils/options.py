"""The JSON options of the four pod utilities, as Prow encodes them into env vars.

Corresponds to Prow's pkg/clonerefs/options.go (`$CLONEREFS_OPTIONS`),
pkg/initupload/options.go (`$INITUPLOAD_OPTIONS`), pkg/entrypoint/options.go
and pkg/pod-utils/wrapper/options.go (`$ENTRYPOINT_OPTIONS`),
pkg/sidecar/options.go (`$SIDECAR_OPTIONS`) and pkg/gcsupload/options.go (the
upload part shared by initupload and sidecar). Field names, embedding and
`omitempty` are Go's, so a pod rendered by minprow carries the options a Prow
utility would accept, and minprow's utilities read options Prow rendered.
Durations are integers of nanoseconds, as Go marshals `time.Duration`.

Reading ignores unknown fields (Go's `json.Unmarshal` does too); `encode()`
writes Go's field order and omissions through `gojson.marshal`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from minprow.model import GCSConfiguration, Refs
from minprow.podutils.gojson import marshal, refs_data

CLONEREFS_OPTIONS = "CLONEREFS_OPTIONS"
INITUPLOAD_OPTIONS = "INITUPLOAD_OPTIONS"
ENTRYPOINT_OPTIONS = "ENTRYPOINT_OPTIONS"
SIDECAR_OPTIONS = "SIDECAR_OPTIONS"

_GCS_FIELDS = (
    "bucket",
    "path_prefix",
    "path_strategy",
    "default_org",
    "default_repo",
    "mediaTypes",
    "job_url_prefix",
    "local_output_dir",
    "compress_file_types",
)


class OptionsError(ValueError):
    """Options missing from the environment, malformed, or inconsistent: says which and why."""


class _Options(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], name: str) -> Self:
        """The options in `environ[name]`; OptionsError when unset or malformed."""
        text = environ.get(name)
        if not text:
            raise OptionsError(f"${name} is unset: nothing says what to do")
        try:
            return cls.model_validate_json(text)
        except ValidationError as err:
            raise OptionsError(f"malformed ${name}: {err}") from err


def nanoseconds(value: timedelta) -> int:
    """A duration as Go marshals `time.Duration`."""
    return (value.days * 86_400 + value.seconds) * 10**9 + value.microseconds * 1_000


def _keep(data: dict[str, Any], *always: str) -> dict[str, Any]:
    # Go's omitempty: drop zero values, except for fields without the tag.
    return {
        k: v
        for k, v in data.items()
        if k in always or not (v is None or v in ("", False, 0) or v == [] or v == {})
    }


class WrapperOptions(_Options):
    """One wrapped process (Prow's `wrapper.Options`): what the sidecar waits for."""

    args: list[str] = Field(default_factory=list)
    container_name: str = ""
    process_log: str = ""
    marker_file: str = ""
    metadata_file: str = ""

    def to_data(self) -> dict[str, Any]:
        return _keep(
            {
                "args": self.args,
                "container_name": self.container_name,
                "process_log": self.process_log,
                "marker_file": self.marker_file,
                "metadata_file": self.metadata_file,
            },
            "args",
            "process_log",
            "marker_file",
            "metadata_file",
        )


class EntrypointOptions(WrapperOptions):
    """`$ENTRYPOINT_OPTIONS`: the wrapped process plus its timeout and grace period."""

    timeout: int = 0
    """Nanoseconds; 0 means Prow's default (2h)."""
    grace_period: int = 0
    """Nanoseconds; 0 means Prow's default (15s)."""
    artifact_dir: str = ""
    previous_marker: str = ""
    always_zero: bool = False
    propagate_error_code: bool = False
    copy_mode_only: bool = False
    copy_dst: str = ""

    def wrapper(self) -> WrapperOptions:
        return WrapperOptions.model_validate(
            self.model_dump(include=set(WrapperOptions.model_fields))
        )

    def encode(self) -> str:
        head = _keep(
            {
                "timeout": self.timeout,
                "grace_period": self.grace_period,
                "artifact_dir": self.artifact_dir,
                "previous_marker": self.previous_marker,
                "always_zero": self.always_zero,
                "propagate_error_code": self.propagate_error_code,
                "copy_mode_only": self.copy_mode_only,
                "copy_dst": self.copy_dst,
            },
            "timeout",
            "grace_period",
        )
        return marshal({**head, **WrapperOptions.to_data(self)})


class GCSUploadOptions(_Options):
    """Prow's `gcsupload.Options`: where uploads land, with the GCS configuration embedded."""

    items: list[str] = Field(default_factory=list)
    sub_dir: str = ""
    bucket: str = ""
    path_prefix: str = ""
    path_strategy: str = ""
    default_org: str = ""
    default_repo: str = ""
    media_types: dict[str, str] = Field(default_factory=dict, alias="mediaTypes")
    job_url_prefix: str = ""
    local_output_dir: str = ""
    compress_file_types: list[str] = Field(default_factory=list)
    gcs_credentials_file: str = ""
    s3_credentials_file: str = ""
    dry_run: bool = False

    @classmethod
    def for_config(cls, gcs: GCSConfiguration | None, **fields: Any) -> GCSUploadOptions:
        """Options uploading as `gcs` says (Prow's `BlobStorageOptions`)."""
        data = gcs.model_dump(by_alias=True, exclude_none=True) if gcs else {}
        return cls.model_validate({**{k: data[k] for k in _GCS_FIELDS if k in data}, **fields})

    def gcs_configuration(self) -> GCSConfiguration:
        """The embedded `GCSConfiguration`, for `upload.destination_for` and `gcspaths`."""
        data = self.model_dump(by_alias=True, include=set(_GCS_NAMES))
        return GCSConfiguration.model_validate({k: v for k, v in data.items() if v})

    def to_data(self) -> dict[str, Any]:
        data = self.model_dump(by_alias=True)
        # A Go map: json.Marshal sorts its keys.
        data["mediaTypes"] = dict(sorted(self.media_types.items()))
        return _keep(data, "dry_run")


_GCS_NAMES = tuple("media_types" if k == "mediaTypes" else k for k in _GCS_FIELDS)


class InitUploadOptions(GCSUploadOptions):
    """`$INITUPLOAD_OPTIONS`: the upload options plus the clone log to read."""

    log: str = ""

    def encode(self) -> str:
        return marshal(self.to_data() | _keep({"log": self.log}))

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        data.pop("log", None)
        return data


class SidecarOptions(_Options):
    """`$SIDECAR_OPTIONS`: the processes to wait for and where their output goes."""

    gcs_options: GCSUploadOptions = Field(default_factory=GCSUploadOptions)
    wrapper_options: WrapperOptions | None = None
    """Deprecated by Prow in favour of `entries`; still read."""
    entries: list[WrapperOptions] = Field(default_factory=list)
    entry_error: bool = False
    ignore_interrupts: bool = False
    censoring_options: dict[str, Any] | None = None

    def all_entries(self) -> list[WrapperOptions]:
        """The deprecated single entry, then `entries` (Prow's `entries()`)."""
        return [*([self.wrapper_options] if self.wrapper_options else []), *self.entries]

    def encode(self) -> str:
        data: dict[str, Any] = {"gcs_options": self.gcs_options.to_data()}
        if self.wrapper_options is not None:
            data["wrapper_options"] = self.wrapper_options.to_data()
        data |= _keep(
            {
                "entries": [e.to_data() for e in self.entries],
                "entry_error": self.entry_error,
                "ignore_interrupts": self.ignore_interrupts,
            }
        )
        if self.censoring_options is not None:
            # A non-nil pointer in Go: written even when empty.
            data["censoring_options"] = self.censoring_options
        return marshal(data)


class ClonerefsOptions(_Options):
    """`$CLONEREFS_OPTIONS`: the refs to clone, where to, and where to log."""

    src_root: str = ""
    log: str = ""
    git_user_name: str = ""
    git_user_email: str = ""
    refs: list[Refs] = Field(default_factory=list)
    key_files: list[str] = Field(default_factory=list)
    oauth_token_file: str = ""
    host_fingerprints: list[str] = Field(default_factory=list)
    max_parallel_workers: int = 0
    fail: bool = False
    cookie_path: str = ""
    github_api_endpoints: list[str] = Field(default_factory=list)
    github_app_id: str = ""
    github_app_private_key_file: str = ""

    def validate_options(self) -> None:
        """Prow's `Options.Validate`, for the checks that do not need the file system."""
        if not self.src_root:
            raise OptionsError("no source root specified")
        if not self.log:
            raise OptionsError("no log file specified")
        if not self.refs:
            raise OptionsError("no refs specified to clone")

    def encode(self) -> str:
        data = self.model_dump(exclude={"refs"})
        head = _keep({"src_root": data.pop("src_root"), "log": data.pop("log")}, "src_root", "log")
        names = _keep(
            {
                "git_user_name": data.pop("git_user_name"),
                "git_user_email": data.pop("git_user_email"),
            }
        )
        refs = {"refs": [refs_data(r) for r in self.refs]}
        return marshal(head | names | refs | _keep(data))

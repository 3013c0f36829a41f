"""Decoration settings of a job: Prow's `DecorationConfig` and its parts.

Corresponds to the decoration types in Prow's pkg/apis/prowjobs/v1/types.go. The
same model is read from config (a job's `decoration_config`, plank's
`default_decoration_config_entries`) and written into ProwJobs, so a job's
decoration means one thing everywhere. `apply_default` merges a job's settings
over a default the way Prow's `ApplyDefault` does: a field the job leaves unset
takes the default's value; nested parts merge field by field.

"Unset" is Go's test, which depends on the field's Go type: a pointer (`*string`,
`*bool`, `*Duration`, a nested struct) is unset only when nil, so an explicit
`gcs_credentials_secret: ""` or `skip_cloning: false` overrides the default; a plain
string is unset when ""; most lists when empty, a few (Prow compares them with nil)
only when absent. Each part lists its fields with Go's value semantics in
`_UNSET_WHEN_ZERO`; every other field is a pointer (None is unset).
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

from minprow.model.duration import GoDuration

PATH_STRATEGIES = ("legacy", "single", "explicit")


class _Part(BaseModel):
    """Base for decoration parts: unknown fields are kept (and reported by the
    config checker), so nothing Prow adds later is lost on a round trip."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    _UNSET_WHEN_ZERO: ClassVar[frozenset[str]] = frozenset()
    """Fields that are Go strings or lists Prow tests with `== ""` / `len() == 0`:
    "" or [] is unset there. Every other field is a Go pointer: only None is unset."""

    def _merged(self, default: Self | None, *, nested: tuple[str, ...] = ()) -> Self:
        if default is None:
            return self
        updates: dict[str, Any] = {}
        for name in type(self).model_fields:
            mine = getattr(self, name)
            theirs = getattr(default, name)
            if name in nested and mine is not None and theirs is not None:
                updates[name] = mine.apply_default(theirs)
            elif self._is_unset(name, mine) and not self._is_unset(name, theirs):
                updates[name] = theirs
        return self.model_copy(update=updates) if updates else self

    def _is_unset(self, name: str, value: Any) -> bool:
        if value is None:
            return True
        return name in self._UNSET_WHEN_ZERO and (value == "" or value == [])


class UtilityImages(_Part):
    _UNSET_WHEN_ZERO = frozenset({"clonerefs", "initupload", "entrypoint", "sidecar"})

    clonerefs: str | None = None
    initupload: str | None = None
    entrypoint: str | None = None
    sidecar: str | None = None

    def apply_default(self, default: UtilityImages | None) -> UtilityImages:
        return self._merged(default)


class GCSConfiguration(_Part):
    # compress_file_types is a list Prow tests with nil: an explicit [] is kept.
    _UNSET_WHEN_ZERO = frozenset(
        {
            "bucket",
            "path_prefix",
            "path_strategy",
            "default_org",
            "default_repo",
            "job_url_prefix",
            "local_output_dir",
        }
    )

    bucket: str | None = None
    path_prefix: str | None = None
    path_strategy: str | None = None
    default_org: str | None = None
    default_repo: str | None = None
    media_types: dict[str, str] | None = Field(default=None, alias="mediaTypes")
    job_url_prefix: str | None = None
    local_output_dir: str | None = None
    compress_file_types: list[str] | None = None

    def apply_default(self, default: GCSConfiguration | None) -> GCSConfiguration:
        merged = self._merged(default)
        if default is not None and default.media_types:
            # Prow adds the default's media types over the job's own.
            media = dict(self.media_types or {})
            media.update(default.media_types)
            merged = merged.model_copy(update={"media_types": media})
        return merged


class Resources(_Part):
    """Resource requirements of the utility containers (Kubernetes
    ResourceRequirements objects, kept as mappings)."""

    clonerefs: dict[str, Any] | None = None
    initupload: dict[str, Any] | None = None
    place_entrypoint: dict[str, Any] | None = None
    sidecar: dict[str, Any] | None = None

    def apply_default(self, default: Resources | None) -> Resources:
        return self._merged(default)


class CensoringOptions(_Part):
    censoring_concurrency: int | None = None
    censoring_buffer_size: int | None = None
    include_directories: list[str] | None = None
    exclude_directories: list[str] | None = None

    def apply_default(self, default: CensoringOptions | None) -> CensoringOptions:
        return self._merged(default)


class SchedulingOptions(_Part):
    affinity: dict[str, Any] | None = None
    tolerations: list[dict[str, Any]] | None = None

    def apply_default(self, default: SchedulingOptions | None) -> SchedulingOptions:
        return self._merged(default)


class DecorationConfig(_Part):
    """How plank decorates a job's pod: timeouts, utility images, uploads."""

    _UNSET_WHEN_ZERO = frozenset(
        {"ssh_key_secrets", "ssh_host_fingerprints", "github_api_endpoints", "github_app_id"}
    )

    timeout: GoDuration | None = None
    grace_period: GoDuration | None = None
    utility_images: UtilityImages | None = None
    resources: Resources | None = None
    gcs_configuration: GCSConfiguration | None = None
    gcs_credentials_secret: str | None = None
    s3_credentials_secret: str | None = None
    default_service_account_name: str | None = None
    ssh_key_secrets: list[str] | None = None
    ssh_host_fingerprints: list[str] | None = None
    blobless_fetch: bool | None = None
    skip_cloning: bool | None = None
    cookiefile_secret: str | None = None
    oauth_token_secret: dict[str, str] | None = None
    github_api_endpoints: list[str] | None = None
    github_app_id: str | None = None
    github_app_private_key_secret: dict[str, str] | None = None
    censor_secrets: bool | None = None
    censoring_options: CensoringOptions | None = None
    upload_ignores_interrupts: bool | None = None
    set_limit_equals_memory_request: bool | None = None
    default_memory_request: str | int | None = None
    scheduling_options: SchedulingOptions | None = None
    pod_pending_timeout: GoDuration | None = None
    pod_running_timeout: GoDuration | None = None
    pod_unscheduled_timeout: GoDuration | None = None
    run_as_user: int | None = None
    run_as_group: int | None = None
    fs_group: int | None = None

    def apply_default(self, default: DecorationConfig | None) -> DecorationConfig:
        """This config with every unset field taken from `default` (Prow's ApplyDefault)."""
        return self._merged(
            default,
            nested=(
                "utility_images",
                "resources",
                "gcs_configuration",
                "censoring_options",
                "scheduling_options",
            ),
        )

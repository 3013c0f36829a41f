"""The ProwJob custom resource (`prow.k8s.io/v1`, kind `ProwJob`).

Field names and JSON shape follow Prow's pkg/apis/prowjobs/v1/types.go: snake_case
in `spec`, camelCase timestamps in `status`, Kubernetes `ObjectMeta` in
`metadata`. Every model keeps fields it does not know (`extra="allow"`), so an
object written by a newer Prow or by `kubectl` survives a read-modify-write
unchanged. `to_wire()` renders the object as Kubernetes stores it, omitting empty
fields the way Go's `omitempty` does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from minprow.model.decoration import DecorationConfig

API_VERSION = "prow.k8s.io/v1"
KIND = "ProwJob"
LOCAL_RUN = "minprow.dev/local-run"
"""Annotation (value "true") of a `minprow run --local` ProwJob: it runs a working tree,
not a pull request, so its artifacts and logs say `local` where a PR number would be."""


class ProwJobType(StrEnum):
    PRESUBMIT = "presubmit"
    POSTSUBMIT = "postsubmit"
    PERIODIC = "periodic"
    BATCH = "batch"


class ProwJobState(StrEnum):
    SCHEDULING = "scheduling"
    TRIGGERED = "triggered"
    PENDING = "pending"
    SUCCESS = "success"
    FAILURE = "failure"
    ABORTED = "aborted"
    ERROR = "error"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATES


_FINAL_STATES = frozenset(
    {ProwJobState.SUCCESS, ProwJobState.FAILURE, ProwJobState.ABORTED, ProwJobState.ERROR}
)


class ProwJobAgent(StrEnum):
    KUBERNETES = "kubernetes"
    JENKINS = "jenkins"
    TEKTON_PIPELINE = "tekton-pipeline"


def _format_time(value: datetime) -> str:
    # metav1.Time marshals as RFC 3339 in UTC with whole seconds.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Time = Annotated[
    datetime, PlainSerializer(_format_time, return_type=str, when_used="json-unless-none")
]
"""A Kubernetes `metav1.Time`: RFC 3339, UTC, whole seconds on the wire."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ObjectMeta(_Model):
    name: str = ""
    namespace: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
    resource_version: str | None = Field(default=None, alias="resourceVersion")
    uid: str | None = None
    generation: int | None = None
    creation_timestamp: Time | None = Field(default=None, alias="creationTimestamp")
    deletion_timestamp: Time | None = Field(default=None, alias="deletionTimestamp")
    finalizers: list[str] | None = None


class Pull(_Model):
    number: int
    author: str
    sha: str
    title: str | None = None
    ref: str | None = None
    head_ref: str | None = None
    link: str | None = None
    commit_link: str | None = None
    author_link: str | None = None


class Refs(_Model):
    org: str
    repo: str
    repo_link: str | None = None
    base_ref: str | None = None
    base_sha: str | None = None
    base_link: str | None = None
    pulls: list[Pull] | None = None
    path_alias: str | None = None
    workdir: bool | None = None
    auxiliary: bool | None = None
    """Only provides auxiliary files: not the repository whose version a job records."""
    clone_uri: str | None = None
    skip_submodules: bool | None = None
    clone_depth: int | None = None
    skip_fetch_head: bool | None = None
    blobless_fetch: bool | None = None
    sparse_checkout_files: list[str] | None = None

    @property
    def org_repo(self) -> str:
        return f"{self.org}/{self.repo}" if self.repo else self.org

    def __str__(self) -> str:
        """Prow's `Refs.String()`: "base_ref:base_sha,number:sha[:ref],..."."""
        parts = [f"{self.base_ref or ''}:{self.base_sha}" if self.base_sha else self.base_ref or ""]
        for pull in self.pulls or ():
            ref = f"{pull.number}:{pull.sha}"
            parts.append(f"{ref}:{pull.ref}" if pull.ref else ref)
        return ",".join(parts)


class SlackReporterConfig(_Model):
    host: str | None = None
    channel: str | None = None
    job_states_to_report: list[ProwJobState] | None = None
    report_template: str | None = None
    report: bool | None = None


class ReporterConfig(_Model):
    slack: SlackReporterConfig | None = None


class ProwJobSpec(_Model):
    type: ProwJobType
    job: str
    agent: ProwJobAgent | None = None
    cluster: str | None = None
    namespace: str | None = None
    refs: Refs | None = None
    extra_refs: list[Refs] | None = None
    report: bool | None = None
    context: str | None = None
    rerun_command: str | None = None
    max_concurrency: int | None = None
    error_on_eviction: bool | None = None
    pod_spec: dict[str, Any] | None = None
    """The Kubernetes PodSpec, kept as the mapping it is on the wire."""
    jenkins_spec: dict[str, Any] | None = None
    pipeline_run_spec: dict[str, Any] | None = None
    tekton_pipeline_run_spec: dict[str, Any] | None = None
    decoration_config: DecorationConfig | None = None
    reporter_config: ReporterConfig | None = None
    rerun_auth_config: dict[str, Any] | None = None
    hidden: bool | None = None
    prowjob_defaults: dict[str, Any] | None = None
    job_queue_name: str | None = None

    @property
    def cluster_alias(self) -> str:
        """Prow's `ClusterAlias()`: the build cluster, "default" when unset."""
        return self.cluster or "default"


class ProwJobStatus(_Model):
    state: ProwJobState = ProwJobState.TRIGGERED
    start_time: Time | None = Field(default=None, alias="startTime")
    pending_time: Time | None = Field(default=None, alias="pendingTime")
    completion_time: Time | None = Field(default=None, alias="completionTime")
    description: str | None = None
    url: str | None = None
    pod_name: str | None = None
    build_id: str | None = None
    jenkins_build_id: str | None = None
    prev_report_states: dict[str, ProwJobState] | None = None
    pod_revival_count: int | None = None


class ProwJob(_Model):
    api_version: str = Field(default=API_VERSION, alias="apiVersion")
    kind: str = KIND
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    spec: ProwJobSpec
    status: ProwJobStatus = Field(default_factory=ProwJobStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def resource_version(self) -> str | None:
        return self.metadata.resource_version

    @property
    def complete(self) -> bool:
        """Prow's `Complete()`: the job has a completion time."""
        return self.status.completion_time is not None

    @property
    def is_local_run(self) -> bool:
        """A `minprow run --local` job: a working tree stands where a pull request would."""
        return self.metadata.annotations.get(LOCAL_RUN) == "true"

    def log_fields(self) -> dict[str, Any]:
        """The job's fields for a log line's `extra` (STYLE 11): name, job, type, state,
        and org/repo and PR when it has refs — as Prow's `pjutil.ProwJobFields`
        (`pr=local` for a local run's working tree)."""
        fields: dict[str, Any] = {
            "prowjob": self.metadata.name,
            "job": self.spec.job,
            "type": str(self.spec.type),
            "state": str(self.status.state),
        }
        refs = self.spec.refs
        if refs is not None:
            fields["org_repo"] = refs.org_repo
            if refs.pulls:
                fields["pr"] = "local" if self.is_local_run else refs.pulls[0].number
        return fields

    def to_wire(self) -> dict[str, Any]:
        """The object as the Kubernetes API carries it (JSON-ready, empty fields omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, exclude_none=True)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ProwJob:
        return cls.model_validate(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> ProwJob:
        return cls.model_validate_json(text)

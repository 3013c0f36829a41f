"""What a job is told about itself: `JOB_SPEC` and the environment variables.

Corresponds to Prow's pkg/pod-utils/downwardapi/jobspec.go (`JobSpec`,
`NewJobSpec`, `EnvForSpec`, `EnvForType`, `ResolveSpecFromEnv`,
`GetRevisionFromRefs`). This is the start of minprow's one renderer: every
executor and `minprow run` take a job's environment from `env_for`, so a job
sees the same variables locally as in CI.

The variables per job type, as Prow sets them:

| type | variables |
| --- | --- |
| every job | `CI=true`, `JOB_NAME`, `JOB_TYPE`, `JOB_SPEC`, `BUILD_ID`, `PROW_JOB_ID`, and `BUILD_NUMBER` (= `BUILD_ID`) for the `kubernetes` agent only |
| periodic | nothing more, even with `extra_refs` |
| postsubmit, batch | `REPO_OWNER`, `REPO_NAME`, `SRC_HOST`, `SRC_BASE`, `PULL_BASE_REF`, `PULL_BASE_SHA`, `PULL_REFS` from `refs` |
| presubmit | those, plus `PULL_NUMBER`, `PULL_PULL_SHA`, `PULL_HEAD_REF`, `PULL_TITLE` of the first pull |

Prow's newest `EnvForSpec` also sets `TRIGGER_COMMENT_ID` / `TRIGGER_COMMENT_URL`
from a `trigger_comment` field that the ProwJob CRD minprow writes does not
have; minprow does not set them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from minprow.model import DecorationConfig, ProwJob, ProwJobAgent, ProwJobSpec, ProwJobType, Refs
from minprow.model.jobenv import (
    BUILD_ID,
    BUILD_NUMBER,
    CI,
    JOB_NAME,
    JOB_SPEC,
    JOB_TYPE,
    PROW_JOB_ID,
    PULL_BASE_REF,
    PULL_BASE_SHA,
    PULL_HEAD_REF,
    PULL_NUMBER,
    PULL_PULL_SHA,
    PULL_REFS,
    PULL_TITLE,
    REPO_NAME,
    REPO_OWNER,
    SRC_BASE,
    SRC_HOST,
)
from minprow.podutils.gojson import decoration_config_data, marshal, refs_data

DEFAULT_HOST = "github.com"
"""Prow's `github.DefaultHost`: `SRC_HOST` when the refs name no other."""


class JobSpecError(ValueError):
    """A job spec that cannot be rendered or read: says which job and what is missing."""


class JobSpec(BaseModel):
    """Prow's downward-API `JobSpec`: the JSON in `$JOB_SPEC`.

    Unknown JSON fields are ignored when reading, as Go's `json.Unmarshal` does.
    The agent is not part of the JSON; it only decides `BUILD_NUMBER`."""

    model_config = ConfigDict(extra="ignore")

    type: ProwJobType | None = None
    job: str = ""
    buildid: str = ""
    prowjobid: str = ""
    refs: Refs | None = None
    extra_refs: list[Refs] | None = None
    decoration_config: DecorationConfig | None = None

    _agent: str = PrivateAttr(default="")

    @classmethod
    def from_spec(cls, spec: ProwJobSpec, build_id: str, prowjob_id: str) -> JobSpec:
        """Prow's `NewJobSpec`."""
        job_spec = cls(
            type=spec.type,
            job=spec.job,
            buildid=build_id,
            prowjobid=prowjob_id,
            refs=spec.refs,
            extra_refs=spec.extra_refs,
            decoration_config=spec.decoration_config,
        )
        job_spec._agent = str(spec.agent) if spec.agent is not None else ""
        return job_spec

    @classmethod
    def from_prowjob(cls, pj: ProwJob) -> JobSpec:
        """The job spec of a ProwJob: its spec, `status.build_id` and name."""
        return cls.from_spec(pj.spec, pj.status.build_id or "", pj.metadata.name)

    @classmethod
    def from_json(cls, text: str | bytes) -> JobSpec:
        """Read a `$JOB_SPEC` value; JobSpecError if it is not a job spec."""
        try:
            return cls.model_validate_json(text)
        except ValidationError as err:
            raise JobSpecError(f"malformed ${JOB_SPEC}: {err}") from err

    def to_data(self) -> dict[str, Any]:
        """The JSON object, with Go's field order and omissions."""
        data: dict[str, Any] = {}
        for key, value in (
            ("type", str(self.type) if self.type else ""),
            ("job", self.job),
            ("buildid", self.buildid),
            ("prowjobid", self.prowjobid),
        ):
            if value:
                data[key] = value
        if self.refs is not None:
            data["refs"] = refs_data(self.refs)
        if self.extra_refs:
            data["extra_refs"] = [refs_data(r) for r in self.extra_refs]
        if self.decoration_config is not None:
            data["decoration_config"] = decoration_config_data(self.decoration_config)
        return data

    def to_json(self) -> str:
        """The `$JOB_SPEC` text, byte for byte as Prow writes it."""
        return marshal(self.to_data())

    def env(self) -> dict[str, str]:
        """Prow's `EnvForSpec`: the variables the job's containers get."""
        env = {
            CI: "true",
            JOB_NAME: self.job,
            BUILD_ID: self.buildid,
            PROW_JOB_ID: self.prowjobid,
            JOB_TYPE: str(self.type) if self.type else "",
        }
        if self._agent == ProwJobAgent.KUBERNETES:
            env[BUILD_NUMBER] = self.buildid
        env[JOB_SPEC] = self.to_json()
        if self.type == ProwJobType.PERIODIC:
            return env

        refs = self.refs
        if refs is None:
            raise JobSpecError(f"{self.type} job {self.job!r} has no refs to describe")
        host, base = src_host_and_base(refs)
        env.update(
            {
                REPO_OWNER: refs.org,
                REPO_NAME: refs.repo,
                SRC_HOST: host,
                SRC_BASE: base,
                PULL_BASE_REF: refs.base_ref or "",
                PULL_BASE_SHA: refs.base_sha or "",
                PULL_REFS: str(refs),
            }
        )
        if self.type in (ProwJobType.POSTSUBMIT, ProwJobType.BATCH):
            return env

        if not refs.pulls:
            raise JobSpecError(f"{self.type} job {self.job!r} has refs without a pull request")
        pull = refs.pulls[0]
        env.update(
            {
                PULL_NUMBER: str(pull.number),
                PULL_PULL_SHA: pull.sha,
                PULL_HEAD_REF: pull.head_ref or "",
                PULL_TITLE: pull.title or "",
            }
        )
        return env


def job_spec_json(pj: ProwJob) -> str:
    """The `$JOB_SPEC` of a ProwJob."""
    return JobSpec.from_prowjob(pj).to_json()


def env_for(pj: ProwJob) -> dict[str, str]:
    """The Prow environment variables of a ProwJob's containers."""
    return JobSpec.from_prowjob(pj).env()


def src_host_and_base(refs: Refs) -> tuple[str, str]:
    """`SRC_HOST` and `SRC_BASE`: where the repository lives, as clonerefs lays it out.

    From `path_alias` ("k8s.io/kubernetes" -> "k8s.io", "kubernetes"), else from
    `repo_link` without its scheme, else github.com and "org/repo"."""
    host, base = DEFAULT_HOST, f"{refs.org}/{refs.repo}"
    if refs.path_alias:
        found_host, sep, found_base = refs.path_alias.partition("/")
        host = found_host
        base = found_base if sep else base
    elif refs.repo_link:
        host_and_path = refs.repo_link.split("://")[-1]
        found_host, sep, found_base = host_and_path.partition("/")
        host = found_host
        base = found_base if sep else base
    return host, base


def resolve_spec_from_env(environ: Mapping[str, str]) -> JobSpec:
    """Prow's `ResolveSpecFromEnv`: the job spec in `environ["JOB_SPEC"]`."""
    text = environ.get(JOB_SPEC)
    if text is None:
        raise JobSpecError(f"${JOB_SPEC} unset")
    return JobSpec.from_json(text)


def main_refs(refs: Refs | None, extra_refs: list[Refs] | None) -> Refs | None:
    """The repository a job is about: `refs`, else the first non-auxiliary extra ref."""
    if refs is not None:
        return refs
    return next((r for r in extra_refs or () if not r.auxiliary), None)


def revision(refs: Refs | None, extra_refs: list[Refs] | None) -> str:
    """Prow's `GetRevisionFromRefs`: first pull's SHA, else base SHA, else base ref."""
    main = main_refs(refs, extra_refs)
    if main is None:
        return ""
    if main.pulls:
        return main.pulls[0].sha
    return main.base_sha or main.base_ref or ""

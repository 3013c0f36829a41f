"""Where a job's logs and artifacts live in a bucket: Prow's artifact layout.

Corresponds to Prow's pkg/pod-utils/gcs/target.go (`PathForSpec`,
`AliasForSpec`, `LatestBuildForSpec`, `RootForSpec` and the repo path builders),
`PathsForJob` in pkg/gcsupload/run.go, and `JobURL` in pkg/pjutil/pjutil.go
with plank's `GetJobURLPrefix`.

| job type | a run's directory | `latest-build.txt` |
| --- | --- | --- |
| periodic, postsubmit | `logs/<job>/<build>` | `logs/<job>/` |
| presubmit | `pr-logs/pull/<segment>/<pr>/<job>/<build>` | `pr-logs/directory/<job>/` and beside the run's directory |
| batch | `pr-logs/pull/batch/<job>/<build>` | `pr-logs/directory/<job>/` |
| presubmit of a working tree (`minprow run --local`) | `pr-logs/pull/<segment>/local/<job>/<build>` | `pr-logs/directory/<job>/` and beside the run's directory |

`<segment>` depends on the path strategy: `explicit` always writes `org_repo`;
`legacy` drops the org and repo when they are the defaults and writes just the
repo for the default org; `single` drops both only for the one default repo.
Presubmits also get an alias, `pr-logs/directory/<job>/<build>.txt`, holding
the full `gs://` path of the run. `path_prefix` goes in front of the run's
directory only, as in Prow.

A local run has no pull request: its JOB_SPEC still carries the pull Prow's
presubmit env is made from (number 0, which no GitHub PR has), and its
directory says `local` where the PR number goes, as Prow's batch runs say
`batch` where there is no one PR, so it never sits among a real PR's runs.

Prow calls a missing builder when `path_strategy` is unset (the config checker
rejects that); minprow uses `explicit` then, so a ProwJob made without a config
still gets a sensible path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from urllib.parse import quote, urlsplit, urlunsplit

from minprow.model import GCSConfiguration, ProwJob, ProwJobType
from minprow.podutils.jobspec import JobSpec, JobSpecError

PR_LOGS = "pr-logs"
"""The directory of presubmit and batch runs."""
NON_PR_LOGS = "logs"
"""The directory of postsubmit and periodic runs."""
LATEST_BUILD_FILE = "latest-build.txt"
LOCAL = "local"
"""Where a presubmit's PR number goes in the path of a working tree's run."""

RepoPathBuilder = Callable[[str, str], str]
"""Org and repo -> the segment of a presubmit's path (Prow's `RepoPathBuilder`)."""


def _org_repo(org: str, repo: str) -> str:
    # Gerrit orgs are https URLs and Gerrit repos may have slashes.
    return f"{org.removeprefix('https://')}_{repo.replace('/', '_')}"


def legacy_builder(default_org: str, default_repo: str) -> RepoPathBuilder:
    """Prow's `NewLegacyRepoPathBuilder`: "" for the default repo, the repo alone in the default org."""

    def build(org: str, repo: str) -> str:
        if org == default_org:
            return "" if repo == default_repo else repo
        return _org_repo(org, repo)

    return build


def single_builder(default_org: str, default_repo: str) -> RepoPathBuilder:
    """Prow's `NewSingleDefaultRepoPathBuilder`: "" for the default repo, else org_repo."""

    def build(org: str, repo: str) -> str:
        if org == default_org and repo == default_repo:
            return ""
        return _org_repo(org, repo)

    return build


def explicit_builder() -> RepoPathBuilder:
    """Prow's `NewExplicitRepoPathBuilder`: always org_repo."""
    return _org_repo


def builder_for(gcs: GCSConfiguration | None) -> RepoPathBuilder:
    """The builder a GCS configuration's `path_strategy` names (explicit when unset)."""
    strategy = (gcs.path_strategy if gcs else None) or "explicit"
    org = (gcs.default_org if gcs else None) or ""
    repo = (gcs.default_repo if gcs else None) or ""
    if strategy == "legacy":
        return legacy_builder(org, repo)
    if strategy == "single":
        return single_builder(org, repo)
    if strategy == "explicit":
        return explicit_builder()
    raise JobSpecError(
        f'gcs_configuration.path_strategy must be "legacy", "single" or "explicit", got {strategy!r}'
    )


def path_for_spec(spec: JobSpec, segment: RepoPathBuilder, *, local: bool = False) -> str:
    """Prow's `PathForSpec`: the run's directory under the bucket (without `path_prefix`);
    `local`: a working tree's run (`minprow run --local`)."""
    if spec.type in (ProwJobType.PERIODIC, ProwJobType.POSTSUBMIT):
        return join(NON_PR_LOGS, spec.job, spec.buildid)
    if spec.type == ProwJobType.BATCH:
        return join(PR_LOGS, "pull", "batch", spec.job, spec.buildid)
    if spec.type == ProwJobType.PRESUBMIT:
        org, repo, number = _pull(spec, local)
        return join(PR_LOGS, "pull", segment(org, repo), number, spec.job, spec.buildid)
    raise JobSpecError(f"job {spec.job!r}: unknown job type {spec.type!r}")


def alias_for_spec(spec: JobSpec) -> str:
    """Prow's `AliasForSpec`: `pr-logs/directory/<job>/<build>.txt` for presubmits, else ""."""
    if spec.type == ProwJobType.PRESUBMIT:
        return join(PR_LOGS, "directory", spec.job, f"{spec.buildid}.txt")
    return ""


def latest_build_for_spec(
    spec: JobSpec, segment: RepoPathBuilder | None, *, local: bool = False
) -> list[str]:
    """Prow's `LatestBuildForSpec`: where `latest-build.txt` goes (one or two places)."""
    if spec.type in (ProwJobType.PERIODIC, ProwJobType.POSTSUBMIT):
        return [join(NON_PR_LOGS, spec.job, LATEST_BUILD_FILE)]
    if spec.type == ProwJobType.BATCH:
        return [join(PR_LOGS, "directory", spec.job, LATEST_BUILD_FILE)]
    if spec.type == ProwJobType.PRESUBMIT:
        paths = [join(PR_LOGS, "directory", spec.job, LATEST_BUILD_FILE)]
        if segment is not None:
            # Gubernator also looks for it beside the PR's runs.
            org, repo, number = _pull(spec, local)
            paths.append(
                join(PR_LOGS, "pull", segment(org, repo), number, spec.job, LATEST_BUILD_FILE)
            )
        return paths
    return []


def root_for_spec(spec: JobSpec) -> str:
    """Prow's `RootForSpec`: the directory holding all of a job's runs or aliases."""
    if spec.type in (ProwJobType.PERIODIC, ProwJobType.POSTSUBMIT):
        return join(NON_PR_LOGS, spec.job)
    if spec.type in (ProwJobType.PRESUBMIT, ProwJobType.BATCH):
        return join(PR_LOGS, "directory", spec.job)
    return ""


def path_for_job(spec: JobSpec, gcs: GCSConfiguration | None, *, local: bool = False) -> str:
    """Prow's `PathsForJob`: the run's directory under the bucket, `path_prefix` included."""
    path = path_for_spec(spec, builder_for(gcs), local=local)
    prefix = gcs.path_prefix if gcs else None
    return join(prefix, path) if prefix else path


def job_path(job: ProwJob) -> str:
    """The directory of a ProwJob's run under its bucket."""
    return path_for_job(JobSpec.from_prowjob(job), _gcs(job), local=job.is_local_run)


def job_url_prefix(job: ProwJob, prefix_config: Mapping[str, str]) -> str:
    """Plank's `GetJobURLPrefix`: the job's own `job_url_prefix`, else `job_url_prefix_config`
    by "org/repo", "org", then "*"; a trailing "gcs" or "gcs/" (the old form) is dropped."""
    gcs = _gcs(job)
    prefix = (
        gcs.job_url_prefix if gcs and gcs.job_url_prefix else _configured_prefix(job, prefix_config)
    )
    if prefix.endswith("gcs/"):
        return prefix.removesuffix("gcs/")
    return prefix.removesuffix("gcs")


def job_url(
    job: ProwJob,
    prefix_config: Mapping[str, str],
    *,
    disable_append_storage_provider: bool = False,
) -> str:
    """Prow's `JobURL` for a decorated job: the prefix, the storage provider ("gs"),
    the bucket and the run's path, e.g. `https://prow.k8s.io/view/gs/bucket/logs/job/1`.

    "" when the job is not decorated or no prefix applies; the caller then uses
    plank's `job_url_template`, as Prow does."""
    if job.spec.decoration_config is None:
        return ""
    prefix = job_url_prefix(job, prefix_config)
    if not prefix:
        return ""
    gcs = _gcs(job)
    bucket = (gcs.bucket if gcs else None) or ""
    provider, _, full_path = (bucket if "://" in bucket else f"gs://{bucket}").partition("://")
    parts = urlsplit(prefix)
    segments = [parts.path, full_path, job_path(job)]
    if not disable_append_storage_provider:
        segments.insert(1, provider)
    path = quote(join(*segments), safe="/$&+,:;=@")
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def join(*parts: str | None) -> str:
    """Go's `path.Join`: the non-empty parts joined by "/" and cleaned (no "//", ".", "..")."""
    text = "/".join(p for p in parts if p)
    if not text:
        return ""
    rooted = text.startswith("/")
    out: list[str] = []
    for part in text.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append(part)
            continue
        out.append(part)
    cleaned = "/".join(out)
    return f"/{cleaned}" if rooted else cleaned or "."


def _gcs(job: ProwJob) -> GCSConfiguration | None:
    decoration = job.spec.decoration_config
    return decoration.gcs_configuration if decoration else None


def _pull(spec: JobSpec, local: bool = False) -> tuple[str, str, str]:
    """Org, repo and the PR's place in the path: its number, or `local` for a working tree."""
    if spec.refs is None or not spec.refs.pulls:
        raise JobSpecError(f"presubmit {spec.job!r} has no pull request to place its logs under")
    return spec.refs.org, spec.refs.repo, LOCAL if local else str(spec.refs.pulls[0].number)


def _configured_prefix(job: ProwJob, config: Mapping[str, str]) -> str:
    refs = job.spec.refs or next(iter(job.spec.extra_refs or ()), None)
    if refs is None or not refs.org:
        return config.get("*", "")
    return config.get(f"{refs.org}/{refs.repo}") or config.get(refs.org) or config.get("*", "")

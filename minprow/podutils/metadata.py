"""The metadata files of a run: `started.json`, `finished.json`, `prowjob.json`.

Corresponds to testgrid's metadata `Started` / `Finished` types as Prow fills
them: `refsToStarted` / `SpecToStarted` in pkg/pod-utils/downwardapi/jobspec.go
(written by pkg/initupload/run.go), the sidecar's `finished.json` in
pkg/sidecar/run.go (result `SUCCESS`, `ABORTED` or `FAILURE`, `revision`, the
job's own `metadata.json`), and the clone-failure `finished.json` initupload
writes. The text is what Go's `json.Marshal` writes for those structs: compact,
fields in struct order, map keys sorted, empty `omitempty` fields dropped.

| file | fields |
| --- | --- |
| started.json | `timestamp`, `node`, `pull`, `repos`, `repo-commit`, `metadata`, `job-version`, `repo-version` |
| finished.json | `timestamp`, `passed`, `metadata`, `result`, `job-version`, `revision`, `repo-version` |
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from minprow.model import ProwJob, Refs
from minprow.podutils.clonerefs import CloneRecord
from minprow.podutils.gojson import marshal
from minprow.podutils.jobspec import main_refs, revision

STARTED = "started.json"
FINISHED = "finished.json"
PROWJOB = "prowjob.json"

ABORTED_EXIT_CODE = 130
"""The entrypoint's exit code for a job it aborted (Prow's `AbortedErrorCode`)."""


def started(
    job: ProwJob,
    now: datetime,
    records: Sequence[CloneRecord] = (),
    *,
    node: str = "",
) -> dict[str, Any]:
    """Prow's `Started` for a job: the refs it tests and the commit it checked out.

    `repo-commit` (and the deprecated `repo-version`) is the final SHA of the main
    refs' clone when there is one, else the first pull's SHA, the base SHA or the
    base ref."""
    refs, extra = job.spec.refs, job.spec.extra_refs
    main = main_refs(refs, extra)
    version = _final_sha(main, records) if main is not None else ""
    version = version or revision(refs, extra)
    repos = {f"{r.org}/{r.repo}": str(r) for r in [*([refs] if refs else []), *(extra or [])]}
    data: dict[str, Any] = {"timestamp": _unix(now)}
    if node:
        data["node"] = node
    if refs is not None and refs.pulls:
        data["pull"] = str(refs.pulls[0].number)
    if repos:
        data["repos"] = dict(sorted(repos.items()))
    if version:
        data["repo-commit"] = version
        data["repo-version"] = version
    return data


def finished(
    job: ProwJob,
    now: datetime,
    *,
    exit_code: int | None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The sidecar's `Finished`: passed when the test exited 0; `ABORTED` for the
    entrypoint's abort code, `FAILURE` otherwise (or when there is no exit code)."""
    passed = exit_code == 0
    if passed:
        result = "SUCCESS"
    elif exit_code == ABORTED_EXIT_CODE:
        result = "ABORTED"
    else:
        result = "FAILURE"
    data: dict[str, Any] = {"timestamp": _unix(now), "passed": passed}
    if metadata:
        data["metadata"] = _sorted(metadata)
    data["result"] = result
    rev = revision(job.spec.refs, job.spec.extra_refs)
    if rev:
        data["revision"] = rev
    return data


def clone_failed(now: datetime) -> dict[str, Any]:
    """The `finished.json` initupload writes when cloning failed."""
    return {"timestamp": _unix(now), "passed": False, "result": "FAILURE"}


def to_json(data: Mapping[str, Any]) -> str:
    """A started/finished object as Go's `json.Marshal` writes it."""
    return marshal(data)


def prowjob_json(job: ProwJob) -> str:
    """The `prowjob.json` uploaded beside a run's logs."""
    return job.to_json()


def _final_sha(refs: Refs, records: Sequence[CloneRecord]) -> str:
    # Prow's shaForRefs: the record whose refs are exactly these refs.
    return next((r.final_sha for r in records if r.refs == refs), "")


def _unix(now: datetime) -> int:
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return int(now.timestamp())


def _sorted(value: Any) -> Any:
    # Go writes the keys of every map in sorted order.
    if isinstance(value, Mapping):
        return {str(k): _sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value

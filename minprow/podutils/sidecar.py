"""The sidecar: wait for the test containers' markers, then upload their logs and artifacts.

Corresponds to Prow's pkg/sidecar/run.go (`wait`, `combineMetadata`,
`logReadersFuncs`, `doUpload`) and pkg/pod-utils/wrapper (`WaitForMarkers`).
For every entry of `$SIDECAR_OPTIONS` it waits until the entrypoint wrote the
marker file, then uploads to the run's directory (Prow's layout, from
`gcspaths`, through `upload.Destination`, as the in-process decoration does):

- `build-log.txt` (`<container>-build-log.txt` with several entries): the
  process log, or "Failed to open ..." when there is none;
- every item of `gcs_options.items` (the artifacts directory) under its base name;
- last `finished.json`: passed when every marker is 0, `ABORTED` when one is
  130, `metadata` merged from the entries' metadata files (the last wins,
  unreadable ones named under `sidecar-errors`), `revision` from the refs.

It uploads what exists even when the test failed. An interrupt (the kubelet
deleting the pod) starts a best-effort upload of what is there, marked
aborted, and waiting goes on; with `ignore_interrupts` it is only logged.
Prow's censoring of secrets and its `sidecar-logs.json` are not done.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from minprow.model import ProwJob
from minprow.podutils import gcspaths, metadata
from minprow.podutils.entrypoint import ABORTED_ERROR_CODE, PREVIOUS_ERROR_CODE
from minprow.podutils.initupload import destination, job_for_spec
from minprow.podutils.jobspec import JobSpec
from minprow.podutils.options import SidecarOptions, WrapperOptions

log = logging.getLogger("minprow.podutils.sidecar")

ERRORS_KEY = "sidecar-errors"
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"


@dataclass(frozen=True)
class Marker:
    """What one marker file said: the exit code, or why there is none."""

    code: int | None
    error: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of all entries, as Prow's sidecar `wait` sums them up."""

    passed: bool
    aborted: bool
    failures: int

    @property
    def exit_code(self) -> int:
        """The code `metadata.finished` turns into Prow's result."""
        return 0 if self.passed else ABORTED_ERROR_CODE if self.aborted else 1


def read_marker(path: Path) -> Marker | None:
    """The marker at `path`, or None while it does not exist."""
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as err:
        return Marker(None, str(err))
    try:
        return Marker(int(text))
    except ValueError:
        return Marker(None, f"invalid exit code {text!r} in {path}")


def wait_for_markers(
    paths: list[str], *, poll_interval: float, stop: Callable[[], bool] = lambda: False
) -> dict[str, Marker]:
    """Every marker once it exists; those still missing when `stop()` says so are errors."""
    found: dict[str, Marker] = {}
    while True:
        for path in paths:
            if path not in found and (marker := read_marker(Path(path))) is not None:
                found[path] = marker
        if len(found) == len(paths):
            return found
        if stop():
            missing = {p: Marker(None, "cancelled while waiting") for p in paths if p not in found}
            return found | missing
        time.sleep(poll_interval)


def outcome(markers: dict[str, Marker]) -> Outcome:
    passed, aborted, failures = True, False, 0
    for marker in markers.values():
        passed = passed and marker.code == 0
        aborted = aborted or marker.code == ABORTED_ERROR_CODE
        if marker.code != 0 and marker.code != PREVIOUS_ERROR_CODE:
            failures += 1
    return Outcome(passed, aborted, failures)


def combine_metadata(entries: list[WrapperOptions]) -> dict[str, Any]:
    """The entries' metadata files merged, errors under `sidecar-errors` (Prow's combineMetadata)."""
    merged: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for index, entry in enumerate(entries):
        path = Path(entry.metadata_file) if entry.metadata_file else None
        if path is None or not path.exists():
            continue
        name = f"entry {index}: {' '.join(entry.args)}"
        try:
            piece = json.loads(path.read_text())
        except (OSError, ValueError) as err:
            errors[name] = str(err)
            continue
        if not isinstance(piece, dict):
            errors[name] = f"{path} does not hold a JSON object"
            continue
        merged.update(piece)
    if errors:
        merged[ERRORS_KEY] = errors
    return merged


def upload(job: ProwJob, options: SidecarOptions, result: Outcome, *, now: datetime) -> None:
    """Upload the build logs, the items and then `finished.json`; UploadError on failure."""
    gcs_options = options.gcs_options
    target = destination(job, gcs_options)
    run_dir = gcspaths.join(gcspaths.job_path(job), gcs_options.sub_dir)
    entries = options.all_entries()
    for entry in entries:
        name = "build-log.txt" if len(entries) == 1 else f"{entry.container_name}-build-log.txt"
        process_log = Path(entry.process_log)
        if process_log.is_file():
            target.put_file(gcspaths.join(run_dir, name), process_log)
        else:
            missing = f"Failed to open {process_log}: no such file\n"
            target.put_bytes(gcspaths.join(run_dir, name), missing.encode(), content_type=_TEXT)
    for item in gcs_options.items:
        path = Path(item)
        if path.is_dir():
            target.put_tree(gcspaths.join(run_dir, path.name), path)
        elif path.is_file():
            target.put_file(gcspaths.join(run_dir, path.name), path)
    finished = metadata.finished(
        job, now, exit_code=result.exit_code, metadata=combine_metadata(entries)
    )
    target.put_bytes(
        gcspaths.join(run_dir, metadata.FINISHED),
        metadata.to_json(finished).encode(),
        content_type=_JSON,
    )
    log.info("uploaded %s: %s at %s", job.spec.job, finished["result"], target.url(run_dir))


def sidecar(
    spec: JobSpec,
    options: SidecarOptions,
    *,
    now: Callable[[], datetime],
    interrupted: Callable[[], bool],
    poll_interval: float = 0.5,
) -> Outcome:
    """Wait for every entry's marker, then upload; an interrupt uploads early, once."""
    entries = options.all_entries()
    if not entries:
        raise ValueError("no wrapper.Option entries")
    job = job_for_spec(spec, options.gcs_options)
    early = False

    def stop() -> bool:
        nonlocal early
        if interrupted() and not early:
            early = True
            if options.ignore_interrupts:
                log.warning("received an interrupt, ignoring it")
            else:
                log.error("received an interrupt: uploading what there is")
                try:
                    upload(job, options, Outcome(False, True, 0), now=now())
                except Exception as err:  # best effort: the final upload still comes
                    log.error("the best-effort upload failed: %s", err)
        return False

    log.info("waiting for %s", ", ".join(e.marker_file for e in entries))
    markers = wait_for_markers(
        [e.marker_file for e in entries], poll_interval=poll_interval, stop=stop
    )
    result = outcome(markers)
    upload(job, options, result, now=now())
    return result

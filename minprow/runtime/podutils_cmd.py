"""`minprow podutils ...`: the pod utilities as commands, run inside a job's pod.

Corresponds to Prow's cmd/clonerefs, cmd/initupload, cmd/entrypoint and
cmd/sidecar: each reads its options from the env var Prow uses
(`$CLONEREFS_OPTIONS`, `$INITUPLOAD_OPTIONS`, `$ENTRYPOINT_OPTIONS`,
`$SIDECAR_OPTIONS`, and `$JOB_SPEC`), does its work through minprow.podutils
(the same code as the in-process decoration) and returns the exit code:

| command | exit code |
| --- | --- |
| clonerefs | 0; 1 when options are unusable, or a clone failed and `fail` is set (the records are written either way) |
| initupload | 0; 1 when the options or the clone records are unusable, an upload failed, or cloning failed (after uploading the failure) |
| entrypoint | the wrapped command's (see podutils.entrypoint) |
| sidecar | 0; 1 when an upload failed, or with `entry_error` when an entry failed |
| place-entrypoint | 0; 1 when the wrapper cannot be written |

Errors are logged as one JSON line each (`logs.configure("json")`), as Prow's
utilities log through logrus.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from minprow.podutils import entrypoint as ep
from minprow.podutils.clonerefs import CloneError, clone_refs, records_json
from minprow.podutils.initupload import CloneFailed, initupload
from minprow.podutils.jobspec import JobSpecError, resolve_spec_from_env
from minprow.podutils.options import (
    CLONEREFS_OPTIONS,
    INITUPLOAD_OPTIONS,
    SIDECAR_OPTIONS,
    ClonerefsOptions,
    InitUploadOptions,
    OptionsError,
    SidecarOptions,
)
from minprow.podutils.sidecar import sidecar
from minprow.podutils.upload import UploadError

log = logging.getLogger("minprow.podutils")

Clock = Callable[[], datetime]
_UNSUPPORTED = (
    "key_files",
    "oauth_token_file",
    "cookie_path",
    "github_app_id",
    "github_app_private_key_file",
    "host_fingerprints",
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def clonerefs(environ: Mapping[str, str], *, cookiefile: str = "") -> int:
    """Clone every refs under `src_root`; write the records to `log` (Prow's clone.json)."""
    try:
        options = ClonerefsOptions.from_env(environ, CLONEREFS_OPTIONS)
        if cookiefile:
            options = options.model_copy(update={"cookie_path": cookiefile})
        options.validate_options()
    except OptionsError as err:
        log.error("clonerefs: %s", err)
        return 1
    for name in _UNSUPPORTED:
        if getattr(options, name):
            # minprow clones with what the image has; say so rather than pretend.
            log.warning("clonerefs: %s is not supported by minprow and is ignored", name)
    failed = False
    try:
        records = clone_refs(options.refs, Path(options.src_root))
    except CloneError as err:
        log.error("clonerefs: %s", err)
        records, failed = err.records, True
    try:
        Path(options.log).parent.mkdir(parents=True, exist_ok=True)
        Path(options.log).write_text(records_json(records))
    except OSError as err:
        log.error("clonerefs: could not write the clone records to %s: %s", options.log, err)
        return 1
    return 1 if failed and options.fail else 0


def run_initupload(environ: Mapping[str, str], *, now: Clock = _utc_now) -> int:
    """Upload `started.json` and the clone records of the job in `$JOB_SPEC`."""
    try:
        spec = resolve_spec_from_env(environ)
        options = InitUploadOptions.from_env(environ, INITUPLOAD_OPTIONS)
        initupload(spec, options, now=now())
    except (OptionsError, JobSpecError, UploadError, CloneFailed) as err:
        log.error("initupload: %s", err)
        return 1
    return 0


def run_sidecar(
    environ: Mapping[str, str], *, now: Clock = _utc_now, poll_interval: float = 0.5
) -> int:
    """Wait for the entries' markers and upload; SIGTERM/SIGINT start an early upload."""
    got_signal: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        got_signal.append(signum)

    try:
        spec = resolve_spec_from_env(environ)
        options = SidecarOptions.from_env(environ, SIDECAR_OPTIONS)
    except (OptionsError, JobSpecError) as err:
        log.error("sidecar: %s", err)
        return 1
    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        result = sidecar(
            spec,
            options,
            now=now,
            interrupted=lambda: bool(got_signal),
            poll_interval=poll_interval,
        )
    except (OptionsError, UploadError, ValueError) as err:
        log.error("sidecar: %s", err)
        return 1
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if options.entry_error and result.failures else 0


def place_entrypoint(destination: Path) -> int:
    """Write the entrypoint wrapper into the tools volume."""
    try:
        ep.place(destination)
    except OSError as err:
        log.error("place-entrypoint: cannot write %s: %s", destination, err)
        return 1
    return 0


def run_entrypoint(environ: Mapping[str, str]) -> int:
    """Become the wrapper (never returns unless `$ENTRYPOINT_OPTIONS` is missing)."""
    try:
        ep.exec_wrapper(environ)
    except OptionsError as err:
        log.error("entrypoint: %s", err)
        return 1
    except OSError as err:
        log.error("entrypoint: cannot run %s: %s", ep.SHELL, err)
        return ep.INTERNAL_ERROR_CODE

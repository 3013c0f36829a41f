"""The sidecar: results summed over entries as Prow's does, metadata merged, several
containers' logs named apart, and an interrupt answered by an early upload
(the real `minprow podutils sidecar` command, to a local output directory)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from minprow.podutils.jobspec import JobSpec
from minprow.podutils.options import GCSUploadOptions, SidecarOptions, WrapperOptions
from minprow.podutils.sidecar import Marker, Outcome, combine_metadata, outcome, sidecar
from tests.podutils.conftest import NOW, load_prowjob

RUN = "logs/ci-widget-nightly/1861000000000000003"


@pytest.mark.parametrize(
    ("codes", "want"),
    [
        ([0], Outcome(passed=True, aborted=False, failures=0)),
        ([0, 1], Outcome(passed=False, aborted=False, failures=1)),
        ([130], Outcome(passed=False, aborted=True, failures=1)),
        ([1, 1130], Outcome(passed=False, aborted=False, failures=1)),
        ([None], Outcome(passed=False, aborted=False, failures=1)),
    ],
    ids=["passed", "one-failed", "aborted", "skipped-not-counted", "unreadable-marker"],
)
def test_outcome(codes: list[int | None], want: Outcome) -> None:
    markers = {
        str(i): Marker(code, "" if code is not None else "bad") for i, code in enumerate(codes)
    }
    assert outcome(markers) == want


def _entry(root: Path, name: str) -> WrapperOptions:
    return WrapperOptions(
        args=["run", name],
        container_name=name,
        process_log=str(root / f"{name}-log.txt"),
        marker_file=str(root / f"{name}-marker.txt"),
        metadata_file=str(root / "artifacts" / f"{name}-metadata.json"),
    )


def test_combine_metadata(tmp_path: Path) -> None:
    (tmp_path / "artifacts").mkdir()
    a, b, c = (_entry(tmp_path, n) for n in ("a", "b", "c"))
    Path(a.metadata_file).write_text('{"k": "a", "only_a": 1}')
    Path(b.metadata_file).write_text('{"k": "b"}')
    Path(c.metadata_file).write_text("[1, 2]")
    merged = combine_metadata([a, b, c, _entry(tmp_path, "missing")])
    assert merged == {
        "k": "b",
        "only_a": 1,
        "sidecar-errors": {"entry 2: run c": f"{c.metadata_file} does not hold a JSON object"},
    }


def _periodic_spec() -> JobSpec:
    return JobSpec.from_prowjob(load_prowjob("periodic"))


def _options(root: Path, out: Path, entries: list[WrapperOptions], **extra: Any) -> SidecarOptions:
    gcs = GCSUploadOptions(local_output_dir=str(out), items=[str(root / "artifacts")])
    return SidecarOptions(gcs_options=gcs, entries=entries, **extra)


def test_several_containers(tmp_path: Path) -> None:
    root, out = tmp_path / "logs", tmp_path / "out"
    (root / "artifacts" / "deep").mkdir(parents=True)
    (root / "artifacts" / "deep" / "report.txt").write_text("report\n")
    unit, lint = _entry(root, "unit"), _entry(root, "lint")
    Path(unit.process_log).write_text("unit output\n")
    Path(unit.marker_file).write_text("0")
    Path(lint.marker_file).write_text("2")
    result = sidecar(
        _periodic_spec(),
        _options(root, out, [unit, lint]),
        now=lambda: NOW,
        interrupted=lambda: False,
    )
    assert result == Outcome(passed=False, aborted=False, failures=1)
    run = out / RUN
    assert sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file()) == [
        "artifacts/deep/report.txt",
        "finished.json",
        "lint-build-log.txt",
        "unit-build-log.txt",
    ]
    assert (run / "unit-build-log.txt").read_text() == "unit output\n"
    assert (run / "lint-build-log.txt").read_text().startswith(f"Failed to open {lint.process_log}")
    finished = json.loads((run / "finished.json").read_text())
    assert finished == {"timestamp": int(NOW.timestamp()), "passed": False, "result": "FAILURE"}


def test_interrupt_uploads_early_then_waits(tmp_path: Path) -> None:
    root, out = tmp_path / "logs", tmp_path / "out"
    (root / "artifacts").mkdir(parents=True)
    entry = _entry(root, "test")
    Path(entry.process_log).write_text("still running\n")
    env = {
        **os.environ,
        "JOB_SPEC": _periodic_spec().to_json(),
        "SIDECAR_OPTIONS": _options(root, out, [entry]).encode(),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "minprow", "podutils", "sidecar"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    finished = out / RUN / "finished.json"
    try:
        assert proc.stderr is not None
        # Its signal handlers are in place once it says what it waits for.
        for line in proc.stderr:
            if "waiting for" in line:
                break
        proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 60
        while not finished.exists():
            assert proc.poll() is None
            assert time.monotonic() < deadline, "no early upload"
            time.sleep(0.05)
        assert json.loads(finished.read_text())["result"] == "ABORTED"
        assert (out / RUN / "build-log.txt").read_text() == "still running\n"
        Path(entry.marker_file).write_text("0")
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert json.loads(finished.read_text())["result"] == "SUCCESS"

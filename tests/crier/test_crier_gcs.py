"""The GCS reporter through crier: a finished decorated job's finished.json,
started.json and prowjob.json, in a GCS bucket (the emulator, the real client)
and a local directory; what the executor wrote is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from crier_helpers import make_job, running, set_state, settle
from fakes import VirtualClock

from minprow.crier import Crier
from minprow.crier.reporters.gcs import GCSReporter
from minprow.model import DecorationConfig, GCSConfiguration, ProwJob, ProwJobState
from minprow.podutils.gcspaths import job_path
from minprow.store import JobStore

S = ProwJobState


def decorated(name: str = "job-1", **gcs: Any) -> ProwJob:
    job = make_job(
        name,
        decoration_config=DecorationConfig(
            gcs_configuration=GCSConfiguration(path_strategy="explicit", **gcs)
        ),
    )
    job.status.build_id = "42"
    return job


class Local:
    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, path: str) -> bytes | None:
        target = self.root / path
        return target.read_bytes() if target.is_file() else None

    def write(self, path: str, data: bytes) -> None:
        (self.root / path).parent.mkdir(parents=True, exist_ok=True)
        (self.root / path).write_bytes(data)


class Bucket:
    def __init__(self, gcs: Any) -> None:
        self.gcs = gcs

    def read(self, path: str) -> bytes | None:
        blob = self.gcs.client.bucket(self.gcs.bucket).get_blob(path)
        return None if blob is None else bytes(blob.download_as_bytes())

    def write(self, path: str, data: bytes) -> None:
        self.gcs.client.bucket(self.gcs.bucket).blob(path).upload_from_string(data)


@pytest.fixture(params=["local", "gcs"])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, str], Any]:
    if request.param == "local":
        root = tmp_path / "out"
        return {"local_output_dir": str(root)}, Local(root)
    gcs = request.getfixturevalue("gcs")
    return {"bucket": f"gs://{gcs.bucket}"}, Bucket(gcs)


@pytest.mark.parametrize(
    ("final", "executor_wrote", "passed"),
    [
        (S.SUCCESS, False, True),
        (S.ABORTED, False, False),
        (S.FAILURE, True, None),
    ],
    ids=["crier-writes-all", "aborted-before-start", "executor-finished-json-kept"],
)
async def test_finished_job_metadata(
    store: JobStore,
    clock: VirtualClock,
    tmp_path: Path,
    place: tuple[dict[str, str], Any],
    final: ProwJobState,
    executor_wrote: bool,
    passed: bool | None,
) -> None:
    settings, where = place
    job = decorated(**settings)
    run_dir = job_path(job)
    if executor_wrote:
        where.write(f"{run_dir}/finished.json", b'{"passed":false,"result":"FAILURE"}')
        where.write(f"{run_dir}/started.json", b'{"timestamp":1}')
    reporter = GCSReporter(artifacts_dir=tmp_path / "default")
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(job)
        await settle(crier)
        assert where.read(f"{run_dir}/prowjob.json") is None  # not finished: nothing yet
        await set_state(store, "job-1", final)
        await settle(crier)
    finished = json.loads(where.read(f"{run_dir}/finished.json"))
    started = json.loads(where.read(f"{run_dir}/started.json"))
    prowjob = ProwJob.from_json(where.read(f"{run_dir}/prowjob.json"))
    assert prowjob.status.state is final
    if executor_wrote:
        assert finished == {"passed": False, "result": "FAILURE"}
        assert started == {"timestamp": 1}
    else:
        assert finished["passed"] is passed
        assert finished["result"] == str(final)
        assert finished["metadata"] == {"uploader": "crier"}
        assert started["metadata"] == {"uploader": "crier"}
        assert started["pull"] == "7"
    assert store.get("job-1").status.prev_report_states == {"gcsreporter": final}


@pytest.mark.parametrize(
    ("job", "recorded"),
    [
        (make_job(), None),
        (decorated(bucket="s3://elsewhere"), {"gcsreporter": S.SUCCESS}),
    ],
    ids=["undecorated-not-reported", "s3-bucket-permanent"],
)
async def test_jobs_the_gcs_reporter_cannot_serve(
    store: JobStore,
    clock: VirtualClock,
    tmp_path: Path,
    job: ProwJob,
    recorded: dict[str, ProwJobState] | None,
) -> None:
    reporter = GCSReporter(artifacts_dir=tmp_path / "default")
    async with running(Crier(store, [reporter], clock)) as crier:
        await store.create(job.model_copy(deep=True))
        await set_state(store, "job-1", S.SUCCESS)
        await settle(crier)
    assert store.get("job-1").status.prev_report_states == recorded
    assert clock.sleeps == []
    assert not (tmp_path / "default").exists()

"""started.json and finished.json as Prow writes them (Prow's initupload
`TestSpecToStarted` table, the sidecar's results), with testgrid's field names."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from minprow.model import ProwJob, Refs
from minprow.podutils import metadata
from minprow.podutils.clonerefs import CloneRecord
from tests.podutils.conftest import load_prowjob

NOW = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
STAMP = int(NOW.timestamp())
STARTED_FIELDS = {
    "timestamp",
    "node",
    "pull",
    "repos",
    "repo-commit",
    "metadata",
    "job-version",
    "repo-version",
}
FINISHED_FIELDS = {
    "timestamp",
    "passed",
    "metadata",
    "result",
    "job-version",
    "revision",
    "repo-version",
}

TEST_INFRA = {"org": "kubernetes", "repo": "test-infra", "base_ref": "master"}
RELEASE = {"org": "kubernetes", "repo": "release", "base_ref": "v1.10"}


def _job(refs: dict[str, Any] | None, extra: list[dict[str, Any]] | None = None) -> ProwJob:
    spec: dict[str, Any] = {"type": "periodic", "job": "j"}
    if refs is not None:
        spec["refs"] = refs
        spec["type"] = "presubmit" if refs.get("pulls") else "postsubmit"
    if extra is not None:
        spec["extra_refs"] = extra
    return ProwJob.from_wire({"spec": spec})


@pytest.mark.parametrize(
    ("job", "records", "expected"),
    [
        (
            _job(
                {
                    **TEST_INFRA,
                    "base_sha": "deadbeef",
                    "pulls": [{"number": 123, "author": "a", "sha": "abcd1234"}],
                }
            ),
            [],
            {
                "pull": "123",
                "repos": {"kubernetes/test-infra": "master:deadbeef,123:abcd1234"},
                "repo-commit": "abcd1234",
                "repo-version": "abcd1234",
            },
        ),
        (
            _job(TEST_INFRA),
            [],
            {
                "repos": {"kubernetes/test-infra": "master"},
                "repo-commit": "master",
                "repo-version": "master",
            },
        ),
        (
            _job({**TEST_INFRA, "base_sha": "deadbeef"}, [RELEASE]),
            [],
            {
                "repos": {
                    "kubernetes/release": "v1.10",
                    "kubernetes/test-infra": "master:deadbeef",
                },
                "repo-commit": "deadbeef",
                "repo-version": "deadbeef",
            },
        ),
        (
            _job(TEST_INFRA, [RELEASE]),
            [CloneRecord(refs=Refs(**TEST_INFRA), final_sha="aaaaaaaa")],
            {
                "repos": {"kubernetes/release": "v1.10", "kubernetes/test-infra": "master"},
                "repo-commit": "aaaaaaaa",
                "repo-version": "aaaaaaaa",
            },
        ),
        (
            _job(None, [RELEASE]),
            [CloneRecord(refs=Refs(**RELEASE), final_sha="aaaaaaaa")],
            {
                "repos": {"kubernetes/release": "v1.10"},
                "repo-commit": "aaaaaaaa",
                "repo-version": "aaaaaaaa",
            },
        ),
        (
            _job(None, [{**RELEASE, "auxiliary": True}, TEST_INFRA]),
            [],
            {
                "repos": {"kubernetes/release": "v1.10", "kubernetes/test-infra": "master"},
                "repo-commit": "master",
                "repo-version": "master",
            },
        ),
        (_job(None), [], {}),
    ],
    ids=[
        "refs-with-pull",
        "refs-with-base-ref-only",
        "refs-with-base-sha-and-extra-ref",
        "extra-ref-and-clone-record-final-sha",
        "only-extra-ref-and-clone-record-final-sha",
        "auxiliary-extra-ref-skipped",
        "no-refs",
    ],
)
def test_started_is_prows(
    job: ProwJob, records: list[CloneRecord], expected: dict[str, Any]
) -> None:
    data = metadata.started(job, NOW, records)
    assert data == {"timestamp": STAMP, **expected}
    assert set(data) <= STARTED_FIELDS


def test_started_json_text_is_gos() -> None:
    job = _job(
        {
            **TEST_INFRA,
            "base_sha": "deadbeef",
            "pulls": [{"number": 123, "author": "a", "sha": "abcd1234"}],
        },
        [RELEASE],
    )
    assert metadata.to_json(metadata.started(job, NOW)) == (
        f'{{"timestamp":{STAMP},"pull":"123",'
        '"repos":{"kubernetes/release":"v1.10","kubernetes/test-infra":"master:deadbeef,123:abcd1234"},'
        '"repo-commit":"abcd1234","repo-version":"abcd1234"}'
    )


def test_started_node_when_given() -> None:
    assert metadata.started(_job(None), NOW, node="laptop")["node"] == "laptop"


@pytest.mark.parametrize(
    ("exit_code", "passed", "result"),
    [
        (0, True, "SUCCESS"),
        (1, False, "FAILURE"),
        (130, False, "ABORTED"),
        (None, False, "FAILURE"),
    ],
    ids=["passed", "failed", "aborted", "no-exit-code"],
)
def test_finished_result(exit_code: int | None, passed: bool, result: str) -> None:
    job = load_prowjob("postsubmit")
    data = metadata.finished(job, NOW, exit_code=exit_code)
    assert data == {"timestamp": STAMP, "passed": passed, "result": result, "revision": "master"}
    assert set(data) <= FINISHED_FIELDS


def test_finished_json_text_is_gos() -> None:
    job = _job({**TEST_INFRA, "pulls": [{"number": 5, "author": "a", "sha": "5a5a"}]})
    data = metadata.finished(job, NOW, exit_code=0, metadata={"z": 1, "a": {"y": "<b>", "x": [2]}})
    assert metadata.to_json(data) == (
        f'{{"timestamp":{STAMP},"passed":true,'
        '"metadata":{"a":{"x":[2],"y":"\\u003cb\\u003e"},"z":1},'
        '"result":"SUCCESS","revision":"5a5a"}'
    )


def test_finished_without_refs_has_no_revision() -> None:
    data = metadata.finished(load_prowjob("periodic"), NOW, exit_code=2)
    assert data == {"timestamp": STAMP, "passed": False, "result": "FAILURE"}


def test_clone_failure_finished_is_inituploads() -> None:
    assert metadata.to_json(metadata.clone_failed(NOW)) == (
        f'{{"timestamp":{STAMP},"passed":false,"result":"FAILURE"}}'
    )


def test_prowjob_json_is_the_prowjob() -> None:
    job = load_prowjob("presubmit")
    text = metadata.prowjob_json(job)
    assert ProwJob.from_json(text) == job
    assert json.loads(text)["kind"] == "ProwJob"


def test_naive_now_is_utc() -> None:
    assert metadata.started(_job(None), NOW.replace(tzinfo=None))["timestamp"] == STAMP

"""podutils/localpod.py: `localize` as tables — a ProwJob's plan resolved for this
machine: env, missing objects, mounts, security, `$(VAR)` in command and args,
notes, hostPath checks and the jobs no machine can run
(fixtures/podutils/local/localpod.yaml)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_tables import params, table

from minprow.model import ProwJob
from minprow.podutils.downward import HostFacts
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.localpod import LocalizeError, localize
from minprow.podutils.localvolumes import LocalMount
from minprow.podutils.render import RunPlan, render
from tests.podutils.conftest import load_prowjob

TABLES = table("localpod.yaml")
HOST = HostFacts(**TABLES["host"])
SECRET_VALUES = [v for data in TABLES["objects"]["secrets"].values() for v in data.values()]


def _job(spec: dict[str, Any], *, decorated: bool) -> ProwJob:
    """The presubmit of fixtures/podutils/prowjobs.yaml with `spec` as its pod spec."""
    job = load_prowjob("presubmit")
    update: dict[str, Any] = {"pod_spec": spec}
    if not decorated:
        update["decoration_config"] = None
    return job.model_copy(update={"spec": job.spec.model_copy(update=update)})


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjects:
    for kind, named in TABLES["objects"].items():
        for name, data in named.items():
            (tmp_path / kind / name).mkdir(parents=True)
            for key, text in data.items():
                (tmp_path / kind / name / key).write_text(text)
    return LocalObjects(tmp_path / "secrets", tmp_path / "configmaps")


def _localize(case: dict[str, Any], objects: LocalObjects) -> RunPlan:
    job = _job(case["spec"], decorated=bool(case.get("decorated")))
    return localize(render(job), objects, HOST)


@pytest.mark.parametrize("case", params(TABLES["plans"]))
def test_localized_plans(objects: LocalObjects, case: dict[str, Any]) -> None:
    plan = _localize(case, objects)
    containers = {c.name: c for c in plan.containers}
    for name, env in (case.get("env") or {}).items():
        assert {k: containers[name].env.get(k) for k in env} == env
    for name, unset in (case.get("unset") or {}).items():
        assert [k for k in unset if k in containers[name].env] == []
    for name, secret in (case.get("secret_env") or {}).items():
        assert containers[name].secret_env == frozenset(secret)
    for name, argv in (case.get("argv") or {}).items():
        assert containers[name].argv == argv
    for name, mounts in (case.get("mounts") or {}).items():
        assert list(containers[name].mounts) == [LocalMount(*m) for m in mounts]
    for name, expected in (case.get("security") or {}).items():
        security = containers[name].security
        assert security is not None
        actual = {k: getattr(security, k) for k in expected}
        assert actual == {k: tuple(v) if isinstance(v, list) else v for k, v in expected.items()}
    folders = {"secrets": objects.secrets_dir, "configmaps": objects.configmaps_dir}
    assert list(plan.missing) == [m.format(**folders) for m in case.get("missing") or []]
    assert list(plan.notes) == (case.get("notes") or [])
    said = [*plan.missing, *plan.notes, *(v.describe for v in plan.volumes)]
    assert not [v for v in SECRET_VALUES for line in said if v in line]


@pytest.fixture
def host_paths(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A directory, a file and a listening socket on this machine, and a path that is not there."""
    (tmp_path / "file").write_text("x")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(tmp_path / "sock"))
    try:
        yield {
            "dir": str(tmp_path),
            "file": str(tmp_path / "file"),
            "socket": str(tmp_path / "sock"),
            "absent": str(tmp_path / "absent"),
        }
    finally:
        listener.close()


@pytest.mark.parametrize("case", params(TABLES["host_paths"]))
def test_host_paths_checked_as_the_kubelet_checks_their_type(
    objects: LocalObjects, host_paths: dict[str, str], case: dict[str, Any]
) -> None:
    path = case["path"].format(**host_paths)
    spec = {
        "containers": [{"name": "test", "image": "alpine"}],
        "volumes": [{"name": "h", "hostPath": {"path": path, "type": case["type"]}}],
    }
    plan = _localize({"spec": spec}, objects)
    expected = (
        [f"volume 'h' needs {path} on this machine to be {case['missing']} "
         f"(hostPath type {case['type']})"]
        if "missing" in case
        else []
    )  # fmt: skip
    assert list(plan.missing) == expected


@pytest.mark.parametrize("case", params(TABLES["errors"]))
def test_jobs_no_machine_can_run(objects: LocalObjects, case: dict[str, Any]) -> None:
    job = _job(case["spec"], decorated=False)
    with pytest.raises(LocalizeError) as raised:
        localize(render(job), objects, HOST)
    prefix = f"ProwJob {job.metadata.name} ({job.spec.job}): "
    assert str(raised.value).startswith(prefix)
    assert case["error"] in str(raised.value)


def test_a_localized_plan_is_localized_once(objects: LocalObjects) -> None:
    plan = _localize(TABLES["plans"][0], objects)
    assert plan.localized
    assert localize(plan, objects, HOST) is plan

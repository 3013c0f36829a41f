"""A decorated pod's flow end to end, with the real `minprow podutils ...` commands.

The pod comes from `pod_for`; every container then runs as its own subprocess
with the env the pod gives it, on one directory standing in for the pod's
volumes (`/logs`, `/home/prow/go`, `/tools` moved under it): clonerefs against
a real git remote, initupload, place-entrypoint, the test container through
the placed wrapper (under /bin/sh) while the sidecar waits, then the bucket of
the GCS emulator is checked against Prow's layout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from minprow.model import DecorationConfig, ProwJob
from minprow.podutils.podspec import pod_for
from minprow.podutils.render import render
from tests.conftest import GCS
from tests.podutils.conftest import Remote, load_prowjob, with_refs

RUN = "pr-logs/pull/acme_widget/1/pull-widget-unit/1861000000000000001"
MARKERS = {
    "pr-logs/directory/pull-widget-unit/latest-build.txt",
    "pr-logs/pull/acme_widget/1/pull-widget-unit/latest-build.txt",
    "pr-logs/directory/pull-widget-unit/1861000000000000001.txt",
}
TEST_SCRIPT = """
set -e
echo "testing in $(pwd)"
cat README
test -f one.txt
echo '{"version": "v1.2.3", "nested": {"k": 1}}' > "$ARTIFACTS/metadata.json"
mkdir -p "$ARTIFACTS/junit"
echo '<testsuite/>' > "$ARTIFACTS/junit/junit_01.xml"
exit "$EXIT_WITH"
"""


@dataclass(frozen=True)
class Flow:
    script: str = TEST_SCRIPT
    exit_with: str = "0"
    decoration: dict[str, Any] = field(default_factory=dict)
    bad_pull: bool = False


@dataclass
class Pod:
    """The rendered pod and the directory standing in for its volumes."""

    manifest: dict[str, Any]
    root: Path

    def move(self, text: str) -> str:
        for mount, sub in (("/home/prow/go", "code"), ("/logs", "logs"), ("/tools", "tools")):
            text = text.replace(f'"{mount}', f'"{self.root / sub}')
            if text == mount or text.startswith(mount + "/"):
                text = str(self.root / sub) + text[len(mount) :]
        return text

    def container(self, name: str) -> dict[str, Any]:
        spec = self.manifest["spec"]
        return next(c for c in [*spec["initContainers"], *spec["containers"]] if c["name"] == name)

    def env(self, name: str, **extra: str) -> dict[str, str]:
        container = self.container(name)
        own = {e["name"]: self.move(e["value"]) for e in container.get("env") or []}
        return {**os.environ, **own, **extra}

    def argv(self, name: str) -> list[str]:
        container = self.container(name)
        words = [*container.get("command", []), *container.get("args", [])]
        if words[:2] == ["minprow", "podutils"]:
            words = [sys.executable, "-m", "minprow", *words[1:]]
        return [self.move(w) for w in words]

    def run(self, name: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(name),
            env=self.env(name, **extra),
            capture_output=True,
            text=True,
            timeout=120,
        )


def _job(remote: Remote, gcs: GCS, flow: Flow) -> ProwJob:
    job = load_prowjob("presubmit")
    refs = remote.refs(1)
    if flow.bad_pull:
        refs = refs.model_copy(
            update={"pulls": [refs.pulls[0].model_copy(update={"sha": "f" * 40})]}
        )  # type: ignore[index]
    job = with_refs(job, refs)
    assert job.spec.decoration_config is not None
    data = job.spec.decoration_config.model_dump(exclude_none=True)
    data["gcs_configuration"]["bucket"] = f"gs://{gcs.bucket}"
    decoration = DecorationConfig.model_validate({**data, **flow.decoration})
    pod_spec = {"containers": [{"image": "busybox", "command": ["sh", "-c", flow.script]}]}
    spec = job.spec.model_copy(update={"decoration_config": decoration, "pod_spec": pod_spec})
    return job.model_copy(update={"spec": spec})


def _pod(job: ProwJob, tmp_path: Path) -> Pod:
    pod = Pod(
        pod_for(job, render(job), podutils_image="minprow:test", namespace="pods"), tmp_path / "pod"
    )
    for sub in ("code", "logs", "tools"):
        (pod.root / sub).mkdir(parents=True)
    return pod


def _json(gcs: GCS, name: str) -> Any:
    return json.loads(gcs.blob(name).download_as_bytes())


def _run_test_with_sidecar(
    pod: Pod, exit_with: str
) -> tuple[subprocess.CompletedProcess[str], str]:
    # As in a pod, the sidecar runs alongside the test container and waits for its marker.
    sidecar = subprocess.Popen(
        pod.argv("sidecar"), env=pod.env("sidecar"), stderr=subprocess.PIPE, text=True
    )
    test = subprocess.run(
        ["/bin/sh", *pod.argv("test")],
        env=pod.env("test", EXIT_WITH=exit_with),
        cwd=pod.move(pod.container("test")["workingDir"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    _, sidecar_err = sidecar.communicate(timeout=120)
    assert sidecar.returncode == 0, sidecar_err
    return test, sidecar_err


FLOWS = [
    pytest.param(Flow(), 0, "SUCCESS", id="passes"),
    pytest.param(Flow(exit_with="3"), 3, "FAILURE", id="fails"),
    pytest.param(
        Flow(script="echo slow; sleep 30", decoration={"timeout": "1s", "grace_period": "1s"}),
        127,
        "FAILURE",
        id="times-out",
    ),
]


@pytest.mark.parametrize(("flow", "code", "result"), FLOWS)
def test_decorated_pod_flow(
    flow: Flow, code: int, result: str, remote: Remote, gcs: GCS, tmp_path: Path
) -> None:
    job = _job(remote, gcs, flow)
    pod = _pod(job, tmp_path)
    for name in ("clonerefs", "initupload", "place-entrypoint"):
        done = pod.run(name)
        assert done.returncode == 0, (name, done.stderr)
    checkout = pod.root / "code" / "src" / "github.com" / "acme" / "widget"
    assert (checkout / "one.txt").is_file()

    test, _ = _run_test_with_sidecar(pod, flow.exit_with)
    assert test.returncode == code, test.stdout
    assert (pod.root / "logs" / "marker-file.txt").read_text() == str(code)

    artifacts = {f"{RUN}/artifacts/metadata.json", f"{RUN}/artifacts/junit/junit_01.xml"}
    assert gcs.names() == {
        f"{RUN}/started.json",
        f"{RUN}/clone-log.txt",
        f"{RUN}/clone-records.json",
        f"{RUN}/build-log.txt",
        f"{RUN}/finished.json",
        *MARKERS,
        *(artifacts if flow.script == TEST_SCRIPT else ()),
    }
    records = _json(gcs, f"{RUN}/clone-records.json")
    started = _json(gcs, f"{RUN}/started.json")
    assert started["pull"] == "1"
    assert started["repo-commit"] == records[0]["final_sha"]
    assert started["repos"] == {"acme/widget": f"master,1:{remote.pulls[1]}"}
    finished = _json(gcs, f"{RUN}/finished.json")
    assert finished["result"] == result
    assert finished["passed"] is (result == "SUCCESS")
    assert finished["revision"] == remote.pulls[1]
    build_log = gcs.blob(f"{RUN}/build-log.txt").download_as_bytes().decode()
    if flow.script == TEST_SCRIPT:
        assert finished["metadata"] == {"nested": {"k": 1}, "version": "v1.2.3"}
        assert f"testing in {checkout}" in build_log
        assert "widget, second edition" in build_log
    else:
        assert "metadata" not in finished
        assert "Process did not finish before 1s timeout" in build_log


def test_failed_clone_is_uploaded_by_initupload(remote: Remote, gcs: GCS, tmp_path: Path) -> None:
    pod = _pod(_job(remote, gcs, Flow(bad_pull=True)), tmp_path)
    clonerefs = pod.run("clonerefs")
    # Prow's clonerefs without `fail` exits 0 so that initupload reports the failure.
    assert clonerefs.returncode == 0, clonerefs.stderr
    records = json.loads((pod.root / "logs" / "clone.json").read_text())
    assert records[0]["failed"] is True
    initupload = pod.run("initupload")
    assert initupload.returncode == 1
    assert "cloning the appropriate refs failed" in initupload.stderr
    assert gcs.names() == {
        f"{RUN}/started.json",
        f"{RUN}/clone-log.txt",
        f"{RUN}/clone-records.json",
        f"{RUN}/build-log.txt",
        f"{RUN}/finished.json",
        *MARKERS,
    }
    finished = _json(gcs, f"{RUN}/finished.json")
    assert (finished["passed"], finished["result"]) == (False, "FAILURE")
    assert "# FAILED" in gcs.blob(f"{RUN}/build-log.txt").download_as_bytes().decode()


@pytest.mark.parametrize(
    ("command", "variable"),
    [
        ("clonerefs", "CLONEREFS_OPTIONS"),
        ("initupload", "INITUPLOAD_OPTIONS"),
        ("sidecar", "SIDECAR_OPTIONS"),
    ],
    ids=["clonerefs", "initupload", "sidecar"],
)
def test_commands_without_options_fail(command: str, variable: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != variable}
    env["JOB_SPEC"] = '{"type":"periodic","job":"j","buildid":"1","prowjobid":"p"}'
    done = subprocess.run(
        [sys.executable, "-m", "minprow", "podutils", command],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert f"${variable} is unset" in done.stderr


def test_periodic_without_clone(gcs: GCS, tmp_path: Path) -> None:
    job = load_prowjob("periodic")
    assert job.spec.decoration_config is not None
    data = job.spec.decoration_config.model_dump(exclude_none=True)
    data["gcs_configuration"]["bucket"] = gcs.bucket
    spec = job.spec.model_copy(update={"decoration_config": DecorationConfig.model_validate(data)})
    pod = Pod(
        pod_for(
            job.model_copy(update={"spec": spec}), render(job), podutils_image="m", namespace="p"
        ),
        tmp_path / "pod",
    )
    for sub in ("logs", "tools"):
        (pod.root / sub).mkdir(parents=True)
    assert [c["name"] for c in pod.manifest["spec"]["initContainers"]] == [
        "initupload",
        "place-entrypoint",
    ]
    for name in ("initupload", "place-entrypoint"):
        done = pod.run(name)
        assert done.returncode == 0, (name, done.stderr)
    sidecar = subprocess.Popen(pod.argv("sidecar"), env=pod.env("sidecar"))
    test = subprocess.run(
        ["/bin/sh", *pod.argv("test")], env=pod.env("test"), capture_output=True, text=True
    )
    assert sidecar.wait(timeout=120) == 0
    assert test.returncode == 0, test.stdout
    run = "logs/ci-widget-nightly/1861000000000000003"
    assert gcs.names() == {
        f"{run}/started.json",
        f"{run}/build-log.txt",
        f"{run}/finished.json",
        "logs/ci-widget-nightly/latest-build.txt",
    }
    # A periodic without refs: started.json holds only its timestamp.
    assert set(_json(gcs, f"{run}/started.json")) == {"timestamp"}
    assert _json(gcs, f"{run}/finished.json")["result"] == "SUCCESS"

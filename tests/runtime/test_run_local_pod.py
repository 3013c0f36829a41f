"""`minprow run` of a job built from Kubernetes' own presets, in the real Docker engine.

The presets are test-infra's, copied as they are (fixtures/run/test-infra): a
service-account Secret volume, docker-in-docker emptyDirs and a /lib/modules
hostPath, the kind cgroup hostPath, and the label-less preset every one of its
jobs carries, `AWS_ROLE_SESSION_NAME` from `fieldRef: metadata.name`. The job
prints what it sees from inside its container (fixtures/run/test-infra/check.sh)
and the test compares it with what the pod Prow would create would see.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import docker
import pytest
import yaml
from runtime_helpers import make_remote, run_job

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "run" / "test-infra"
CONFIG = FIXTURES / "config.yaml"
SECRET = b'{"type": "service_account", "private_key": "not-a-real-key"}\n'
TOKEN = "a-token-from-a-local-folder"
DIND_VOLUMES = {
    # What preset-dind-enabled gives, without its /lib/modules hostPath (see
    # test_a_missing_host_path_stops_the_run_before_it_starts).
    "volumes": [
        {"name": "docker-graph", "emptyDir": {}},
        {"name": "docker-root", "emptyDir": {}},
    ],
    "volumeMounts": [
        {"name": "docker-graph", "mountPath": "/docker-graph"},
        {"name": "docker-root", "mountPath": "/var/lib/docker"},
    ],
}


def _job(clone_uri: str, image: str, labels: dict[str, str], **container: Any) -> dict[str, Any]:
    script = (FIXTURES / "check.sh").read_text()
    spec_container: dict[str, Any] = {
        "image": image,
        "command": ["sh", "-c", script],
        "env": [
            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "gh-token", "key": "token"}}},
            {
                "name": "CPU_LIMIT",
                "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu", "divisor": "1m"}},
            },
        ],
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
        **container,
    }
    spec: dict[str, Any] = {"containers": [spec_container]}
    if "preset-dind-enabled" not in labels:
        spec_container.setdefault("volumeMounts", []).extend(DIND_VOLUMES["volumeMounts"])
        spec["volumes"] = list(DIND_VOLUMES["volumes"])
    return {
        "presubmits": {
            "kubernetes/test-infra": [
                {
                    "name": "pull-test-infra-local-pod",
                    "cluster": "k8s-infra-prow-build",
                    "always_run": True,
                    "decorate": True,
                    "path_alias": "k8s.io/test-infra",
                    "clone_uri": clone_uri,
                    "labels": labels,
                    "spec": spec,
                }
            ]
        }
    }


def _secrets(root: Path) -> Path:
    (root / "service-account").mkdir(parents=True)
    (root / "service-account" / "service-account.json").write_bytes(SECRET)
    (root / "gh-token").mkdir()
    (root / "gh-token" / "token").write_text(TOKEN)
    return root


def _run(
    tmp_path: Path, job: dict[str, Any], secrets: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`minprow run` of the test's job, pull request 7, on the docker executor."""
    return run_job(
        tmp_path, "pull-test-infra-local-pod", "--config-path", CONFIG,
        "--job-config-path", _write_jobs(tmp_path, job), "--pull-number", "7",
        "--state-dir", tmp_path / "state", "--executor", "docker",
        "--secrets-dir", secrets or _secrets(tmp_path / "secrets"), timeout=180,
    )  # fmt: skip


def _facts(stdout: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


def _engine_allows_privileged(client: docker.DockerClient, image: str) -> str | None:
    """None when the engine runs privileged containers, else its refusal."""
    # Not `containers.run(remove=True)`: a container that fails to start is never
    # removed by it, and would keep the test image from being removed.
    container = client.containers.create(image, ["true"], privileged=True)
    try:
        container.start()
        container.wait(timeout=30)
    except docker.errors.APIError as err:
        return str(err.explanation or err)
    finally:
        container.remove(force=True)
    return None


LABELS = {"preset-service-account": "true", "preset-kind-volume-mounts": "true"}


def _write_jobs(tmp_path: Path, job: dict[str, Any]) -> Path:
    path = tmp_path / "jobs.yaml"
    path.write_text(yaml.safe_dump(job))
    return path


def test_a_job_from_test_infras_presets_sees_what_it_would_in_ci(
    busybox_image: str, tmp_path: Path
) -> None:
    bare, _, _ = make_remote(tmp_path)
    done = _run(tmp_path, _job(bare.as_uri(), busybox_image, LABELS))
    assert done.returncode == 0, done.stderr
    facts = _facts(done.stdout)
    prowjob = json.loads(next((tmp_path / "artifacts").rglob("prowjob.json")).read_text())
    assert facts["session"] == prowjob["metadata"]["name"]
    assert facts["pwd"] == "/home/prow/go/src/k8s.io/test-infra"  # path_alias
    assert facts["checkout"] == "from the pull request"
    assert facts["credentials"] == "/etc/service-account/service-account.json"
    assert facts["secret-sha"] == hashlib.sha256(SECRET).hexdigest()
    assert facts["token-sha"] == hashlib.sha256(TOKEN.encode()).hexdigest()
    assert facts["secret-volume"] == "read-only"
    assert facts["emptydirs"] == "writable"
    assert facts["cgroup"] != "0 entries"
    assert facts["cpus"] == "500"  # limits.cpu 500m with divisor 1m
    assert TOKEN not in done.stderr
    assert SECRET.decode() not in done.stderr


def test_a_job_runs_as_the_user_its_security_context_names(
    busybox_image: str, tmp_path: Path
) -> None:
    bare, _, _ = make_remote(tmp_path)
    security = {"securityContext": {"runAsUser": 2001, "allowPrivilegeEscalation": False}}
    job = _job(bare.as_uri(), busybox_image, LABELS, **security)
    job["presubmits"]["kubernetes/test-infra"][0]["spec"]["securityContext"] = {"fsGroup": 2010}
    # The checkout stays writable for that uid, as Prow's emptyDirs are.
    container = job["presubmits"]["kubernetes/test-infra"][0]["spec"]["containers"][0]
    container["command"][2] += 'touch "$PWD/written" && echo "checkout=writable"\n'
    done = _run(tmp_path, job)
    assert done.returncode == 0, done.stderr
    assert "uid=2001" in done.stdout
    assert "checkout=writable" in done.stdout


def test_a_privileged_job_is_privileged_where_the_engine_allows_it(
    busybox_image: str, docker_client: docker.DockerClient, tmp_path: Path
) -> None:
    bare, _, _ = make_remote(tmp_path)
    job = _job(bare.as_uri(), busybox_image, LABELS, securityContext={"privileged": True})
    done = _run(tmp_path, job)
    refusal = _engine_allows_privileged(docker_client, busybox_image)
    if refusal is None:
        assert done.returncode == 0, done.stderr
        # Every capability: what a privileged container has.
        assert int(_facts(done.stdout)["capeff"], 16) >= 0x1FFFFFFFFF
    else:
        # An engine that cannot run it (this one runs inside a container) says why.
        assert done.returncode != 0
        assert "pull-test-infra-local-pod" in done.stderr
        assert refusal.split(":")[-1].strip() in done.stderr


def test_a_missing_host_path_stops_the_run_before_it_starts(
    busybox_image: str, tmp_path: Path
) -> None:
    if Path("/lib/modules").is_dir():
        pytest.skip("this machine has /lib/modules: preset-dind-enabled's hostPath is there")
    bare, _, _ = make_remote(tmp_path)
    labels = {**LABELS, "preset-dind-enabled": "true"}
    job = _job(bare.as_uri(), busybox_image, labels)
    done = _run(tmp_path, job, secrets=tmp_path / "no-secrets")
    assert done.returncode == 1
    lines = [line.strip() for line in done.stderr.splitlines() if line.startswith("  ")]
    assert lines == [
        f"volume 'service' needs secret 'service-account': make the folder "
        f"{tmp_path / 'no-secrets' / 'service-account'} with one file per key",
        f"container 'test': env 'TOKEN' needs key 'token' of secret 'gh-token': put it in "
        f"{tmp_path / 'no-secrets' / 'gh-token' / 'token'}",
        "volume 'modules' needs /lib/modules on this machine to be a directory "
        "(hostPath type Directory)",
    ]
    assert not (tmp_path / "artifacts").exists()  # nothing started

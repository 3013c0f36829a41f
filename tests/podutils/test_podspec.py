"""pod_for: the pods Prow's plank creates (pkg/pod-utils/decorate/podspec.go), as
tables of what each job's pod must hold, and every pod read back by the
kubernetes client's own V1Pod model."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from kubernetes.client import ApiClient, V1Pod

from minprow.model import DecorationConfig, ProwJob, Pull, Refs
from minprow.model.decoration import Resources
from minprow.podutils.podspec import pod_for
from minprow.podutils.render import render
from tests.podutils.conftest import load_prowjob

IMAGE = "registry.example/minprow:v1"
SHA = "9f1c2e3d4b5a69788796a5b4c3d2e1f009182736"


def _decorated(job: ProwJob, **fields: Any) -> ProwJob:
    decoration = job.spec.decoration_config or DecorationConfig()
    spec = job.spec.model_copy(update={"decoration_config": decoration.model_copy(update=fields)})
    return job.model_copy(update={"spec": spec})


def _spec(job: ProwJob, **fields: Any) -> ProwJob:
    return job.model_copy(update={"spec": job.spec.model_copy(update=fields)})


def _presubmit() -> ProwJob:
    job = load_prowjob("presubmit")
    assert job.spec.refs is not None
    refs = job.spec.refs.model_copy(
        update={"pulls": [Pull(number=1, author="alice", sha=SHA, title="Fix it")]}
    )
    return _spec(job, refs=refs)


def _pod(job: ProwJob) -> dict[str, Any]:
    return pod_for(job, render(job), podutils_image=IMAGE, namespace="test-pods")


def _container(pod: dict[str, Any], name: str, *, init: bool = False) -> dict[str, Any]:
    key = "initContainers" if init else "containers"
    return next(c for c in pod["spec"][key] if c["name"] == name)


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env") or []}


def _names(items: list[dict[str, Any]] | None) -> list[str]:
    return [i["name"] for i in items or []]


CASES: list[tuple[str, Callable[[], ProwJob], dict[str, Any]]] = [
    (
        "presubmit",
        _presubmit,
        {
            "init": ["clonerefs", "initupload", "place-entrypoint"],
            "containers": ["test", "sidecar"],
            "volumes": ["logs", "tools", "clonerefs-tmp", "code"],
            "workdir": "/home/prow/go/src/github.com/acme/widget",
            "grace": 18,
            "labels": {
                "created-by-prow": "true",
                "prow.k8s.io/type": "presubmit",
                "prow.k8s.io/job": "pull-widget-unit",
                "prow.k8s.io/context": "pull-widget-unit",
                "prow.k8s.io/id": "0c3b6f2e-5a1d-4c8e-9f7a-2b4d6e8f0a13",
                "prow.k8s.io/build-id": "1861000000000000001",
                "prow.k8s.io/refs.org": "acme",
                "prow.k8s.io/refs.repo": "widget",
                "prow.k8s.io/refs.base_ref": "master",
                "prow.k8s.io/refs.pull": "1",
            },
            "entrypoint": (
                '{"timeout":3600000000000,"grace_period":15000000000,'
                '"artifact_dir":"/logs/artifacts","args":["sh","-c","make test"],'
                '"container_name":"test","process_log":"/logs/process-log.txt",'
                '"marker_file":"/logs/marker-file.txt",'
                '"metadata_file":"/logs/artifacts/metadata.json"}'
            ),
            "sidecar": (
                '{"gcs_options":{"items":["/logs/artifacts"],"bucket":"acme-logs",'
                '"path_strategy":"explicit","dry_run":false},'
                '"entries":[{"args":["sh","-c","make test"],"container_name":"test",'
                '"process_log":"/logs/process-log.txt","marker_file":"/logs/marker-file.txt",'
                '"metadata_file":"/logs/artifacts/metadata.json"}],"censoring_options":{}}'
            ),
            "initupload": (
                '{"bucket":"acme-logs","path_strategy":"explicit","dry_run":false,'
                '"log":"/logs/clone.json"}'
            ),
        },
    ),
    (
        "postsubmit-extra-refs-path-alias-workdir",
        lambda: _spec(
            load_prowjob("postsubmit"),
            extra_refs=[
                Refs(
                    org="acme",
                    repo="tools",
                    base_ref="main",
                    path_alias="acme.dev/tools",
                    workdir=True,
                )
            ],
        ),
        {
            "init": ["clonerefs", "initupload", "place-entrypoint"],
            "containers": ["test", "sidecar"],
            "volumes": ["logs", "tools", "clonerefs-tmp", "code"],
            "workdir": "/home/prow/go/src/acme.dev/tools",
            "grace": None,
            "labels": {"prow.k8s.io/type": "postsubmit", "prow.k8s.io/refs.repo": "widget"},
            "entrypoint": (
                '{"timeout":0,"grace_period":0,"artifact_dir":"/logs/artifacts",'
                '"args":["make","build"],"container_name":"test",'
                '"process_log":"/logs/process-log.txt","marker_file":"/logs/marker-file.txt",'
                '"metadata_file":"/logs/artifacts/metadata.json"}'
            ),
        },
    ),
    (
        "periodic-skip-cloning",
        lambda: load_prowjob("periodic"),
        {
            "init": ["initupload", "place-entrypoint"],
            "containers": ["test", "sidecar"],
            "volumes": ["logs", "tools"],
            "workdir": None,
            "grace": None,
            "labels": {"prow.k8s.io/type": "periodic", "prow.k8s.io/job": "ci-widget-nightly"},
            "initupload": '{"bucket":"acme-logs","path_strategy":"explicit","dry_run":false}',
        },
    ),
    (
        "undecorated",
        lambda: _spec(_presubmit(), decoration_config=None),
        {
            "init": [],
            "containers": ["test"],
            "volumes": [],
            "workdir": None,
            "grace": None,
            "labels": {"prow.k8s.io/refs.pull": "1"},
        },
    ),
    (
        "credentials-and-secrets",
        lambda: _decorated(
            _presubmit(),
            gcs_credentials_secret="gcs-sa",
            ssh_key_secrets=["ssh-a"],
            oauth_token_secret={"name": "oauth", "key": "token"},
            default_service_account_name="prowjob-sa",
        ),
        {
            "init": ["clonerefs", "initupload", "place-entrypoint"],
            "containers": ["test", "sidecar"],
            "volumes": [
                "logs",
                "tools",
                "gcs-credentials",
                "ssh-keys-ssh-a",
                "oauth",
                "clonerefs-tmp",
                "code",
            ],
            "workdir": "/home/prow/go/src/github.com/acme/widget",
            "grace": 18,
            "labels": {"prow.k8s.io/type": "presubmit"},
        },
    ),
]


@pytest.mark.parametrize(("make", "want"), [(m, w) for _, m, w in CASES], ids=[c[0] for c in CASES])
def test_pod_for(make: Callable[[], ProwJob], want: dict[str, Any]) -> None:
    job = make()
    pod = _pod(job)
    spec = pod["spec"]
    assert pod["metadata"]["name"] == job.metadata.name
    assert pod["metadata"]["namespace"] == "test-pods"
    assert pod["metadata"]["labels"].items() >= want["labels"].items()
    assert pod["metadata"]["annotations"]["prow.k8s.io/job"] == job.spec.job
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False or spec.get("serviceAccountName")
    assert _names(spec.get("initContainers")) == want["init"]
    assert _names(spec["containers"]) == want["containers"]
    assert _names(spec.get("volumes")) == want["volumes"]
    assert spec.get("terminationGracePeriodSeconds") == want["grace"]
    test = _container(pod, "test")
    assert test.get("workingDir") == want["workdir"]
    env = _env(test)
    assert env["JOB_NAME"] == job.spec.job
    assert env["PROW_JOB_ID"] == job.metadata.name
    assert json.loads(env["JOB_SPEC"])["buildid"] == job.status.build_id
    for container in [*spec.get("initContainers", []), *spec["containers"]]:
        assert container["terminationMessagePolicy"] == "FallbackToLogsOnError"
    if not want["init"]:
        assert test["command"] == job.spec.pod_spec["containers"][0]["command"]  # type: ignore[index]
        assert "ARTIFACTS" not in env
        return
    assert test["command"] == ["/tools/entrypoint"]
    assert "args" not in test
    assert (env["ARTIFACTS"], env["GOPATH"]) == ("/logs/artifacts", "/home/prow/go")
    mounts = _names(test["volumeMounts"])
    assert mounts == ["logs", "tools", *(["code"] if want["workdir"] else [])]
    for name in [*want["init"], "sidecar"]:
        utility = _container(pod, name, init=name != "sidecar")
        assert utility["image"] == IMAGE
        assert utility["command"] == ["minprow", "podutils", name]
    if "entrypoint" in want:
        assert env["ENTRYPOINT_OPTIONS"] == want["entrypoint"]
    if "sidecar" in want:
        sidecar_env = _env(_container(pod, "sidecar"))
        assert list(sidecar_env) == ["JOB_SPEC", "SIDECAR_OPTIONS"]
        assert sidecar_env["SIDECAR_OPTIONS"] == want["sidecar"]
    if "initupload" in want:
        assert (
            _env(_container(pod, "initupload", init=True))["INITUPLOAD_OPTIONS"]
            == want["initupload"]
        )


def test_pod_is_a_valid_v1pod() -> None:
    for _, make, _want in CASES:
        data = _pod(make())
        # The client's own deserializer: a field it does not know is dropped, so
        # the round trip must give back what went in.
        pod = ApiClient()._ApiClient__deserialize(data, "V1Pod")  # type: ignore[attr-defined]
        assert isinstance(pod, V1Pod)
        assert ApiClient().sanitize_for_serialization(pod) == data


def test_clonerefs_options_and_secret_mounts() -> None:
    job = _decorated(
        _presubmit(),
        ssh_key_secrets=["ssh-a"],
        oauth_token_secret={"name": "oauth", "key": "token"},
        ssh_host_fingerprints=["github.com ssh-rsa AAA"],
        cookiefile_secret="cookies/jar",
    )
    pod = _pod(job)
    clonerefs = _container(pod, "clonerefs", init=True)
    options = json.loads(_env(clonerefs)["CLONEREFS_OPTIONS"])
    assert list(options)[:5] == ["src_root", "log", "git_user_name", "git_user_email", "refs"]
    assert options["src_root"] == "/home/prow/go"
    assert options["log"] == "/logs/clone.json"
    assert options["key_files"] == ["/secrets/ssh/ssh-a"]
    assert options["oauth_token_file"] == "/secrets/oauth/token"
    assert options["host_fingerprints"] == ["github.com ssh-rsa AAA"]
    assert options["cookie_path"] == "/secrets/cookiefile/jar"
    assert options["github_api_endpoints"] == ["https://api.github.com"]
    assert options["refs"][0]["pulls"][0]["sha"] == SHA
    assert clonerefs["args"] == ["--cookiefile=/secrets/cookiefile/jar"]
    assert [(m["name"], m["mountPath"]) for m in clonerefs["volumeMounts"]] == [
        ("logs", "/logs"),
        ("code", "/home/prow/go"),
        ("ssh-keys-ssh-a", "/secrets/ssh/ssh-a"),
        ("oauth", "/secrets/oauth"),
        ("clonerefs-tmp", "/tmp"),
        ("cookiefile", "/secrets/cookiefile"),
    ]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["ssh-keys-ssh-a"]["secret"] == {"secretName": "ssh-a", "defaultMode": 0o400}
    assert volumes["oauth"]["secret"]["items"] == [{"key": "token", "path": "./token"}]


def test_several_containers_get_prefixed_logs_and_markers() -> None:
    job = _presubmit()
    assert job.spec.pod_spec is not None
    pod_spec = {
        "containers": [
            {"name": "unit", "image": "alpine", "command": ["make", "unit"]},
            {"name": "lint", "image": "alpine", "args": ["lint"]},
        ]
    }
    pod = _pod(_spec(job, pod_spec=pod_spec))
    assert _names(pod["spec"]["containers"]) == ["unit", "lint", "sidecar"]
    sidecar = json.loads(_env(_container(pod, "sidecar"))["SIDECAR_OPTIONS"])
    assert [
        (e["container_name"], e["process_log"], e["marker_file"], e["metadata_file"])
        for e in sidecar["entries"]
    ] == [
        (
            "unit",
            "/logs/unit-log.txt",
            "/logs/unit-marker.txt",
            "/logs/artifacts/unit-metadata.json",
        ),
        (
            "lint",
            "/logs/lint-log.txt",
            "/logs/lint-marker.txt",
            "/logs/artifacts/lint-metadata.json",
        ),
    ]
    lint = json.loads(_env(_container(pod, "lint"))["ENTRYPOINT_OPTIONS"])
    assert lint["args"] == ["lint"]


def test_decoration_settings_reach_the_pod() -> None:
    job = _decorated(
        _presubmit(),
        grace_period=timedelta(seconds=40),
        run_as_user=1000,
        fs_group=2000,
        default_memory_request="1Gi",
        set_limit_equals_memory_request=True,
        upload_ignores_interrupts=True,
        resources=Resources(sidecar={"requests": {"cpu": "100m"}}),
    )
    pod = _pod(job)
    spec = pod["spec"]
    assert spec["terminationGracePeriodSeconds"] == 50
    assert spec["securityContext"] == {"runAsUser": 1000, "fsGroup": 2000}
    test = _container(pod, "test")
    assert test["resources"] == {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    sidecar = _container(pod, "sidecar")
    assert sidecar["resources"] == {"requests": {"cpu": "100m"}}
    assert json.loads(_env(sidecar)["SIDECAR_OPTIONS"])["ignore_interrupts"] is True


def test_value_from_reaches_the_pod_unchanged() -> None:
    # The kubelet of the build cluster resolves it; the pod keeps the reference.
    job = _presubmit()
    secret_env = {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    container = {"image": "alpine", "command": ["make"], "env": [secret_env]}
    job = _spec(job, pod_spec={"containers": [container]})
    plan = render(job)
    assert "TOKEN" not in plan.test_container.env
    pod = pod_for(job, plan, podutils_image=IMAGE, namespace="test-pods")
    assert pod == pod_for(job, None, podutils_image=IMAGE, namespace="test-pods")
    test = _container(pod, "test")
    assert test["env"][0] == secret_env
    assert test["workingDir"] == "/home/prow/go/src/github.com/acme/widget"

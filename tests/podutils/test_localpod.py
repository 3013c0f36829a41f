"""What the kubelet resolves, resolved for a run on this machine (podutils/localpod.py
and the modules under it): `$(VAR)` expansion from Kubernetes' own table, downward
API fields and resource values, Secret and ConfigMap references from local
folders, each volume kind, and security contexts."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import load_prowjob

from minprow.model import ProwJob
from minprow.podutils.downward import (
    FieldError,
    HostFacts,
    PodFacts,
    field_value,
    resource_value,
)
from minprow.podutils.localenv import expand
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.localpod import LocalizeError, localize
from minprow.podutils.localvolumes import PLACEHOLDER_TOKEN
from minprow.podutils.quantity import QuantityError, parse_quantity
from minprow.podutils.render import RunPlan, render

LOCAL = Path(__file__).parents[2] / "fixtures" / "podutils" / "local"
EXPAND = yaml.safe_load((LOCAL / "expand.yaml").read_text())
VALUES = yaml.safe_load((LOCAL / "values.yaml").read_text())
HOST = HostFacts(**VALUES["host"])
POD = PodFacts(**VALUES["pod"])


@pytest.mark.parametrize("case", EXPAND["cases"], ids=[c["name"] for c in EXPAND["cases"]])
def test_expansion_as_kubernetes_expands(case: dict[str, str]) -> None:
    assert expand(case["input"], EXPAND["context"]) == case["expected"]


def test_each_env_value_sees_the_ones_before_it() -> None:
    env: dict[str, str] = {}
    for var in EXPAND["env_chain"]:
        env[var["name"]] = expand(var["value"], env)
        assert env[var["name"]] == var["expected"]


@pytest.mark.parametrize("case", VALUES["resources"], ids=[c["name"] for c in VALUES["resources"]])
def test_resource_field_values(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(FieldError, match=case["error"]):
            resource_value(case["ref"], case["resources"], HOST)
    else:
        assert resource_value(case["ref"], case["resources"], HOST) == case["expected"]


@pytest.mark.parametrize(
    "case",
    VALUES["fields"],
    ids=[f"{c['path']}{'-volume' if c.get('volume') else ''}" for c in VALUES["fields"]],
)
def test_field_values(case: dict[str, Any]) -> None:
    volume = bool(case.get("volume"))
    if "error" in case:
        with pytest.raises(FieldError, match=case["error"]):
            field_value(case["path"], POD, HOST, volume=volume)
    else:
        assert field_value(case["path"], POD, HOST, volume=volume) == case["expected"]


@pytest.mark.parametrize(
    "case", VALUES["quantities"], ids=[str(c["text"]) or "empty" for c in VALUES["quantities"]]
)
def test_quantities(case: dict[str, Any]) -> None:
    if case.get("error"):
        with pytest.raises(QuantityError):
            parse_quantity(case["text"])
    else:
        assert parse_quantity(case["text"]) == Fraction(case["value"])


# Localizing a job's plan.


def _job(spec: dict[str, Any], *, decorated: bool = False) -> ProwJob:
    job = load_prowjob("presubmit")
    update: dict[str, Any] = {"pod_spec": spec}
    if not decorated:
        update["decoration_config"] = None
    return job.model_copy(update={"spec": job.spec.model_copy(update=update)})


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjects:
    (tmp_path / "secrets" / "db").mkdir(parents=True)
    (tmp_path / "secrets" / "db" / "password").write_text("s3cret")
    (tmp_path / "configmaps" / "app").mkdir(parents=True)
    (tmp_path / "configmaps" / "app" / "level").write_text("debug")
    return LocalObjects(tmp_path / "secrets", tmp_path / "configmaps")


def _local(spec: dict[str, Any], objects: LocalObjects, *, decorated: bool = False) -> RunPlan:
    return localize(render(_job(spec, decorated=decorated)), objects, HOST)


def _container(**fields: Any) -> dict[str, Any]:
    return {"name": "test", "image": "busybox", "command": ["sh"], **fields}


ENV: list[tuple[str, dict[str, Any], str | None, str]] = [
    ("secret-key", {"secretKeyRef": {"name": "db", "key": "password"}}, "s3cret", ""),
    ("configmap-key", {"configMapKeyRef": {"name": "app", "key": "level"}}, "debug", ""),
    (
        "missing-key",
        {"secretKeyRef": {"name": "db", "key": "user"}},
        None,
        "needs key 'user' of secret 'db': put it in {secrets}/db/user",
    ),
    (
        "missing-object",
        {"configMapKeyRef": {"name": "other", "key": "k"}},
        None,
        "needs key 'k' of configMap 'other': put it in {configmaps}/other/k",
    ),
    (
        "optional-missing",
        {"secretKeyRef": {"name": "nope", "key": "k", "optional": True}},
        None,
        "",
    ),
    ("field", {"fieldRef": {"fieldPath": "metadata.namespace"}}, "default", ""),
]


@pytest.mark.parametrize(
    ("source", "value", "missing"), [row[1:] for row in ENV], ids=[row[0] for row in ENV]
)
def test_env_value_from(
    objects: LocalObjects, source: dict[str, Any], value: str | None, missing: str
) -> None:
    spec = {"containers": [_container(env=[{"name": "V", "valueFrom": source}])]}
    plan = _local(spec, objects)
    env = plan.test_container.env
    assert env.get("V") == value
    assert ("V" in plan.test_container.secret_env) is (
        "secretKeyRef" in source and value is not None
    )
    folders = {"secrets": objects.secrets_dir, "configmaps": objects.configmaps_dir}
    assert list(plan.missing) == (
        [f"container 'test': env 'V' {missing.format(**folders)}"] if missing else []
    )
    assert all("s3cret" not in line for line in [*plan.missing, *plan.notes])


def test_env_from_with_prefix_then_env_overrides(objects: LocalObjects) -> None:
    container = _container(
        envFrom=[{"secretRef": {"name": "db"}, "prefix": "DB_"}, {"configMapRef": {"name": "app"}}],
        env=[{"name": "level", "value": "info"}, {"name": "URL", "value": "x:$(DB_password)"}],
    )
    env = _local({"containers": [container]}, objects).test_container
    assert (env.env["DB_password"], env.env["level"], env.env["URL"]) == (
        "s3cret",
        "info",
        "x:s3cret",
    )
    assert env.secret_env == frozenset({"DB_password"})


VOLUMES: list[tuple[str, dict[str, Any], str, str]] = [
    ("empty-dir", {"emptyDir": {}}, "emptyDir", "emptyDir"),
    ("memory", {"emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}}, "tmpfs", "emptyDir (memory)"),
    ("host-path", {"hostPath": {"path": "/tmp", "type": "Directory"}}, "hostPath", "hostPath /tmp (Directory)"),
    ("claim", {"persistentVolumeClaim": {"claimName": "cache"}}, "claim", "persistentVolumeClaim cache"),
    ("secret", {"secret": {"secretName": "db", "defaultMode": 0o400}}, "files", "secret db"),
    ("config-map-items", {"configMap": {"name": "app", "items": [{"key": "level", "path": "conf/level", "mode": 0o600}]}}, "files", "configMap app"),
    ("downward", {"downwardAPI": {"items": [{"path": "ns", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}, "files", "downwardAPI"),
    ("projected", {"projected": {"sources": [{"secret": {"name": "db"}}, {"serviceAccountToken": {"path": "token"}}]}}, "files", "projected (secret db, serviceAccountToken)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "kind", "describe"), [row[1:] for row in VOLUMES], ids=[row[0] for row in VOLUMES]
)
def test_volume_kinds(
    objects: LocalObjects, source: dict[str, Any], kind: str, describe: str
) -> None:
    mount = {"name": "v", "mountPath": "/v"}
    spec = {"containers": [_container(volumeMounts=[mount])], "volumes": [{"name": "v", **source}]}
    plan = _local(spec, objects)
    [volume] = plan.volumes
    assert (volume.kind, volume.describe) == (kind, describe)
    [local] = plan.test_container.mounts
    assert local.read_only is (kind == "files")
    files = {f.path: (f.content, oct(f.mode)) for f in volume.files}
    expected_files = {
        "secret": {"password": (b"s3cret", "0o400")},
        "config-map-items": {"conf/level": (b"debug", "0o600")},
        "downward": {"ns": (b"default", "0o644")},
        "projected": {"password": (b"s3cret", "0o644"), "token": (PLACEHOLDER_TOKEN, "0o644")},
    }
    assert files == expected_files.get(next(r[0] for r in VOLUMES if r[1] == source), {})
    if "serviceAccountToken" in str(source):
        assert any("placeholder" in note for note in plan.notes)


def test_a_volume_kind_no_engine_here_mounts_is_an_error(objects: LocalObjects) -> None:
    spec = {"containers": [_container()], "volumes": [{"name": "nfs", "nfs": {"server": "s"}}]}
    with pytest.raises(LocalizeError, match="volume 'nfs': nfs volumes cannot be mounted"):
        _local(spec, objects)


def test_sub_path_expr_and_read_only(objects: LocalObjects) -> None:
    mount = {"name": "v", "mountPath": "/v", "subPathExpr": "$(POD)/x", "readOnly": True}
    env = [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    spec = {"containers": [_container(env=env, volumeMounts=[mount])], "volumes": [{"name": "v", "emptyDir": {}}]}  # fmt: skip
    plan = _local(spec, objects)
    [local] = plan.test_container.mounts
    assert (local.sub_path, local.read_only) == (f"{plan.prowjob}/x", True)


SECURITY: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], str]] = [
    ("privileged", {}, {"privileged": True}, {"privileged": True}, ""),
    ("capabilities", {}, {"capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}, {"cap_add": ("NET_ADMIN",), "cap_drop": ("ALL",)}, ""),
    ("user-from-pod", {"runAsUser": 1000, "runAsGroup": 2000}, {}, {"docker_user": "1000:2000"}, ""),
    ("container-wins", {"runAsUser": 1000}, {"runAsUser": 0}, {"docker_user": "0"}, ""),
    ("groups", {"fsGroup": 2010, "supplementalGroups": [3000]}, {}, {"groups": (2010, 3000)}, ""),
    ("read-only-root", {}, {"readOnlyRootFilesystem": True}, {"read_only_root": True}, ""),
    ("no-new-privileges", {}, {"allowPrivilegeEscalation": False}, {"security_opt": ("no-new-privileges",)}, ""),
    ("unconfined", {"seccompProfile": {"type": "Unconfined"}}, {"appArmorProfile": {"type": "Unconfined"}}, {"security_opt": ("seccomp=unconfined", "apparmor=unconfined")}, ""),
    ("selinux-is-a-note", {"seLinuxOptions": {"level": "s0"}}, {}, {}, "SELinux labels (seLinuxOptions) are not applied"),
    ("group-without-user-is-a-note", {}, {"runAsGroup": 5}, {"docker_user": None}, "runAsGroup 5 without runAsUser"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pod", "container", "expected", "note"),
    [row[1:] for row in SECURITY],
    ids=[row[0] for row in SECURITY],
)
def test_security_contexts(
    objects: LocalObjects,
    pod: dict[str, Any],
    container: dict[str, Any],
    expected: dict[str, Any],
    note: str,
) -> None:
    spec = {"securityContext": pod, "containers": [_container(securityContext=container)]}
    plan = _local(spec, objects)
    security = plan.test_container.security
    assert security is not None
    for name, value in expected.items():
        assert getattr(security, name) == value, name
    assert any(note in n for n in plan.notes) if note else not plan.notes


def test_run_as_non_root_with_uid_0_is_an_error(objects: LocalObjects) -> None:
    container = _container(securityContext={"runAsNonRoot": True, "runAsUser": 0})
    with pytest.raises(LocalizeError, match="runAsNonRoot, but runAsUser is 0"):
        _local({"containers": [container]}, objects)


@pytest.mark.parametrize("decorated", [False, True], ids=["undecorated", "decorated"])
def test_command_and_args_are_expanded_only_for_undecorated_jobs(
    objects: LocalObjects, decorated: bool
) -> None:
    container = _container(
        command=["echo", "$(GREETING)"],
        args=["$(GREETING)"],
        env=[{"name": "GREETING", "value": "hi"}],
    )
    plan = _local({"containers": [container]}, objects, decorated=decorated)
    expected = "$(GREETING)" if decorated else "hi"
    assert plan.test_container.argv == ["echo", expected, expected]

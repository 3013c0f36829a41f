"""The docker executor's pod volumes, env sources and security, in the real engine.

Each job prints what its container sees; the test compares it with what the
kubelet gives a pod with the same spec. Secrets and ConfigMaps come from
folders the test writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from executor_helpers import IMAGE, Jobs, cleanup_all, container, read_logs, wait_final

from minprow.aio import SystemClock
from minprow.executors.base import Phase, StartError
from minprow.executors.docker import DockerExecutor
from minprow.podutils.localobjects import LocalObjects
from minprow.podutils.render import render


@pytest.fixture
def objects(tmp_path: Path) -> LocalObjects:
    secrets, configmaps = tmp_path / "secrets", tmp_path / "configmaps"
    (secrets / "db").mkdir(parents=True)
    (secrets / "db" / "password").write_text("s3cret")
    (configmaps / "settings").mkdir(parents=True)
    (configmaps / "settings" / "app.conf").write_text("level=debug\n")
    (configmaps / "settings" / "other").write_text("unused\n")
    return LocalObjects(secrets, configmaps)


@pytest.fixture
async def executor(
    tmp_path: Path, busybox_image: str, jobs: Jobs, objects: LocalObjects
) -> AsyncIterator[DockerExecutor]:
    made = DockerExecutor(
        tmp_path / "workspaces",
        tmp_path / "artifacts",
        SystemClock(),
        objects=objects,
        claims_dir=tmp_path / "claims",
    )
    yield made
    await cleanup_all(made, jobs.names)


async def _output(executor: DockerExecutor, jobs: Jobs, script: str, **spec: Any) -> str:
    mounts = spec.pop("mounts", [])
    pj = jobs.make(container(script, volumeMounts=mounts, **spec.pop("fields", {})), **spec)
    await executor.start(pj, render(pj))
    observed = await wait_final(executor, pj.metadata.name)
    logs = (await read_logs(executor, pj.metadata.name)).decode()
    assert observed.phase is Phase.SUCCEEDED, logs
    return logs


VOLUMES: list[tuple[str, dict[str, Any], dict[str, Any], str, list[str]]] = [
    (
        "memory-emptydir",
        {"name": "v", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
        {"name": "v", "mountPath": "/scratch"},
        "grep ' /scratch ' /proc/mounts | cut -d' ' -f3,4",
        ["tmpfs rw,nosuid,nodev,noexec,relatime,size=65536k"],
    ),
    (
        "configmap-items-mode",
        {
            "name": "v",
            "configMap": {"name": "settings", "items": [{"key": "app.conf", "path": "conf/app"}]},
        },
        {"name": "v", "mountPath": "/etc/app"},
        "cat /etc/app/conf/app; stat -c %a /etc/app/conf/app; ls /etc/app; "
        "touch /etc/app/x 2>/dev/null || echo read-only",
        ["level=debug", "644", "conf", "read-only"],
    ),
    (
        "secret-default-mode",
        {"name": "v", "secret": {"secretName": "db", "defaultMode": 0o400}},
        {"name": "v", "mountPath": "/etc/db"},
        "stat -c %a /etc/db/password; wc -c < /etc/db/password",
        ["400", "6"],
    ),
    (
        "downward-api",
        {
            "name": "v",
            "downwardAPI": {
                "items": [
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}},
                    {
                        "path": "job",
                        "fieldRef": {"fieldPath": "metadata.labels['prow.k8s.io/job']"},
                    },
                ]
            },
        },
        {"name": "v", "mountPath": "/etc/podinfo"},
        'echo; cat /etc/podinfo/job; echo; test "$(cat /etc/podinfo/name)" = "$POD" && echo same',
        ["unit", "same"],
    ),
    (
        "sub-path",
        {"name": "v", "emptyDir": {}},
        {"name": "v", "mountPath": "/work", "subPathExpr": "$(POD)/cache"},
        "touch /work/file && echo written",
        ["written"],
    ),
]


@pytest.mark.parametrize(
    ("volume", "mount", "script", "shows"),
    [row[1:] for row in VOLUMES],
    ids=[row[0] for row in VOLUMES],
)
async def test_each_volume_kind_is_mounted_as_the_kubelet_mounts_it(
    executor: DockerExecutor,
    jobs: Jobs,
    volume: dict[str, Any],
    mount: dict[str, Any],
    script: str,
    shows: list[str],
) -> None:
    pod_env = {"env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}
    logs = await _output(executor, jobs, script, volumes=[volume], mounts=[mount], fields=pod_env)
    lines = [line for line in logs.splitlines() if line]
    for line in shows:
        assert line in lines, logs


async def test_a_claim_is_kept_between_runs(
    executor: DockerExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    claim = {"name": "cache", "persistentVolumeClaim": {"claimName": "go-cache"}}
    mount = {"name": "cache", "mountPath": "/cache", "subPath": "mod"}
    await _output(executor, jobs, "echo kept > /cache/file", volumes=[claim], mounts=[mount])
    await cleanup_all(executor, jobs.names)
    logs = await _output(executor, jobs, "cat /cache/file", volumes=[claim], mounts=[mount])
    assert "kept" in logs
    assert (tmp_path / "claims" / "go-cache" / "mod" / "file").read_text() == "kept\n"


async def test_a_host_path_to_create_is_made_and_bound(
    executor: DockerExecutor, jobs: Jobs, tmp_path: Path
) -> None:
    path = tmp_path / "host" / "made"
    volume = {"name": "h", "hostPath": {"path": str(path), "type": "DirectoryOrCreate"}}
    await _output(
        executor, jobs, "echo from-the-job > /h/out", volumes=[volume],
        mounts=[{"name": "h", "mountPath": "/h"}],
    )  # fmt: skip
    assert (path / "out").read_text() == "from-the-job\n"


async def test_env_from_secrets_and_config_maps(executor: DockerExecutor, jobs: Jobs) -> None:
    env = [
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "MILLICORES", "valueFrom": {"resourceFieldRef": {"resource": "requests.cpu", "divisor": "1m"}}},
        {"name": "URL", "value": "db://user:$(PASSWORD)@db"},
    ]  # fmt: skip
    fields = {
        "env": env,
        "envFrom": [{"configMapRef": {"name": "settings"}, "prefix": "CM_"}],
        "resources": {"requests": {"cpu": "250m"}},
    }
    logs = await _output(executor, jobs, 'echo "$URL $MILLICORES"; echo "$CM_other"', fields=fields)
    assert "db://user:s3cret@db 250" in logs
    assert "unused" in logs


async def test_a_missing_secret_stops_the_start_with_where_to_put_it(
    executor: DockerExecutor, jobs: Jobs, objects: LocalObjects
) -> None:
    env = [{"name": "T", "valueFrom": {"secretKeyRef": {"name": "gh", "key": "token"}}}]
    pj = jobs.make(container("true", env=env))
    with pytest.raises(StartError) as raised:
        await executor.start(pj, render(pj))
    assert f"put it in {objects.secrets_dir / 'gh' / 'token'}" in str(raised.value)


async def test_run_as_non_root_refuses_an_image_that_runs_as_root(
    executor: DockerExecutor, jobs: Jobs
) -> None:
    # The busybox test image sets no USER: it runs as root.
    pj = jobs.make(container("true", securityContext={"runAsNonRoot": True}))
    with pytest.raises(StartError, match=rf"runAsNonRoot, and its image {IMAGE} runs as root"):
        await executor.start(pj, render(pj))


async def test_host_aliases_are_in_etc_hosts(executor: DockerExecutor, jobs: Jobs) -> None:
    aliases = [{"ip": "10.1.2.3", "hostnames": ["registry.local", "cache.local"]}]
    logs = await _output(executor, jobs, "grep local /etc/hosts", pod={"hostAliases": aliases})
    assert "10.1.2.3\tregistry.local" in logs
    assert "10.1.2.3\tcache.local" in logs

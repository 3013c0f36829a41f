"""The pod status a kubelet writes, and kubeconfig files, for the fake API server.

There is no kubelet behind tests/fakekube.py: a test says what phase a pod has
reached (`FakeKube.set_pod_phase`) and `pod_status` writes the `status` the
kubelet would (pkg/kubelet/status, `generateAPIPodStatus`): `phase`,
`startTime`, the `PodScheduled`/`Initialized`/`ContainersReady`/`Ready`
conditions, `initContainerStatuses` (all completed once the pod runs) and
`containerStatuses` whose `state` is `waiting{reason}` (Pending),
`running{startedAt}` (Running) or `terminated{exitCode, reason, startedAt,
finishedAt}` (Succeeded, Failed). `container` narrows the exit code and reason
to one container; the others then completed with 0. Simplified: no restarts
(`restartCount` stays 0), no `imageID`/`containerID`, one pod IP.

`write_kubeconfig` writes a real kubeconfig (clusters, bearer-token users,
contexts) for the `kubernetes` client; `api_client` loads one context of it
through `kubernetes.config.new_client_from_config`, as minprow does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

Obj = dict[str, Any]

PHASES = ("Pending", "Running", "Succeeded", "Failed")


def _time(now: datetime) -> str:
    return now.strftime("%Y-%m-%dT%H:%M:%SZ")


def _names(pod: Obj, field: str) -> list[str]:
    return [c["name"] for c in (pod.get("spec") or {}).get(field) or [] if "name" in c]


def _started(previous: Obj | None, stamp: str) -> str:
    """Keep a container's first start time across later status writes."""
    state = (previous or {}).get("state") or {}
    for kind in ("running", "terminated"):
        if kind in state and state[kind].get("startedAt"):
            return str(state[kind]["startedAt"])
    return stamp


def pod_status(
    pod: Obj,
    phase: str,
    *,
    now: datetime,
    exit_code: int | None = None,
    reason: str | None = None,
    message: str | None = None,
    container: str | None = None,
) -> Obj:
    """The `status` a kubelet writes for `pod` once it reached `phase`."""
    if phase not in PHASES:
        raise ValueError(f"phase {phase!r} is not one of {PHASES}")
    stamp = _time(now)
    old = pod.get("status") or {}
    previous = {s["name"]: s for s in old.get("containerStatuses") or []}
    image = {c["name"]: c.get("image", "") for c in (pod.get("spec") or {}).get("containers") or []}
    targets = {container} if container else set(_names(pod, "containers"))

    def state_of(name: str) -> tuple[Obj, bool]:
        targeted = name in targets
        if phase == "Pending":
            waiting: Obj = {"reason": (reason if targeted and reason else "ContainerCreating")}
            if targeted and message:
                waiting["message"] = message
            return {"waiting": waiting}, False
        started = _started(previous.get(name), stamp)
        if phase == "Running":
            return {"running": {"startedAt": started}}, True
        code = 0
        why = "Completed"
        if targeted:
            code = exit_code if exit_code is not None else (1 if phase == "Failed" else 0)
            why = reason or ("Completed" if code == 0 else "Error")
        done: Obj = {"exitCode": code, "reason": why, "startedAt": started, "finishedAt": stamp}
        if targeted and message:
            done["message"] = message
        return {"terminated": done}, False

    statuses = []
    for name in _names(pod, "containers"):
        state, ready = state_of(name)
        statuses.append(
            {
                "name": name,
                "image": image.get(name, ""),
                "imageID": "",
                "ready": ready,
                "restartCount": 0,
                "started": ready,
                "state": state,
            }
        )
    initialized = phase != "Pending"
    inits = []
    init_images = {
        c["name"]: c.get("image", "") for c in (pod.get("spec") or {}).get("initContainers") or []
    }
    for name in _names(pod, "initContainers"):
        done = {"exitCode": 0, "reason": "Completed", "startedAt": stamp, "finishedAt": stamp}
        state = {"terminated": done} if initialized else {"waiting": {"reason": "PodInitializing"}}
        inits.append(
            {
                "name": name,
                "image": init_images.get(name, ""),
                "imageID": "",
                "ready": initialized,
                "restartCount": 0,
                "started": False,
                "state": state,
            }
        )
    running = phase == "Running"

    def condition(kind: str, true: bool) -> Obj:
        return {"type": kind, "status": "True" if true else "False", "lastTransitionTime": stamp}

    status: Obj = {
        "phase": phase,
        "conditions": [
            condition("PodScheduled", True),
            condition("Initialized", initialized),
            condition("ContainersReady", running),
            condition("Ready", running),
        ],
        "hostIP": "10.0.0.2",
        "podIP": "10.244.0.10",
        "startTime": old.get("startTime") or stamp,
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    }
    if inits:
        status["initContainerStatuses"] = inits
    return status


def terminated(pod: Obj, container: str) -> bool:
    """Whether `container` of `pod` has terminated (its log stream then ends)."""
    for entry in (pod.get("status") or {}).get("containerStatuses") or []:
        if entry.get("name") == container:
            return "terminated" in (entry.get("state") or {})
    return False


def write_kubeconfig(
    path: Path,
    contexts: Mapping[str, str],
    *,
    token: str = "fake-token",
    current: str | None = None,
    namespace: str | None = None,
) -> Path:
    """Write a kubeconfig with one cluster, bearer-token user and context per name → URL."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "preferences": {},
        "clusters": [{"name": n, "cluster": {"server": url}} for n, url in contexts.items()],
        "users": [{"name": f"{n}-user", "user": {"token": token}} for n in contexts],
        "contexts": [
            {
                "name": n,
                "context": {"cluster": n, "user": f"{n}-user"}
                | ({"namespace": namespace} if namespace else {}),
            }
            for n in contexts
        ],
        "current-context": current if current is not None else next(iter(contexts), ""),
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


def api_client(path: Path, context: str | None = None) -> ApiClient:
    """A `kubernetes.client.ApiClient` for `context` of the kubeconfig at `path`."""
    from kubernetes import config

    return config.new_client_from_config(config_file=str(path), context=context)

"""The one renderer: from a ProwJob, everything a run of it needs.

Every executor and `minprow run` turn a ProwJob into a `RunPlan` here and
nowhere else, so a job sees the same containers, environment, working
directory, checkout paths and timeouts locally as in CI. Corresponds to the
parts of Prow's pkg/pod-utils/decorate/podspec.go that decide what the test
container sees (`decorateContainers`, `determineWorkDir`, the mount paths) and
`kubeEnv`; the Kubernetes executor adds Prow's init and sidecar containers on
top of the same plan.

Paths in a plan are the ones inside the job's container (`/home/prow/go`,
`/logs/artifacts`). An executor with no container (the host one) maps them
onto its workspace with `RunPlan.relocated`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from minprow.model import DecorationConfig, ProwJob, Refs
from minprow.podutils.jobspec import JobSpecError, env_for, src_host_and_base

CODE_MOUNT = "/home/prow/go"
"""Where decorated jobs find their checkouts (`$GOPATH`), as Prow mounts it."""
LOGS_MOUNT = "/logs"
"""Prow's log volume: the build log and the artifacts directory live here."""
ARTIFACTS_DIR = f"{LOGS_MOUNT}/artifacts"
"""`$ARTIFACTS`: what a job writes here is uploaded with its logs."""

DEFAULT_TIMEOUT = timedelta(hours=2)
"""The entrypoint's timeout when the decoration config names none (Prow's default)."""
DEFAULT_GRACE_PERIOD = timedelta(seconds=15)
"""Between SIGTERM and SIGKILL when the decoration config names none (Prow's default)."""


class RenderError(ValueError):
    """A ProwJob that cannot be run as written: says which job and what is wrong."""


@dataclass(frozen=True)
class ContainerPlan:
    """One container of the job's pod, as it will run."""

    name: str
    image: str
    command: list[str]
    args: list[str]
    env: dict[str, str]
    working_dir: str | None = None
    cpu_limit: float | None = None
    """CPUs (Kubernetes `limits.cpu`), where the executor can enforce it."""
    memory_limit: int | None = None
    """Bytes (Kubernetes `limits.memory`)."""

    @property
    def argv(self) -> list[str]:
        """What runs: command then args (the image's entrypoint is used when both are empty)."""
        return [*self.command, *self.args]


@dataclass(frozen=True)
class RunPlan:
    """Everything needed to run one ProwJob."""

    prowjob: str
    """The ProwJob's name: executors key everything they make by it."""
    job: str
    containers: list[ContainerPlan]
    decorated: bool
    refs: list[Refs] = field(default_factory=list)
    """The repositories to clone (refs, then extra_refs), for decorated jobs that clone."""
    timeout: timedelta = DEFAULT_TIMEOUT
    grace_period: timedelta = DEFAULT_GRACE_PERIOD
    decoration: DecorationConfig | None = None
    local_checkouts: dict[str, str] = field(default_factory=dict)
    """Container checkout path -> a host directory used as it is instead of a clone
    (`minprow run --local`): executors mount (or use) it there."""

    def with_local_checkout(self, refs: Refs, host_dir: str) -> RunPlan:
        """This plan with `refs` taken from `host_dir` instead of cloned."""
        target = checkout_path(refs)
        return replace(
            self,
            refs=[r for r in self.refs if checkout_path(r) != target],
            local_checkouts={**self.local_checkouts, target: host_dir},
        )

    @property
    def test_container(self) -> ContainerPlan:
        return self.containers[0]

    def relocated(self, code_dir: str, logs_dir: str) -> RunPlan:
        """This plan with the container paths moved onto host directories.

        For executors that run without a container: `/home/prow/go` becomes
        `code_dir` and `/logs` becomes `logs_dir`, in env values and the working
        directory alike."""

        def move(value: str) -> str:
            for mount, target in ((CODE_MOUNT, code_dir), (LOGS_MOUNT, logs_dir)):
                if value == mount or value.startswith(mount + "/"):
                    return target + value[len(mount) :]
            return value

        containers = [
            replace(
                c,
                env={k: move(v) for k, v in c.env.items()},
                working_dir=move(c.working_dir) if c.working_dir else None,
            )
            for c in self.containers
        ]
        local = {move(path): host for path, host in self.local_checkouts.items()}
        return replace(self, containers=containers, local_checkouts=local)


def checkout_path(refs: Refs, base: str = CODE_MOUNT) -> str:
    """Where clonerefs puts a repository: `<base>/src/<host>/<path>` (Prow's `PathForRefs`)."""
    host, path = src_host_and_base(refs)
    return f"{base}/src/{host}/{path}"


def render(pj: ProwJob) -> RunPlan:
    """The run plan of a ProwJob with a pod spec; RenderError when it has none or it is malformed."""
    name = pj.metadata.name
    spec = pj.spec
    pod = spec.pod_spec
    if not pod or not pod.get("containers"):
        raise RenderError(f"ProwJob {name} ({spec.job}): no pod_spec with containers to run")
    try:
        prow_env = env_for(pj)
    except JobSpecError as err:
        raise RenderError(f"ProwJob {name} ({spec.job}): {err}") from err

    decoration = spec.decoration_config
    decorated = decoration is not None
    all_refs = [r for r in [spec.refs, *(spec.extra_refs or [])] if r is not None]
    workdir = _work_dir(all_refs) if decorated else None
    containers: list[ContainerPlan] = []
    for index, raw in enumerate(pod["containers"]):
        containers.append(_container(name, spec.job, index, raw, prow_env, decorated, workdir))
    timeout = DEFAULT_TIMEOUT
    grace = DEFAULT_GRACE_PERIOD
    if decoration is not None:
        timeout = decoration.timeout or DEFAULT_TIMEOUT
        grace = decoration.grace_period or DEFAULT_GRACE_PERIOD
    clones = decorated and not (decoration and decoration.skip_cloning)
    return RunPlan(
        prowjob=name,
        job=spec.job,
        containers=containers,
        decorated=decorated,
        refs=all_refs if clones else [],
        timeout=timeout,
        grace_period=grace,
        decoration=decoration,
    )


def _work_dir(refs: list[Refs]) -> str | None:
    # Prow's determineWorkDir: the ref marked workdir, else the first one.
    for ref in refs:
        if ref.workdir:
            return checkout_path(ref)
    return checkout_path(refs[0]) if refs else None


def _container(
    pj_name: str,
    job: str,
    index: int,
    raw: dict[str, Any],
    prow_env: dict[str, str],
    decorated: bool,
    workdir: str | None,
) -> ContainerPlan:
    where = f"ProwJob {pj_name} ({job}) container {index}"
    image = raw.get("image")
    if not isinstance(image, str) or not image:
        raise RenderError(f"{where}: no image")
    env: dict[str, str] = {}
    for item in raw.get("env") or []:
        if "valueFrom" in item:
            raise RenderError(
                f"{where}: env {item.get('name')!r} uses valueFrom, which only a Kubernetes "
                "executor can resolve"
            )
        env[str(item["name"])] = str(item.get("value", ""))
    if decorated:
        env.update({"ARTIFACTS": ARTIFACTS_DIR, "GOPATH": CODE_MOUNT})
    # Prow appends its variables after the job's own, and the last one wins.
    env.update(prow_env)
    limits = (raw.get("resources") or {}).get("limits") or {}
    return ContainerPlan(
        name=str(raw.get("name") or ("test" if index == 0 else f"container-{index}")),
        image=image,
        command=[str(a) for a in raw.get("command") or []],
        args=[str(a) for a in raw.get("args") or []],
        env=env,
        working_dir=raw.get("workingDir") or workdir,
        cpu_limit=_cpu(limits.get("cpu"), where),
        memory_limit=_memory(limits.get("memory"), where),
    )


_MEMORY = re.compile(r"^([0-9.]+(?:e[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$")
_FACTORS = {
    None: 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}


def _quantity(value: object, where: str, what: str) -> float | None:
    # A Kubernetes resource.Quantity: a number with an optional SI or binary suffix.
    if value is None:
        return None
    match = _MEMORY.match(str(value).strip())
    if not match:
        raise RenderError(f"{where}: limits.{what} {value!r} is not a Kubernetes quantity")
    return float(match.group(1)) * _FACTORS[match.group(2)]


def _cpu(value: object, where: str) -> float | None:
    return _quantity(value, where, "cpu")


def _memory(value: object, where: str) -> int | None:
    amount = _quantity(value, where, "memory")
    return None if amount is None else math.ceil(amount)

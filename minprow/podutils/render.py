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

A plan keeps what only the node can resolve as the pod spec has it: env
`valueFrom`, volumes, mounts and security contexts. The Kubernetes executor
passes them to the pod unchanged; the local executors and `minprow run` turn
them into values, mounts and engine options with `localpod.localize`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from minprow.model import DecorationConfig, ProwJob, Refs
from minprow.model.labels import labels_and_annotations_for_job
from minprow.podutils.downward import PodFacts
from minprow.podutils.jobspec import JobSpecError, env_for, src_host_and_base
from minprow.podutils.localenv import EnvVar
from minprow.podutils.localsecurity import LocalSecurity
from minprow.podutils.localvolumes import LocalMount, LocalVolume
from minprow.podutils.quantity import QuantityError, parse_quantity

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
    env_vars: tuple[EnvVar, ...] = ()
    """The env as the pod spec lists it, `valueFrom` included, then decoration's and
    Prow's variables; `env` holds the plain values until `localize` resolves them all."""
    env_from: tuple[dict[str, Any], ...] = ()
    volume_mounts: tuple[dict[str, Any], ...] = ()
    security_context: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    image_pull_policy: str = ""
    mounts: tuple[LocalMount, ...] = ()
    """The volumeMounts as a local engine makes them (set by `localize`)."""
    security: LocalSecurity | None = None
    """The effective security context as a local engine applies it (set by `localize`)."""
    secret_env: frozenset[str] = frozenset()
    """Names of env vars whose values come from a Secret: never printed."""

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
    pod: PodFacts = field(default_factory=lambda: PodFacts("", "default"))
    """The pod Prow would create, as its downward API shows it."""
    pod_spec: dict[str, Any] = field(default_factory=dict)
    """The job's pod spec as written (volumes, securityContext, hostNetwork, ...)."""
    volumes: tuple[LocalVolume, ...] = ()
    """The pod's volumes as this machine provides them (set by `localize`)."""
    notes: tuple[str, ...] = ()
    """What a local run cannot honour as written, to be said once before it starts."""
    missing: tuple[str, ...] = ()
    """Secrets, config maps and host paths a local run needs and does not have:
    one line each, saying where to put it. A run with any does not start."""
    localized: bool = False

    def with_overrides(self, env: dict[str, str], image: str | None) -> RunPlan:
        """This plan with the test container's `env` values and `image` replaced
        (`minprow run --env/--image`, to try a local build)."""
        test = self.test_container
        env_vars = [v for v in test.env_vars if v.name not in env]
        env_vars += [EnvVar(name, value) for name, value in env.items()]
        changed = replace(
            test,
            image=image or test.image,
            env={**test.env, **env},
            env_vars=tuple(env_vars),
            secret_env=test.secret_env - set(env),
        )
        return replace(self, containers=[changed, *self.containers[1:]])

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
    labels, annotations = labels_and_annotations_for_job(pj)
    pod_facts = PodFacts(
        name=name,
        namespace=spec.namespace or "default",
        labels=labels,
        annotations=annotations,
        service_account=str(pod.get("serviceAccountName") or "default"),
        node_name=str(pod.get("nodeName") or ""),
    )
    return RunPlan(
        prowjob=name,
        job=spec.job,
        containers=containers,
        decorated=decorated,
        refs=all_refs if clones else [],
        timeout=timeout,
        grace_period=grace,
        decoration=decoration,
        pod=pod_facts,
        pod_spec=pod,
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
    env_vars: list[EnvVar] = []
    for item in raw.get("env") or []:
        name = str(item.get("name") or "")
        if not name:
            raise RenderError(f"{where}: an env entry has no name")
        if item.get("valueFrom"):
            env_vars.append(EnvVar(name, value_from=dict(item["valueFrom"])))
        else:
            env_vars.append(EnvVar(name, _env_text(item.get("value"))))
    added = {"ARTIFACTS": ARTIFACTS_DIR, "GOPATH": CODE_MOUNT} if decorated else {}
    # Prow appends its variables after the job's own, and the last one wins.
    added.update(prow_env)
    env_vars += [EnvVar(k, v) for k, v in added.items()]
    env: dict[str, str] = {}
    for var in env_vars:
        if var.value_from is None:
            env[var.name] = var.value
        else:
            env.pop(var.name, None)
    resources = dict(raw.get("resources") or {})
    limits = resources.get("limits") or {}
    return ContainerPlan(
        name=str(raw.get("name") or ("test" if index == 0 else f"container-{index}")),
        image=image,
        command=[str(a) for a in raw.get("command") or []],
        args=[str(a) for a in raw.get("args") or []],
        env=env,
        working_dir=raw.get("workingDir") or workdir,
        cpu_limit=_cpu(limits.get("cpu"), where),
        memory_limit=_memory(limits.get("memory"), where),
        env_vars=tuple(env_vars),
        env_from=tuple(raw.get("envFrom") or ()),
        volume_mounts=tuple(raw.get("volumeMounts") or ()),
        security_context=dict(raw.get("securityContext") or {}),
        resources=resources,
        image_pull_policy=str(raw.get("imagePullPolicy") or ""),
    )


def _env_text(value: object) -> str:
    # What Go's decoding into a string field gives: YAML's scalars as written.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _quantity(value: object, where: str, what: str) -> float | None:
    # A Kubernetes resource.Quantity: a number with an optional SI or binary suffix.
    if value is None:
        return None
    try:
        return float(parse_quantity(value))
    except QuantityError as err:
        raise RenderError(f"{where}: limits.{what} {value!r} is not a Kubernetes quantity") from err


def _cpu(value: object, where: str) -> float | None:
    return _quantity(value, where, "cpu")


def _memory(value: object, where: str) -> int | None:
    amount = _quantity(value, where, "memory")
    return None if amount is None else math.ceil(amount)

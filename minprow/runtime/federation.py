"""The Kubernetes side of `minprow serve`: the service cluster and the build clusters.

Prow's components take `--kubeconfig` / `--kubeconfig-dir` / `--kubeconfig-suffix`
(pkg/flagutil/kubernetes_cluster_clients.go) and keep ProwJobs in the service
cluster (in-cluster by default). Here the same flags give:

- the ProwJob store: custom resources in `prowjob_namespace` of the context named
  by `--prow-job-context` (default `in-cluster`: the pod's service account, or the
  kubeconfigs' current context off-cluster);
- the build clusters: one kubernetes executor per context, chosen by a job's
  `cluster` field (`default` when unset), re-read when the kubeconfig files change
  so rotated tokens and new clusters need no restart.

Whether a process uses Kubernetes at all is `--store`: `kube`, `sqlite`, or `auto`
(Kubernetes when a kubeconfig or context is given or the process runs in a pod).
"""

from __future__ import annotations

import copy
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from minprow.aio import Clock
from minprow.executors.clusters import ClusterMap

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

    from minprow.config import Config
    from minprow.executors.base import Executor
    from minprow.hook.inbox import InboxBackend
    from minprow.hook.plugins.config_updater import ConfigMapTarget
    from minprow.kube.expiry import ExpiryWarnings
    from minprow.kube.kubeconfig import ClusterConfig, ClusterConfigs
    from minprow.kube.kubeconfig_agent import ClusterConfigAgent, ClusterDiff
    from minprow.kube.rotation import Rotator
    from minprow.runtime.components import Leading
    from minprow.store import JobStore

log = logging.getLogger("minprow.federation")

STORE_CHOICES = ("auto", "sqlite", "kube")
LEASE_NAME = "minprow-controllers"


class FederationError(RuntimeError):
    """The kubeconfigs or the service cluster cannot be used: says which and why."""


@dataclass
class KubeSettings:
    """Prow's cluster flags, plus minprow's choice of job store."""

    store: str = "auto"
    kubeconfigs: tuple[Path, ...] = ()
    kubeconfig_dir: Path | None = None
    kubeconfig_suffix: str = ""
    prow_job_context: str | None = None
    podutils_image: str = ""
    """The image decorated pods run `minprow podutils ...` from (default_podutils_image())."""
    leader_elect: bool | None = None
    """None: on when controllers run against the kube store."""
    fallback_to_default: bool = False
    """Send jobs of clusters with no context to `default` (a laptop's kind cluster)."""
    rotate_build_credentials: bool = False
    """Renew the tokens of the contexts `minprow gencred` wrote (kube/rotation.py)."""

    def wanted(self, in_pod: bool) -> bool:
        """Whether this process keeps its ProwJobs in Kubernetes."""
        if self.store not in STORE_CHOICES:
            raise FederationError(
                f"--store {self.store!r}: expected one of {', '.join(STORE_CHOICES)}"
            )
        if self.store != "auto":
            return self.store == "kube"
        return bool(self.kubeconfigs or self.kubeconfig_dir or self.prow_job_context or in_pod)


def default_podutils_image() -> str:
    """`minprow:<installed version>`, the tag `minprow up` builds from ./Dockerfile."""
    from minprow.config.finalize import UTILITY_IMAGE

    # A fixed tag (not `latest`), so pods keep `imagePullPolicy: IfNotPresent` and
    # use the image `kind load` put on the nodes.
    return UTILITY_IMAGE


def in_pod() -> bool:
    """Whether this process runs in a pod (its service account token is mounted)."""
    from minprow.kube.kubeconfig import ServiceAccount

    return ServiceAccount().present()


def cluster_agent(settings: KubeSettings) -> ClusterConfigAgent:
    """The build clusters' credentials, re-read on change."""
    from minprow.kube.kubeconfig import KubeconfigError
    from minprow.kube.kubeconfig_agent import ClusterConfigAgent

    try:
        return ClusterConfigAgent(
            settings.kubeconfigs, settings.kubeconfig_dir, settings.kubeconfig_suffix
        )
    except KubeconfigError as err:
        raise FederationError(f"kubeconfig: {err}") from err


def expiry_warnings(
    agent: ClusterConfigAgent, settings: KubeSettings, clock: Clock
) -> ExpiryWarnings:
    """Warnings for build-cluster credentials about to expire that nothing renews:
    said now, after every kubeconfig reload, and by `run` as expiries near."""
    from minprow.kube.expiry import ExpiryWarnings

    warnings = ExpiryWarnings(agent.get, clock, settings.rotate_build_credentials)
    warnings.check()

    def reloaded(_: ClusterDiff) -> None:
        warnings.check()

    agent.subscribe(reloaded)
    return warnings


def credential_rotation(
    agent: ClusterConfigAgent, settings: KubeSettings, clock: Clock, *, controllers: bool
) -> Rotator | None:
    """The renewal of gencred's tokens when --rotate-build-credentials asks for it and
    this process runs the controllers (the build clusters' users; with leader
    election it runs with them, on the leader only)."""
    from minprow.kube.kubeconfig import IN_CLUSTER_CONTEXT
    from minprow.kube.rotation import Rotator

    if not settings.rotate_build_credentials:
        return None
    if not controllers:
        log.info(
            "--rotate-build-credentials: this process runs no controllers, so it renews "
            "no tokens (the one running plank and sinker does)"
        )
        return None
    service = settings.prow_job_context or IN_CLUSTER_CONTEXT
    rotator = Rotator(agent, clock, service_api=api_client_factory(agent.get, service))
    marked = ", ".join(sorted(rotator.marked())) or "none yet"
    log.info("build-cluster tokens written by gencred are renewed here (%s)", marked)
    return rotator


def api_client_factory(
    configs: Callable[[], ClusterConfigs], context: str
) -> Callable[[], ApiClient]:
    """API clients for `context` as the kubeconfigs say now (a rotated token is used
    by the next client made)."""
    from kubernetes.client import ApiClient

    def factory() -> ApiClient:
        return ApiClient(copy.copy(_context(configs(), context).configuration))

    return factory


def _context(configs: ClusterConfigs, name: str) -> ClusterConfig:
    try:
        return configs[name]
    except KeyError:
        known = ", ".join(sorted(configs)) or "none"
        raise FederationError(
            f"--prow-job-context {name!r}: no such context in the kubeconfigs (known: {known})"
        ) from None


def job_store(agent: ClusterConfigAgent, settings: KubeSettings, namespace: str) -> JobStore:
    """The ProwJob store in the service cluster's `namespace` (`prowjob_namespace`)."""
    from minprow.kube.kubeconfig import IN_CLUSTER_CONTEXT
    from minprow.store import open_store

    context = settings.prow_job_context or IN_CLUSTER_CONTEXT
    _context(agent.get(), context)  # a wrong context name fails at start-up, not later
    log.info("ProwJobs are custom resources in %s/%s", context, namespace)
    return open_store(
        "kube", api_client_factory=api_client_factory(agent.get, context), namespace=namespace
    )


def webhook_inbox(
    agent: ClusterConfigAgent, settings: KubeSettings, namespace: str, clock: Clock
) -> InboxBackend:
    """The hook's webhook inbox next to the ProwJobs: ConfigMaps in the service
    cluster's `namespace`, owned by this pod (its name survives a container restart)."""
    from minprow.hook.inbox.kube import KubeInbox
    from minprow.kube.kubeconfig import IN_CLUSTER_CONTEXT

    context = settings.prow_job_context or IN_CLUSTER_CONTEXT
    return KubeInbox(
        api_client_factory(agent.get, context),
        namespace,
        identity=socket.gethostname(),
        clock=clock,
    )


def config_maps(agent: ClusterConfigAgent, settings: KubeSettings) -> ConfigMapTarget:
    """config-updater's ConfigMaps: `default` is the service cluster (where the
    ProwJobs are), any other cluster the kubeconfig context of that name (Prow's
    `GetConfigMapClient` over its build cluster clients)."""
    from minprow.hook.plugins.config_updater.kube import KubeConfigMaps
    from minprow.kube.kubeconfig import DEFAULT_CLUSTER_ALIAS, IN_CLUSTER_CONTEXT

    service = settings.prow_job_context or IN_CLUSTER_CONTEXT

    def clients(cluster: str) -> Callable[[], ApiClient] | None:
        if cluster == DEFAULT_CLUSTER_ALIAS:
            return api_client_factory(agent.get, service)
        return api_client_factory(agent.get, cluster) if cluster in agent.get() else None

    return KubeConfigMaps(clients)


def build_clusters(
    agent: ClusterConfigAgent,
    settings: KubeSettings,
    config: Callable[[], Config],
    clock: Clock,
) -> ClusterMap:
    """One kubernetes executor per context, kept in step with the kubeconfig files."""
    made: dict[str, Executor] = {}

    def executor(context: str) -> Executor:
        if context not in made:
            made[context] = _executor(agent, context, settings, config, clock)
        return made[context]

    def routes() -> dict[str, Executor]:
        return {name: executor(name) for name in agent.get()}

    def fallback() -> Executor | None:
        from minprow.kube.kubeconfig import DEFAULT_CLUSTER_ALIAS

        return executor(DEFAULT_CLUSTER_ALIAS) if settings.fallback_to_default else None

    clusters = ClusterMap(routes(), fallback())

    def reloaded(diff: ClusterDiff) -> None:
        for name in diff.removed:
            gone = made.pop(name, None)
            close = getattr(gone, "close", None)
            if close is not None:
                close()  # its pod watch and threads would outlive it
        clusters.set_routes(routes(), fallback())
        log.info("build clusters now: %s", ", ".join(sorted(agent.get())))

    agent.subscribe(reloaded)
    return clusters


def _executor(
    agent: ClusterConfigAgent,
    context: str,
    settings: KubeSettings,
    config: Callable[[], Config],
    clock: Clock,
) -> Executor:
    from minprow.executors.kubernetes import KubernetesExecutor

    return KubernetesExecutor(
        context,
        lambda: agent.get()[context],
        lambda: config().pod_namespace,
        podutils_image=settings.podutils_image or default_podutils_image(),
        clock=clock,
    )


def close_executors(clusters: ClusterMap) -> None:
    """Stop every kubernetes executor's pod watch and threads."""
    for executor in clusters.executors():
        close = getattr(executor, "close", None)
        if close is not None:
            close()


def leader_election(
    agent: ClusterConfigAgent, settings: KubeSettings, namespace: str, clock: Clock
) -> Leading:
    """The controllers' lease (`minprow-controllers` in the ProwJob namespace of the
    service cluster): hooks scale out, controllers never reconcile twice at once."""
    from minprow.kube.kubeconfig import IN_CLUSTER_CONTEXT
    from minprow.kube.leader import LeaderElector

    context = settings.prow_job_context or IN_CLUSTER_CONTEXT
    elector = LeaderElector(
        api_client_factory(agent.get, context), namespace, LEASE_NAME, clock=clock
    )
    log.info("controllers run while %s holds lease %s/%s", elector.identity, namespace, LEASE_NAME)
    return elector.run


def install_crd(settings: KubeSettings) -> bool:
    """Install minprow's ProwJob CRD into the service cluster unless one is there (Prow's
    included); True when this call created it."""
    from kubernetes.client import ApiextensionsV1Api
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    from minprow.kube import crd
    from minprow.kube.kubeconfig import IN_CLUSTER_CONTEXT

    agent = cluster_agent(settings)
    context = settings.prow_job_context or IN_CLUSTER_CONTEXT
    with api_client_factory(agent.get, context)() as client:
        try:
            return crd.install(ApiextensionsV1Api(client))
        except ApiException as err:
            raise FederationError(
                f"cannot install the ProwJob CRD in {context}: {err.status} {err.reason}"
            ) from err
        except HTTPError as err:
            raise FederationError(f"cannot reach {context}: {err}") from err

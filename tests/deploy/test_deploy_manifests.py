"""deploy/: the manifests `kubectl apply -k deploy/` installs, checked against minprow.

Each object must be a valid Kubernetes object (a round trip through the
kubernetes client's model classes loses nothing, so a misspelt field fails), the
Kustomization must list every manifest, the CRD must be minprow's own, the RBAC
must grant exactly what minprow's code calls, and the Deployments must wire the
ConfigMaps, Secrets, flags and volumes together as Prow's deployments do.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from minprow.config.loader import load_config
from minprow.kube import crd
from minprow.kube._lease import LeaseClient
from minprow.kube.leader import DEFAULT_LEASE_NAME

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
MINPROW = REPO / "minprow"

Obj = dict[str, Any]

SERVE_FLAGS = frozenset(
    {
        "--config-path",
        "--job-config-path",
        "--plugin-config",
        "--hmac-secret-file",
        "--github-token-path",
        "--components",
        "--store",
        "--prow-job-context",
        "--kubeconfig",
        "--kubeconfig-dir",
        "--podutils-image",
        "--leader-elect",
        "--port",
        "--log-format",
        "--state-dir",
    }
)
"""The `minprow serve` flags the manifests may use (agreed with the integrator)."""

SECRETS = {"hmac-token": False, "github-token": False, "kubeconfig": True, "gcs-credentials": True}
"""The Secrets the operator creates (never committed), and whether each is optional."""


def _files() -> list[Path]:
    return sorted(DEPLOY.glob("*.yaml"))


def _objects() -> list[Obj]:
    return [doc for path in _files() for doc in yaml.safe_load_all(path.read_text()) if doc]


def _find(kind: str, name: str, namespace: str | None = None) -> Obj:
    for obj in _objects():
        meta = obj["metadata"]
        if obj["kind"] == kind and meta["name"] == name and meta.get("namespace") == namespace:
            return obj
    raise AssertionError(f"no {kind} {namespace}/{name} in deploy/")


def _key(obj: Obj) -> tuple[str, str, str]:
    return (obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"])


def test_every_file_parses_into_named_objects() -> None:
    assert _files(), "deploy/ has no manifests"
    keys = [_key(obj) for obj in _objects()]
    assert len(keys) == len(set(keys)), "an object is defined twice"
    for obj in _objects():
        assert {"apiVersion", "kind", "metadata"} <= obj.keys(), obj


def test_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((DEPLOY / "Kustomization").read_text())
    assert kustomization["kind"] == "Kustomization"
    assert kustomization["resources"] == [path.name for path in _files()]


def test_kubectl_kustomize_renders_the_same_objects() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed: `kubectl kustomize` cannot be checked")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(DEPLOY)], check=True, capture_output=True, text=True
    ).stdout
    assert sorted(_key(o) for o in yaml.safe_load_all(rendered) if o) == sorted(
        _key(o) for o in _objects()
    )


def _model(obj: Obj) -> Any:
    cls = getattr(client, f"V1{obj['kind']}")
    assert obj["apiVersion"].endswith("/v1") or obj["apiVersion"] == "v1", obj["apiVersion"]
    return cls.from_dict(obj)


@pytest.mark.parametrize("obj", _objects(), ids=lambda o: "/".join(_key(o)))
def test_object_round_trips_through_the_kubernetes_models(obj: Obj) -> None:
    # A field the model does not know (a typo, a wrong level) is dropped on the way.
    back = client.ApiClient().sanitize_for_serialization(_model(obj))  # type: ignore[no-untyped-call]
    assert back == obj


def test_crd_is_minprows() -> None:
    # Regenerate with:
    #   python -c "from minprow.kube.crd import crd_yaml; print(crd_yaml(), end='')" \
    #     > deploy/01-prowjob-crd.yaml
    assert (DEPLOY / "01-prowjob-crd.yaml").read_text() == crd.crd_yaml()


def test_no_secret_is_committed() -> None:
    assert [o for o in _objects() if o["kind"] == "Secret"] == []


# RBAC: what minprow's code calls, read from its source.

_CALLS: dict[str, tuple[str, str, str]] = {
    "create_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "create"),
    "get_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "get"),
    "list_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "list"),
    "replace_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "update"),
    "patch_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "patch"),
    "delete_namespaced_custom_object": ("prow.k8s.io", "prowjobs", "delete"),
    "create_namespaced_pod": ("", "pods", "create"),
    "read_namespaced_pod": ("", "pods", "get"),
    "list_namespaced_pod": ("", "pods", "list"),
    "patch_namespaced_pod": ("", "pods", "patch"),
    "delete_namespaced_pod": ("", "pods", "delete"),
    "read_namespaced_pod_log": ("", "pods/log", "get"),
    "create_namespaced_config_map": ("", "configmaps", "create"),
    "read_namespaced_config_map": ("", "configmaps", "get"),
    "list_namespaced_config_map": ("", "configmaps", "list"),
    "patch_namespaced_config_map": ("", "configmaps", "patch"),
    "replace_namespaced_config_map": ("", "configmaps", "update"),
    "delete_namespaced_config_map": ("", "configmaps", "delete"),
}
"""kubernetes client methods → (API group, resource, RBAC verb)."""

_NOT_IN_A_CLUSTER = {
    "runtime/_kind_kube.py": "minprow up's kind cluster, with the developer's own kubeconfig",
    "runtime/kind.py": "minprow up's kind cluster, with the developer's own kubeconfig",
}
"""Code that never runs under the deployments' service accounts."""


def _calls_in(path: Path) -> Iterator[tuple[str, str, str]]:
    # A method named is a method used: store/kube.py hands them to run_in_executor.
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and (rule := _CALLS.get(node.attr)):
            yield rule
        # ... or named as a string: hook/inbox/kube.py calls by name in a worker thread.
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and (rule := _CALLS.get(node.value))
        ):
            yield rule
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            rule = _CALLS.get(node.func.attr)
            watching = any(
                k.arg == "watch" and isinstance(k.value, ast.Constant) and k.value.value is True
                for k in node.keywords
            )
            if rule and watching:
                yield (rule[0], rule[1], "watch")


def _used() -> set[tuple[str, str, str]]:
    used: set[tuple[str, str, str]] = set()
    for path in MINPROW.rglob("*.py"):
        if str(path.relative_to(MINPROW)) not in _NOT_IN_A_CLUSTER:
            used.update(_calls_in(path))
    # The leader elector speaks HTTP itself (see minprow/kube/_lease.py): its calls by name.
    lease_calls = {"get": "get", "create": "create", "update": "update"}
    public = {m for m in vars(LeaseClient) if not m.startswith("_") and m != "close"}
    assert public == set(lease_calls), "LeaseClient gained a call: map it to its verb here"
    used |= {("coordination.k8s.io", "leases", verb) for verb in lease_calls.values()}
    return used


def _granted(role: str, namespace: str) -> set[tuple[str, str, str]]:
    rules = _find("Role", role, namespace)["rules"]
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _by_resource(rules: set[tuple[str, str, str]], *resources: str) -> set[tuple[str, str, str]]:
    return {rule for rule in rules if rule[1] in resources}


@pytest.mark.parametrize(
    ("namespace", "resources"),
    [
        ("prow", ("prowjobs", "leases")),
        ("test-pods", ("pods", "pods/log")),
    ],
    ids=["prow", "test-pods"],
)
def test_controllers_are_granted_exactly_what_the_code_calls(
    namespace: str, resources: tuple[str, ...]
) -> None:
    assert _granted("minprow-controllers", namespace) == _by_resource(_used(), *resources)


HOOK_NEEDS = {
    ("prow.k8s.io", "prowjobs", "create"),  # trigger and friends make jobs; the API's rerun
    ("prow.k8s.io", "prowjobs", "get"),  # the store re-reads on a conflict
    ("prow.k8s.io", "prowjobs", "list"),  # the store's cache ...
    ("prow.k8s.io", "prowjobs", "watch"),  # ... kept in sync
    ("prow.k8s.io", "prowjobs", "update"),  # the API's abort
    ("", "configmaps", "create"),  # the webhook inbox: a delivery kept before the 200 ...
    ("", "configmaps", "get"),  # ... its payload read back when handled
    ("", "configmaps", "list"),  # ... the unfinished ones replayed or adopted
    ("", "configmaps", "patch"),  # ... progress, done, a claim
    ("", "configmaps", "delete"),  # ... forgotten after a day
    ("", "configmaps", "update"),  # config-updater: a merged config file into its ConfigMap
}
HOOK_POD_READS = {
    ("", "pods", "list"),  # the API's log of a running job: its pod, from the cache ...
    ("", "pods", "watch"),
    ("", "pods/log", "get"),  # ... and the pod's log
}


@pytest.mark.parametrize(
    ("namespace", "needs"),
    [("prow", HOOK_NEEDS), ("test-pods", HOOK_POD_READS)],
    ids=["prowjobs", "pods-read-only"],
)
def test_hook_is_granted_what_it_and_the_api_call(
    namespace: str, needs: set[tuple[str, str, str]]
) -> None:
    assert _granted("minprow-hook", namespace) == needs
    assert _used() >= needs


def test_no_cluster_wide_rights() -> None:
    kinds = {o["kind"] for o in _objects()}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding"}


@pytest.mark.parametrize(
    ("role", "namespace", "account"),
    [
        ("minprow-hook", "prow", "minprow-hook"),
        ("minprow-hook", "test-pods", "minprow-hook"),
        ("minprow-controllers", "prow", "minprow-controllers"),
        ("minprow-controllers", "test-pods", "minprow-controllers"),
    ],
    ids=["hook", "hook-test-pods", "controllers-prow", "controllers-test-pods"],
)
def test_role_bound_to_its_service_account(role: str, namespace: str, account: str) -> None:
    binding = _find("RoleBinding", role, namespace)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role,
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": account, "namespace": "prow"}]
    _find("ServiceAccount", account, "prow")


# The configuration and the Deployments.


def _config_files(tmp: Path) -> tuple[Path, Path, Path]:
    config = tmp / "config.yaml"
    config.write_text(_find("ConfigMap", "config", "prow")["data"]["config.yaml"])
    jobs = tmp / "job-config"
    jobs.mkdir()
    for name, text in _find("ConfigMap", "job-config", "prow")["data"].items():
        (jobs / name).write_text(text)
    plugins = tmp / "plugins.yaml"
    plugins.write_text(_find("ConfigMap", "plugins", "prow")["data"]["plugins.yaml"])
    return config, jobs, plugins


def test_configmaps_load_and_name_the_namespaces(tmp_path: Path) -> None:
    config = load_config(*_config_files(tmp_path), strict=True)
    assert (config.prowjob_namespace, config.pod_namespace) == ("prow", "test-pods")
    for namespace in (config.prowjob_namespace, config.pod_namespace):
        _find("Namespace", namespace)


def _flags(container: Obj) -> dict[str, str]:
    args = container["args"]
    assert args[0] == "serve"
    flags: dict[str, str] = {}
    for arg in args[1:]:
        name, _, value = arg.partition("=")
        flags[name] = value
    return flags


DEPLOYMENTS = [
    # name, replicas, components, leader-elected, Secrets mounted
    ("minprow-hook", 2, "hook", False, {"hmac-token", "github-token"}),
    (
        "minprow-controllers",
        2,
        "horologium,plank,sinker,crier",
        True,
        {"github-token", "kubeconfig", "gcs-credentials"},
    ),
]


@pytest.mark.parametrize(
    ("name", "replicas", "components", "elected", "secrets"),
    DEPLOYMENTS,
    ids=[row[0] for row in DEPLOYMENTS],
)
def test_deployment(
    name: str, replicas: int, components: str, elected: bool, secrets: set[str]
) -> None:
    deployment = _find("Deployment", name, "prow")
    spec = deployment["spec"]
    pod = spec["template"]["spec"]
    assert spec["replicas"] == replicas
    assert spec["selector"]["matchLabels"].items() <= spec["template"]["metadata"]["labels"].items()
    assert pod["serviceAccountName"] == name
    (container,) = pod["containers"]
    flags = _flags(container)
    assert set(flags) <= SERVE_FLAGS, set(flags) - SERVE_FLAGS
    assert flags["--components"] == components
    assert flags["--store"] == "kube"
    assert ("--leader-elect" in flags) == elected
    assert "--prow-job-context" not in flags  # in-cluster: the pod's own service account
    assert flags["--port"] == "8888"
    assert flags["--log-format"] == "json"

    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}

    def source(path: str) -> Obj:
        """The volume that holds `path`, by the longest mount path containing it."""
        holders = [m for m in mounts if path == m or path.startswith(m.rstrip("/") + "/")]
        assert holders, f"{path} is on no volume"
        found: Obj = mounts[max(holders, key=len)]
        return found

    assert source(flags["--config-path"]) == {"name": "config", "configMap": {"name": "config"}}
    assert flags["--config-path"] == "/etc/config/config.yaml"
    assert source(flags["--job-config-path"])["configMap"] == {"name": "job-config"}
    assert flags["--job-config-path"] == "/etc/job-config"
    assert source(flags["--plugin-config"])["configMap"] == {"name": "plugins"}
    assert flags["--plugin-config"] == "/etc/plugins/plugins.yaml"
    assert source(flags["--github-token-path"])["secret"]["secretName"] == "github-token"
    if "--hmac-secret-file" in flags:
        assert source(flags["--hmac-secret-file"])["secret"]["secretName"] == "hmac-token"
    if "--kubeconfig-dir" in flags:
        assert source(flags["--kubeconfig-dir"])["secret"]["secretName"] == "kubeconfig"
    if "--podutils-image" in flags:
        assert flags["--podutils-image"] == container["image"]

    mounted = {v["secret"]["secretName"]: v["secret"] for v in volumes.values() if "secret" in v}
    assert set(mounted) == secrets
    for secret, options in mounted.items():
        assert options.get("optional", False) == SECRETS[secret], secret

    # Read-only root: the state dir and /tmp are the only writable places.
    assert source(flags["--state-dir"]) == {"name": "state", "emptyDir": {}}
    assert source("/tmp") == {"name": "tmp", "emptyDir": {}}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8888}]
    assert {"cpu", "memory"} <= container["resources"]["requests"].keys()


def test_controllers_have_time_to_hand_over() -> None:
    # Stopping the controllers in order and releasing the Lease must fit in the
    # grace period, or the next leader waits the whole lease duration instead.
    pod = _find("Deployment", "minprow-controllers", "prow")["spec"]["template"]["spec"]
    assert pod["terminationGracePeriodSeconds"] >= 30
    assert DEFAULT_LEASE_NAME == "minprow-controllers"
    assert ("coordination.k8s.io", "leases", "update") in _granted("minprow-controllers", "prow")


def test_service_routes_port_8888_to_the_hook() -> None:
    service = _find("Service", "hook", "prow")
    hook = _find("Deployment", "minprow-hook", "prow")
    labels = hook["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"] == [{"name": "http", "port": 8888, "targetPort": "http"}]

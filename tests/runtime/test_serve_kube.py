"""End to end: `minprow serve --store kube` as a child process against fake
Kubernetes API servers (tests/fakekube.py): ProwJob custom resources created as
`kubectl` would, pods in federated build clusters, the controllers' Lease handed
over between two replicas, kubeconfigs re-read while running, and bad flags
refused with a message instead of a traceback.

What Prow's plank does against a build cluster (pkg/plank/reconciler.go), with
Prow's cluster flags (pkg/flagutil/kubernetes_cluster_clients.go) and client-go's
leader election (tools/leaderelection), seen from outside the process: through
the API servers' state, the serve process's HTTP API, its exit code and log.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from runtime_helpers import UpProcess
from servekube_helpers import (
    CONFIG,
    FIXTURES,
    JOBS,
    POD_NAMESPACE,
    PODUTILS_IMAGE,
    Cluster,
    Obj,
    api_when_up,
    clusters,
    create_prowjob,
    ended,
    kubeconfig,
    mkpj,
    patch_prowjob,
    poll,
    serve,
)

RunMinprow = Callable[..., subprocess.CompletedProcess[str]]
"""tests/runtime/conftest.py's `minprow` fixture: the CLI as a subprocess."""


PODS = [
    pytest.param("unit-default", ["test"], [], id="plain"),
    pytest.param(
        "unit-decorated", ["test", "sidecar"], ["initupload", "place-entrypoint"], id="decorated"
    ),
]


@pytest.mark.parametrize(("job", "containers", "inits"), PODS)
def test_a_prowjob_created_with_kubectl_runs_as_a_pod_and_succeeds(
    tmp_path: Path, job: str, containers: list[str], inits: list[str]
) -> None:
    with clusters("service") as fakes:
        service = fakes["service"]
        config = kubeconfig(tmp_path / "kubeconfig", {"default": service})
        process = serve(tmp_path, "--kubeconfig", str(config), "--prow-job-context", "default")
        try:
            process.wait_for("minprow is up")
            name = create_prowjob(config, "default", mkpj(job))
            pod = poll("the job's pod", lambda: service.pod(name))
            pending = _finished(service, name, "pending")
            labels = pod["metadata"]["labels"]
            assert pod["metadata"]["namespace"] == POD_NAMESPACE
            assert labels["prow.k8s.io/job"] == job
            assert labels["prow.k8s.io/id"] == name
            assert labels["prow.k8s.io/build-id"] == pending["status"]["build_id"]
            assert labels["created-by-prow"] == "true"
            assert labels["prow.k8s.io/type"] == "periodic"
            assert pod["spec"]["restartPolicy"] == "Never"
            assert [c["name"] for c in pod["spec"]["containers"]] == containers
            assert [c["name"] for c in pod["spec"].get("initContainers", [])] == inits
            utilities = pod["spec"]["containers"][1:] + pod["spec"].get("initContainers", [])
            assert {c["image"] for c in utilities} <= {PODUTILS_IMAGE}
            env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
            assert (env["JOB_NAME"], env["PROW_JOB_ID"]) == (job, name)
            service.kubelet(name, "Running")
            service.kubelet(name, "Succeeded")
            done = _finished(service, name, "success")
            assert done["status"]["completionTime"]
            assert done["status"]["pod_name"] == name

            # The API serves serve's own store, which follows the cluster's ProwJobs
            # about once a second: it catches up with the fake's state, not at once.
            def served_state() -> str | None:
                listed = api_when_up(process, "/prowjobs.js")
                [mine] = [pj for pj in listed["items"] if pj["metadata"]["name"] == name]
                state: str = mine["status"]["state"]
                return state if state == "success" else None

            assert poll("the API to serve the job as succeeded", served_state) == "success"
            assert process.stop() == 0
        finally:
            ended(process)


def _finished(cluster: Cluster, name: str, state: str) -> Obj:
    """The ProwJob `name` in the service cluster once it reached `state`."""

    def probe() -> Obj | None:
        pj = cluster.prowjob(name)
        return pj if pj and pj["status"]["state"] == state else None

    return poll(f"ProwJob {name} {state}", probe)


def _run_pod(build: Cluster, service: Cluster, name: str) -> Obj:
    """The kubelet runs the job's pod in `build` to success; the job's final state."""
    poll(f"pod {name} in {build.name}", lambda: build.pod(name))
    build.kubelet(name, "Running")
    build.kubelet(name, "Succeeded")
    return _finished(service, name, "success")


def test_jobs_run_in_the_build_cluster_they_name(tmp_path: Path) -> None:
    with clusters("service", "build2") as fakes:
        service, build2 = fakes["service"], fakes["build2"]
        first = kubeconfig(tmp_path / "service.yaml", {"default": service})
        second = kubeconfig(tmp_path / "build2.yaml", {"build2": build2}, current="")
        process = serve(
            tmp_path,
            "--kubeconfig", str(first), "--kubeconfig", str(second),
            "--prow-job-context", "default",
        )  # fmt: skip
        try:
            process.wait_for("minprow is up")
            there = create_prowjob(first, "default", mkpj("unit-build2"))
            lost = create_prowjob(first, "default", mkpj("unit-nosuch"))
            here = create_prowjob(first, "default", mkpj("unit-default"))
            assert _run_pod(build2, service, there)["status"]["completionTime"]
            assert _run_pod(service, service, here)["status"]["completionTime"]
            assert [p["metadata"]["name"] for p in build2.pods()] == [there]
            assert [p["metadata"]["name"] for p in service.pods()] == [here]
            error = _finished(service, lost, "error")
            assert "'nosuch'" in error["status"]["description"]
            assert error["status"]["completionTime"]
            health = api_when_up(process, "/api/v1/clusters")
            for name in ("default", "build2"):
                assert health[name]["executor"] == f"kubernetes/{name}"
                assert health[name]["reachable"] is True
            assert health["nosuch"]["executor"] is None
            assert "nosuch" in health["nosuch"]["last_error"]
            assert process.stop() == 0
        finally:
            ended(process)


def test_a_black_holed_build_cluster_holds_up_only_its_own_jobs(tmp_path: Path) -> None:
    with clusters("service", "build2") as fakes:
        service, build2 = fakes["service"], fakes["build2"]
        config = kubeconfig(tmp_path / "kubeconfig", {"default": service, "build2": build2})
        process = serve(tmp_path, "--kubeconfig", str(config), "--prow-job-context", "default")
        try:
            process.wait_for("minprow is up")
            build2.thread.call(setattr, build2.thread.fake, "unreachable", True)
            stuck = create_prowjob(config, "default", mkpj("unit-build2"))
            here = create_prowjob(config, "default", mkpj("unit-default"))
            assert _run_pod(service, service, here)["status"]["completionTime"]

            def build2_down() -> Obj | None:
                health: Obj = api_when_up(process, "/api/v1/clusters")["build2"]
                return health if health["reachable"] is False else None

            assert poll("build2 unreachable in /api/v1/clusters", build2_down)["last_error"]
            assert build2.pods() == []
            assert (service.prowjob(stuck) or {})["status"]["state"] == "triggered"
            build2.thread.call(setattr, build2.thread.fake, "unreachable", False)
            assert _run_pod(build2, service, stuck)["status"]["completionTime"]
            assert process.stop() == 0
        finally:
            ended(process)


def test_a_prowjob_aborted_with_kubectl_has_its_pod_deleted(tmp_path: Path) -> None:
    with clusters("service") as fakes:
        service = fakes["service"]
        config = kubeconfig(tmp_path / "kubeconfig", {"default": service})
        process = serve(tmp_path, "--kubeconfig", str(config), "--prow-job-context", "default")
        try:
            process.wait_for("minprow is up")
            name = create_prowjob(config, "default", mkpj("unit-default"))
            poll("the job's pod", lambda: service.pod(name))
            service.kubelet(name, "Running")
            aborted = {"status": {"state": "aborted", "description": "aborted by a user"}}
            patch_prowjob(config, "default", name, aborted)
            poll("the pod deleted", lambda: service.pod(name) is None)
            done = poll(
                "completionTime",
                lambda: (service.prowjob(name) or {})["status"].get("completionTime"),
            )
            assert done
            assert (service.prowjob(name) or {})["status"]["state"] == "aborted"
            assert process.stop() == 0
        finally:
            ended(process)


def _identity(process: UpProcess) -> str:
    """The Lease identity `serve` announced at start-up."""
    line = process.wait_for("controllers run while ")
    return line.split("controllers run while ")[1].split(" holds lease")[0]


def _pod_creations(cluster: Cluster) -> list[str]:
    """Every pod creation the API server received (from any process)."""
    return cluster.thread.call(
        lambda: [
            path
            for method, path in cluster.thread.fake.requests
            if method == "POST" and f"/namespaces/{POD_NAMESPACE}/pods" in path
        ]
    )


HANDOVERS = [
    # SIGTERM: the leader stops its controllers, releases the Lease and exits 0;
    # the follower takes it at its next retry.
    pytest.param(signal.SIGTERM, 0, "released lease", id="sigterm-releases"),
    # SIGKILL: nothing is released; the follower takes the Lease once it has
    # seen it unrenewed for its leaseDurationSeconds (15 s).
    pytest.param(signal.SIGKILL, -signal.SIGKILL, None, id="sigkill-expires"),
]


@pytest.mark.parametrize(("sig", "code", "said"), HANDOVERS)
def test_one_replica_leads_and_hands_over(
    tmp_path: Path, sig: signal.Signals, code: int, said: str | None
) -> None:
    with clusters("service") as fakes:
        service = fakes["service"]
        config = kubeconfig(tmp_path / "kubeconfig", {"default": service})
        flags = ("--kubeconfig", str(config), "--prow-job-context", "default", "--leader-elect")
        one = serve(tmp_path, *flags, name="one")
        two = serve(tmp_path, *flags, name="two")
        try:
            replicas = {_identity(one): one, _identity(two): two}
            holder = poll("a Lease holder", service.lease_holder)
            leader = replicas.pop(holder)
            [(follower_id, follower)] = replicas.items()
            first = create_prowjob(config, "default", mkpj("unit-default"))
            poll("the first job's pod", lambda: service.pod(first))
            _finished(service, first, "pending")
            assert len(_pod_creations(service)) == 1
            assert leader.stop(sig) == code
            if said is not None:
                leader.wait_for(said)
            poll("the follower holds the Lease", lambda: service.lease_holder() == follower_id)
            follower.wait_for("acquired lease")
            # The pod the old leader made is adopted, not made again.
            assert _run_pod(service, service, first)["status"]["pod_name"] == first
            second = create_prowjob(config, "default", mkpj("unit-default"))
            _run_pod(service, service, second)
            assert sorted(p["metadata"]["name"] for p in service.pods()) == sorted([first, second])
            assert len(_pod_creations(service)) == 2
            assert follower.stop() == 0
        finally:
            ended(one)
            ended(two)


def test_a_cluster_added_to_the_kubeconfig_dir_runs_jobs_without_a_restart(
    tmp_path: Path,
) -> None:
    with clusters("service", "build2") as fakes:
        service, build2 = fakes["service"], fakes["build2"]
        mounted = tmp_path / "kubeconfigs"
        mounted.mkdir()
        kubeconfig(mounted / "service.yaml", {"default": service})
        process = serve(tmp_path, "--kubeconfig-dir", str(mounted), "--prow-job-context", "default")
        try:
            process.wait_for("minprow is up")
            # Written aside and renamed in, as a Secret volume's update appears at once.
            staged = kubeconfig(tmp_path / "build2.yaml", {"build2": build2}, current="")
            staged.rename(mounted / "build2.yaml")
            process.wait_for("build clusters now: build2, default")
            name = create_prowjob(mounted / "service.yaml", "default", mkpj("unit-build2"))
            assert _run_pod(build2, service, name)["status"]["completionTime"]
            assert service.pods() == []
            assert process.stop() == 0
        finally:
            ended(process)


BAD_FLAGS = [
    pytest.param(
        ["--kubeconfig", str(FIXTURES / "ok.yaml"), "--prow-job-context", "nosuch"],
        ["--prow-job-context 'nosuch'", "known: build, default, in-cluster"],
        id="unknown-prow-job-context",
    ),
    pytest.param(
        ["--kubeconfig", str(FIXTURES / "lost-cluster.yaml")],
        [str(FIXTURES / "lost-cluster.yaml"), "context 'build' names no known cluster"],
        id="context-without-cluster",
    ),
    pytest.param(
        ["--kubeconfig", str(FIXTURES / "not-yaml.yaml")],
        [str(FIXTURES / "not-yaml.yaml"), "line 3"],
        id="not-yaml",
    ),
    pytest.param(
        ["--kubeconfig-dir", str(FIXTURES / "collide")],
        [f"context 'build' is defined in both {FIXTURES}/collide/a.yaml and "],
        id="context-defined-twice",
    ),
    pytest.param(
        [],
        ["not in a pod and no current-context in the kubeconfigs"],
        id="no-kubeconfig-off-cluster",
    ),
    pytest.param(
        ["--kubeconfig", str(FIXTURES / "ok.yaml"), "--cluster", "build=docker"],
        ["--cluster maps clusters to local executors"],
        id="local-executor-with-kube",
    ),
    pytest.param(
        ["--kubeconfig", str(FIXTURES / "ok.yaml")],
        ["cannot open the job store", "Connection refused"],
        id="service-cluster-refuses",
    ),
]


@pytest.mark.parametrize(("flags", "said"), BAD_FLAGS)
def test_bad_kube_flags_exit_with_a_message(
    tmp_path: Path, minprow: RunMinprow, flags: list[str], said: list[str]
) -> None:
    done = minprow(
        "serve", "--state-dir", tmp_path, "--store", "kube", "--components", "plank",
        "--config-path", CONFIG, "--job-config-path", JOBS, *flags,
    )  # fmt: skip
    assert done.returncode != 0
    for text in said:
        assert text in done.stderr
    assert "Traceback" not in done.stderr + done.stdout

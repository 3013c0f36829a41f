"""`minprow serve --rotate-build-credentials` end to end: a build cluster whose
gencred token lives 15 s keeps running jobs across three renewals, one of which
fails once, with no restart and no request ever made with an expired token."""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from pathlib import Path

import yaml
from fakekube import write_kubeconfig
from fakekube_auth import ADMIN_TOKEN
from runtime_helpers import UpProcess
from servekube_helpers import (
    api_when_up,
    clusters,
    create_prowjob,
    ended,
    kubeconfig,
    mkpj,
    poll,
    serve,
)

from minprow.kube.gencred import Request
from minprow.kube.kubeconfig import jwt_expiry
from minprow.runtime import gencred_cmd

LIFETIME = timedelta(seconds=15)
"""A token's life, compressed from GKE's 48 h (the fake allows short ones)."""


def _metrics(process: UpProcess) -> dict[str, float]:
    url = f"http://127.0.0.1:{process.port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def _token(path: Path) -> str:
    return str(yaml.safe_load(path.read_text())["users"][0]["user"]["token"])


def test_serve_renews_a_build_clusters_token_without_a_restart(tmp_path: Path) -> None:
    with clusters("service", "build2") as fakes:
        service, build2 = fakes["service"], fakes["build2"]
        auth = build2.thread.fake.auth
        auth.min_token_seconds = 1
        auth.enabled = True
        admin = write_kubeconfig(tmp_path / "admin.yaml", {"build2": build2.url}, token=ADMIN_TOKEN)
        build = tmp_path / "build2.yaml"
        request = Request(duration=LIFETIME, role="minimal")
        assert gencred_cmd.main(admin, "build2", gencred_cmd.Target("build2", build), request) == 0
        first = kubeconfig(tmp_path / "service.yaml", {"default": service})
        process = serve(
            tmp_path,
            "--kubeconfig", str(first), "--kubeconfig", str(build),
            "--prow-job-context", "default", "--rotate-build-credentials",
        )  # fmt: skip
        try:
            process.wait_for("minprow is up")
            tokens = [_token(build)]
            for renewal in range(3):
                if renewal == 1:
                    build2.thread.call(setattr, auth, "fail_token_requests", 1)
                name = create_prowjob(first, "default", mkpj("unit-build2"))
                poll(f"pod {name} in build2", lambda n=name: build2.pod(n))
                build2.kubelet(name, "Running")
                build2.kubelet(name, "Succeeded")
                poll(
                    f"ProwJob {name} success",
                    lambda n=name: (
                        (service.prowjob(n) or {}).get("status", {}).get("state") == "success"
                    ),
                )
                if renewal == 1:
                    process.wait_for("cannot renew the token of build cluster build2", 30)
                process.wait_for("renewed the token of build cluster build2", 30)
                tokens.append(_token(build))
            assert len(set(tokens)) == 4
            health = api_when_up(process, "/api/v1/clusters")
            rotation = health["build2"]["rotation"]
            assert (rotation["failures"], rotation["failures_total"]) == (0, 1)
            # This process runs no hook: /metrics is its own, with the credentials.
            metrics = _metrics(process)
            expires = jwt_expiry(tokens[-1])
            assert expires is not None
            assert metrics[
                'minprow_build_credentials_expiry_timestamp_seconds{cluster="build2"}'
            ] == (expires.timestamp())
            assert (
                metrics['minprow_build_credentials_rotation_failures_total{cluster="build2"}'] == 1
            )
            assert build2.thread.call(lambda: auth.rejected) == 0
            log = "".join(process.lines)
            assert all(token not in log for token in tokens)
            assert process.stop() == 0
        finally:
            ended(process)

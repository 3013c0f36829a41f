"""Warnings for build-cluster credentials about to expire that nothing renews
(kube/expiry.py): which contexts, said once per credential and stage."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import sys
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import T0, VirtualClock

from minprow.kube.expiry import EXPIRY_WARNING, ExpiryWarnings, expiring_unrotated
from minprow.kube.kubeconfig import ServiceAccount
from minprow.kube.kubeconfig_agent import ClusterConfigAgent
from minprow.kube.tokens import Marker

HOUR = timedelta(hours=1)
MARKER = Marker("default", "prow-build", 48 * HOUR)


def jwt(lives: timedelta) -> str:
    """A token issued at T0 that expires `lives` later."""

    def part(claims: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    iat = int(T0.timestamp())
    exp = int((T0 + lives).timestamp())
    return f"{part({'alg': 'RS256'})}.{part({'iat': iat, 'exp': exp})}.signature"


def exec_user() -> dict[str, Any]:
    """An exec plugin's user (GKE's gke-gcloud-auth-plugin): an hour-long token."""
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": "from-exec", "expirationTimestamp": (T0 + HOUR).isoformat()},
    }
    return {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": ["-c", f"print({json.dumps(json.dumps(credential))})"],
            "interactiveMode": "Never",
        }
    }


def write(path: Path, users: dict[str, dict[str, Any]], marked: Collection[str] = ()) -> Path:
    """A kubeconfig with one context per user; `marked` ones carry gencred's marker."""

    def context(name: str) -> dict[str, Any]:
        body: dict[str, Any] = {"cluster": name, "user": name}
        if name in marked:
            body["extensions"] = [MARKER.to_extension()]
        return {"name": name, "context": body}

    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": n, "cluster": {"server": f"https://{n}:6443"}} for n in users],
        "users": [{"name": n, "user": u} for n, u in users.items()],
        "contexts": [context(n) for n in users],
        "current-context": next(iter(users)),
    }
    path.write_text(yaml.safe_dump(doc))
    return path


NOBODY = ServiceAccount(Path("/nonexistent/token"), Path("/nonexistent/ca.crt"))
SA_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "kube" / "serviceaccount"
POD_ENV = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}


@pytest.mark.parametrize(
    ("user", "marked", "rotating", "hours_on", "warned"),
    [
        ({"token": jwt(48 * HOUR)}, False, False, 40, "not written by `minprow gencred`"),
        ({"token": jwt(48 * HOUR)}, True, False, 40, "rotation is off"),
        ({"token": jwt(48 * HOUR)}, True, True, 40, None),
        ({"token": jwt(48 * HOUR)}, False, True, 20, None),
        ({"token": jwt(48 * HOUR)}, False, True, 49, "expired"),
        ({"token": "opaque"}, False, False, 40, None),
        (exec_user(), False, False, 0, None),
    ],
    ids=[
        "unmarked",
        "marked-not-rotating",
        "rotated",
        "far-off",
        "already-expired",
        "expiry-unknown",
        "exec-plugin-renews",
    ],
)
def test_which_credentials_are_warned_about(
    tmp_path: Path,
    user: dict[str, Any],
    marked: bool,
    rotating: bool,
    hours_on: float,
    warned: str | None,
) -> None:
    path = write(tmp_path / "k", {"build": user}, {"build"} if marked else set())
    configs = ClusterConfigAgent([path], service_account=NOBODY).get()
    # `default` and `in-cluster` are aliases of `build` here: said once, for build.
    lines = expiring_unrotated(configs, T0 + hours_on * HOUR, rotating, EXPIRY_WARNING)
    if warned is None:
        assert lines == []
    else:
        assert len(lines) == 1
        assert warned in lines[0]
        assert f"build cluster build ({path})" in lines[0]
        assert user["token"] not in lines[0]


def test_the_pods_own_token_is_the_kubelets_to_renew(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(jwt(HOUR))
    shutil.copy(SA_DIR / "ca.crt", tmp_path / "ca.crt")
    sa = ServiceAccount(tmp_path / "token", tmp_path / "ca.crt", environ=POD_ENV)
    build = write(tmp_path / "k", {"build": {"token": jwt(48 * HOUR)}})
    configs = ClusterConfigAgent([build], service_account=sa).get()
    assert configs["in-cluster"].expires_at == T0 + HOUR
    lines = expiring_unrotated(configs, T0 + 30 * HOUR, False, EXPIRY_WARNING)
    assert [line.split(" (")[0] for line in lines] == ["the credentials of build cluster build"]


def test_serve_says_each_warning_once_per_credential_and_stage(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="minprow.kube.expiry")
    path = write(tmp_path / "k", {"build": {"token": jwt(48 * HOUR)}})
    agent = ClusterConfigAgent([path], service_account=NOBODY)
    clock = VirtualClock(T0)
    warnings = ExpiryWarnings(agent.get, clock, rotating=False)
    steps = [
        (20 * HOUR, 0, "far off"),
        (5 * HOUR, 1, "inside the day: said"),
        (10 * HOUR, 0, "said already"),
        (14 * HOUR, 1, "expired: said again"),
        (HOUR, 0, "said already"),
    ]
    for advance, said, why in steps:
        clock.advance(advance)
        assert len(warnings.check()) == said, why
    # New credentials (a new token by hand) that also near their end: a new warning.
    write(tmp_path / "k", {"build": {"token": jwt(60 * HOUR)}})
    agent.check()
    assert len(warnings.check()) == 1
    assert len([r for r in caplog.records if "build cluster build" in r.getMessage()]) == 3

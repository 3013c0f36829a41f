"""`minprow check-config --kubeconfig ...` warns of build-cluster credentials that
expire within a day and that nothing renews, run as a user runs it; never fails
on them (credentials are not config) and never prints a token."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import RunMinprow

from minprow.kube.tokens import Marker

CLUSTERS = Path("fixtures") / "config" / "clusters"
CONFIG = ["--config-path", CLUSTERS / "config.yaml", "--job-config-path", CLUSTERS / "jobs.yaml"]


def _jwt(lives: timedelta) -> str:
    exp = int((datetime.now(UTC) + lives).timestamp())
    payload = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).rstrip(b"=")
    return f"e30.{payload.decode()}.signature-of-{exp}"


def _kubeconfig(path: Path, lives: dict[str, timedelta], marked: str) -> dict[str, str]:
    """`build` and `gpu` (the fixture jobs' clusters), each with its token's life;
    `marked` carries gencred's marker. The tokens, by context."""
    tokens = {name: _jwt(life) for name, life in lives.items()}
    marker = Marker("default", "prow-build", timedelta(hours=48)).to_extension()

    def context(name: str) -> dict[str, object]:
        extensions = {"extensions": [marker]} if name == marked else {}
        return {"name": name, "context": {"cluster": name, "user": name, **extensions}}

    doc = {
        "clusters": [{"name": n, "cluster": {"server": f"https://{n}:6443"}} for n in tokens],
        "users": [{"name": n, "user": {"token": t}} for n, t in tokens.items()],
        "contexts": [context(n) for n in tokens],
        "current-context": "build",
    }
    path.write_text(yaml.safe_dump(doc))
    return tokens


H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("lives", "marked", "strict", "warned"),
    [
        ({"build": 2 * H, "gpu": 30 * 24 * H}, "", False, ["build"]),
        ({"build": 2 * H, "gpu": 2 * H}, "gpu", False, ["build"]),
        ({"build": -H, "gpu": 2 * H}, "", True, ["build", "gpu"]),
        ({"build": 25 * H, "gpu": 48 * H}, "", False, []),
    ],
    ids=["one-expiring", "gencred-context-is-renewed", "strict-still-valid", "none-within-a-day"],
)
def test_check_config_warns_of_credentials_about_to_expire(
    minprow: RunMinprow,
    tmp_path: Path,
    lives: dict[str, timedelta],
    marked: str,
    strict: bool,
    warned: list[str],
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    tokens = _kubeconfig(kubeconfig, lives, marked)
    flags = ["--strict"] if strict else []
    result = minprow("check-config", *CONFIG, "--kubeconfig", kubeconfig, *flags)
    assert result.returncode == 0, result.stderr
    assert "config is valid" in result.stdout
    lines = [line for line in result.stderr.splitlines() if "credentials of build cluster" in line]
    assert [line.split()[6] for line in lines] == warned
    for line in lines:
        assert line.startswith("warning: ")
        assert f"({kubeconfig})" in line
    assert ("expired" in result.stderr) == (lives["build"] < timedelta(0))
    for token in tokens.values():
        assert token not in result.stdout + result.stderr

"""`minprow crd`: the manifest printed as deploy/ ships it, and `--install` against the fake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fakekube import FakeKubeThread

from minprow.cli import main
from minprow.kube.crd import NAME

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fake() -> Iterator[FakeKubeThread]:
    with FakeKubeThread() as server:
        yield server


def _kubeconfig(path: Path, url: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "svc", "cluster": {"server": url}}],
                "users": [{"name": "admin", "user": {"token": "t0ken"}}],
                "contexts": [{"name": "svc", "context": {"cluster": "svc", "user": "admin"}}],
                "current-context": "svc",
            }
        )
    )
    return path


def test_prints_the_manifest_deploy_ships() -> None:
    result = CliRunner().invoke(main, ["crd"])
    assert result.exit_code == 0
    assert result.output == (REPO / "deploy" / "01-prowjob-crd.yaml").read_text()


def test_install_creates_once(fake: FakeKubeThread, tmp_path: Path) -> None:
    config = str(_kubeconfig(tmp_path / "kubeconfig", fake.url))
    args = ["crd", "--install", "--kubeconfig", config, "--prow-job-context", "svc"]
    first = CliRunner().invoke(main, args)
    second = CliRunner().invoke(main, args)
    assert (first.exit_code, first.output) == (0, "ProwJob CRD created\n")
    assert (second.exit_code, second.output) == (0, "ProwJob CRD already installed\n")
    assert NAME in fake.fake.crds


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ("nosuch", "--prow-job-context 'nosuch': no such context in the kubeconfigs"),
    ],
    ids=["unknown-context"],
)
def test_install_errors_are_one_line(
    fake: FakeKubeThread, tmp_path: Path, context: str, message: str
) -> None:
    config = str(_kubeconfig(tmp_path / "kubeconfig", fake.url))
    result = CliRunner().invoke(
        main, ["crd", "--install", "--kubeconfig", config, "--prow-job-context", context]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output

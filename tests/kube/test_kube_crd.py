"""minprow's ProwJob CRD: Prow's identity (group, version, kind, names, scope, columns)
and a schema minprow's own ProwJobs validate against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from fakekube import FakeKubeThread
from kubernetes import client

from minprow.kube import crd
from minprow.model import ProwJob

PROW_CRD = Path("/work/shared/prow/prowjob_customresourcedefinition.yaml")


@pytest.fixture(scope="module")
def prow_crd() -> dict[str, Any]:
    if not PROW_CRD.is_file():
        pytest.skip(f"Prow's ProwJob CRD not found at {PROW_CRD} (the shared reference data)")
    loaded: dict[str, Any] = yaml.safe_load(PROW_CRD.read_text())
    return loaded


def test_identity_matches_prows(prow_crd: dict[str, Any]) -> None:
    ours = crd.crd()
    assert ours["metadata"]["name"] == prow_crd["metadata"]["name"]
    for key in ("group", "names", "scope"):
        assert ours["spec"][key] == prow_crd["spec"][key], key
    (version,) = ours["spec"]["versions"]
    (theirs,) = prow_crd["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == (
        theirs["name"],
        theirs["served"],
        theirs["storage"],
    )
    assert version["additionalPrinterColumns"] == theirs["additionalPrinterColumns"]
    assert "status" not in (version.get("subresources") or {})  # status written with the object


def test_yaml_round_trips() -> None:
    assert yaml.safe_load(crd.crd_yaml()) == crd.crd()


def _job() -> ProwJob:
    return ProwJob.model_validate(
        {
            "metadata": {"name": "a", "labels": {"prow.k8s.io/job": "unit"}},
            "spec": {
                "type": "presubmit",
                "job": "unit",
                "refs": {
                    "org": "o",
                    "repo": "r",
                    "pulls": [{"number": 1, "author": "a", "sha": "b"}],
                },
                "pod_spec": {"containers": [{"name": "test", "image": "golang"}]},
                "future_field": {"kept": True},
            },
            "status": {"state": "pending", "startTime": "2024-05-01T10:00:00Z"},
        }
    )


@pytest.mark.parametrize("which", ["minprow", "prow"])
def test_minprows_prowjobs_validate(which: str, prow_crd: dict[str, Any]) -> None:
    source = crd.crd() if which == "minprow" else prow_crd
    schema = source["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    jsonschema.validate(_job().to_wire(), schema)


def test_install_creates_once() -> None:
    with FakeKubeThread() as server:
        conf = client.Configuration()
        conf.host = server.url
        api = client.ApiextensionsV1Api(client.ApiClient(conf))
        assert crd.install(api) is True
        assert crd.install(api) is False
        assert server.fake.crds[crd.NAME]["spec"]["names"]["kind"] == "ProwJob"

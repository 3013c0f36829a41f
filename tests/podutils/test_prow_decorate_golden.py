"""Prow's own expectations of pod decoration, checked against minprow's
kubernetes executor pod (`podspec.pod_for`).

The golden files of Prow's pkg/pod-utils/decorate/testdata are copied unchanged
into fixtures/podutils/prow/decorate/testdata, with the inputs of each Go case
(podspec_test.go) transcribed beside them as YAML:

| Prow test | minprow under test | golden |
| --- | --- | --- |
| TestProwJobToPod | `pod_for` | TestProwJobToPod_<n>.yaml (a whole pod) |
| TestDecorate | `_Decorator.decorate` (Prow's unexported `decorate`) | zz_fixture_TestDecorate_*.yaml (a pod spec) |
| TestSidecar | `_Decorator._sidecar` (Prow's `Sidecar`) | zz_fixture_TestSidecar_*.yaml (a container) |
| TestProwJobToPod_setsTerminationGracePeriodSeconds | `_Decorator.decorate` | (values in the Go table) |

minprow differs from Prow on purpose in one way, and only that is normalised
(`_as_minprow` rewrites Prow's expectation into minprow's):

- one utility image instead of Prow's four. The `clonerefs`, `initupload`,
  `place-entrypoint` and `sidecar` containers run minprow's own image as
  `minprow podutils <name>` (Prow's images carry their binary as entrypoint,
  so Prow sets no command), and `place-entrypoint` writes its wrapper with
  `--copy-destination /tools/entrypoint` where Prow's entrypoint image copies
  itself with `--copy-mode-only`. The job's `decoration_config.utility_images`
  are therefore not the containers' images (they still reach `JOB_SPEC`).

What Go's YAML writer adds and Kubernetes reads as absent is dropped from both
sides (`_drop_zero`): `creationTimestamp: null`, `status: {}`, `resources: {}`
and an env var's empty `value`. The pod's `apiVersion`, `kind` and `namespace`
are minprow's own: Prow's `ProwJobToPod` returns a Go object without type
meta, and plank sets the namespace after it.

Everything else is compared whole: containers and their order, volumes,
mounts, env and its order, args, labels and annotations, security context and
scheduling, with the JSON of `$CLONEREFS_OPTIONS`, `$INITUPLOAD_OPTIONS`,
`$ENTRYPOINT_OPTIONS` and `$SIDECAR_OPTIONS` compared as parsed objects and
`$JOB_SPEC` as text (a job may compare it byte for byte).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from minprow.model import DecorationConfig, ProwJob
from minprow.podutils import options as opts
from minprow.podutils import podspec
from minprow.podutils.podspec import pod_for
from minprow.podutils.render import render

PROW = Path(__file__).parents[2] / "fixtures" / "podutils" / "prow" / "decorate"
IMAGE = "registry.example/minprow:v1"
UTILITIES = ("clonerefs", "initupload", "place-entrypoint", "sidecar")
OPTIONS = (
    opts.CLONEREFS_OPTIONS,
    opts.INITUPLOAD_OPTIONS,
    opts.ENTRYPOINT_OPTIONS,
    opts.SIDECAR_OPTIONS,
)


def _inputs(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PROW / f"{name}.yaml").read_text())
    return data


def _golden(name: str) -> Any:
    return yaml.safe_load((PROW / "testdata" / f"{name}.yaml").read_text())


def _as_minprow(container: dict[str, Any]) -> dict[str, Any]:
    """Prow's utility container as minprow runs it: its one image and subcommand."""
    if container["name"] not in UTILITIES:
        return container
    container = {**container, "image": IMAGE, "command": ["minprow", "podutils", container["name"]]}
    if container["name"] == "place-entrypoint":
        assert container["args"] == ["--copy-mode-only"]
        container["args"] = ["--copy-destination", "/tools/entrypoint"]
    return container


def _as_minprow_spec(spec: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(spec)
    for key in ("initContainers", "containers"):
        if key in spec:
            spec[key] = [_as_minprow(c) for c in spec[key]]
    return spec


def _drop_zero(value: Any) -> Any:
    """`value` without the zero values Go's YAML writer adds, options JSON parsed."""
    if isinstance(value, list):
        return [_drop_zero(item) for item in value]
    if not isinstance(value, dict):
        return value
    out = {
        k: _drop_zero(v)
        for k, v in value.items()
        if not (k == "creationTimestamp" and v is None)
        and not (k in ("resources", "status") and v == {})
    }
    if out.keys() == {"name", "value"} and out["value"] == "":
        del out["value"]
    if out.get("name") in OPTIONS and "value" in out:
        out["value"] = json.loads(out["value"])
    return out


def _env_text(spec: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Every container's `$JOB_SPEC` and options, as text."""
    return {
        (c["name"], e["name"]): e.get("value", "")
        for c in [*spec.get("initContainers", []), *spec["containers"]]
        for e in c.get("env") or []
        if e["name"] in (*OPTIONS, "JOB_SPEC")
    }


PROW_JOB_TO_POD = _inputs("TestProwJobToPod")


@pytest.mark.parametrize("case", list(PROW_JOB_TO_POD), ids=list(PROW_JOB_TO_POD))
def test_prow_job_to_pod(case: str) -> None:
    job = ProwJob.from_wire(PROW_JOB_TO_POD[case])
    pod = pod_for(job, render(job), podutils_image=IMAGE, namespace="test-pods")
    assert (pod.pop("apiVersion"), pod.pop("kind")) == ("v1", "Pod")
    assert pod["metadata"].pop("namespace") == "test-pods"
    want = _golden(f"TestProwJobToPod_{case}")
    want["spec"] = _as_minprow_spec(want["spec"])
    assert _drop_zero(pod) == _drop_zero(want)
    # Beyond Prow's own check: the options and JOB_SPEC are Prow's bytes too.
    assert _env_text(pod["spec"]) == _env_text(want["spec"])


def _reversed(value: Any) -> Any:
    if isinstance(value, list):
        return [_reversed(item) for item in value]
    if isinstance(value, dict):
        return {k: _reversed(value[k]) for k in reversed(value)}
    return value


@pytest.mark.parametrize("case", list(PROW_JOB_TO_POD), ids=list(PROW_JOB_TO_POD))
def test_prow_job_to_pod_whatever_the_input_order(case: str) -> None:
    """Go decodes the ProwJob into structs and writes their fields in its own
    order: the same case with every mapping of the input in reverse order gives
    Prow's bytes still (case 10's affinity and tolerations are where it shows)."""
    job = ProwJob.from_wire(_reversed(PROW_JOB_TO_POD[case]))
    pod = pod_for(job, render(job), podutils_image=IMAGE, namespace="test-pods")
    want = _golden(f"TestProwJobToPod_{case}")
    assert _env_text(pod["spec"]) == _env_text(want["spec"])


DECORATE = _inputs("TestDecorate")


@pytest.mark.parametrize("case", list(DECORATE), ids=list(DECORATE))
def test_decorate(case: str) -> None:
    inputs = DECORATE[case]
    job = ProwJob.from_wire(inputs["prowjob"])
    config = job.spec.decoration_config
    assert config is not None
    spec = copy.deepcopy(inputs["spec"])
    refs = podspec._refs_to_clone(job, config)
    podspec._Decorator(job, refs, config, IMAGE).decorate(spec, dict(inputs["raw_env"]))
    want = _as_minprow_spec(_golden(f"zz_fixture_TestDecorate_{case.replace(' ', '_')}"))
    assert _drop_zero(spec) == _drop_zero(want)
    assert _env_text(spec) == _env_text(want)


GRACE = _inputs("TestProwJobToPod_setsTerminationGracePeriodSeconds")


@pytest.mark.parametrize("case", list(GRACE), ids=list(GRACE))
def test_sets_termination_grace_period_seconds(case: str) -> None:
    inputs = GRACE[case]
    config = DecorationConfig.model_validate(inputs["decoration_config"])
    spec = copy.deepcopy(inputs["pod_spec"])
    job = ProwJob.from_wire(
        {"spec": {"type": "periodic", "job": "", "pod_spec": inputs["pod_spec"]}}
    )
    podspec._Decorator(job, [], config, IMAGE).decorate(spec, {})
    assert spec["terminationGracePeriodSeconds"] == inputs["expected"]


SIDECAR = _inputs("TestSidecar")
_LOCAL_MODE = (
    "minprow's sidecar has no local-output mode: Prow's Sidecar mounts outputMount "
    "(`/outputs`, a hostPath only ProwJobToPodLocal gives, for `mkpod --local`); "
    "minprow runs a job locally with its docker executor instead"
)
_ENTRY_ERROR = (
    "minprow's sidecar never sets `entry_error`: Prow's decorate always passes "
    "requirePassingEntries=false (no caller in Prow passes true; the test does)"
)


def _sidecar(inputs: dict[str, Any]) -> dict[str, Any]:
    # minprow reads ignore_interrupts from the config, where Prow's decorate takes it.
    config = DecorationConfig.model_validate(
        {**inputs["config"], "upload_ignores_interrupts": inputs["ignore_interrupts"]}
    )
    job = ProwJob.from_wire({"spec": {"type": "periodic", "job": ""}})
    assert inputs["log_mount"] == {"name": "logs", "mountPath": "/logs"}  # minprow's constant
    return podspec._Decorator(job, [], config, IMAGE)._sidecar(
        opts.GCSUploadOptions.model_validate(inputs["gcs_options"]),
        inputs["blob_storage_mounts"],
        inputs["secret_volume_mounts"],
        [opts.WrapperOptions.model_validate(w) for w in inputs["wrappers"]],
        inputs["encoded_job_spec"],
    )


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            name, marks=pytest.mark.xfail(strict=True, reason=f"{_LOCAL_MODE}; {_ENTRY_ERROR}")
        )
        for name in SIDECAR
    ],
    ids=list(SIDECAR),
)
def test_sidecar(case: str) -> None:
    want = _as_minprow(_golden(f"zz_fixture_TestSidecar_{case.replace(' ', '_')}"))
    assert _drop_zero(_sidecar(SIDECAR[case])) == _drop_zero(want)


@pytest.mark.parametrize("case", list(SIDECAR), ids=list(SIDECAR))
def test_sidecar_as_decorate_calls_it(case: str) -> None:
    """The same cases with what Prow's decorate passes: no output mount, and
    requirePassingEntries false. The expectation is Prow's golden without exactly
    what those two arguments add to it (podspec.go `Sidecar`)."""
    inputs = SIDECAR[case]
    want = _as_minprow(_golden(f"zz_fixture_TestSidecar_{case.replace(' ', '_')}"))
    output = inputs["output_mount"]
    assert want["volumeMounts"][-1] == output
    want["volumeMounts"] = want["volumeMounts"][:-1]
    env = {e["name"]: e for e in want["env"]}
    options = json.loads(env[opts.SIDECAR_OPTIONS]["value"])
    assert options.pop("entry_error") is inputs["require_passing_entries"] is True
    env[opts.SIDECAR_OPTIONS]["value"] = json.dumps(options)
    assert _drop_zero(_sidecar(inputs)) == _drop_zero(want)


@pytest.mark.parametrize(
    ("field", "value", "text"),
    [
        (
            ("gcs_configuration", "mediaTypes"),
            {"txt": "text/plain", "log": "text/plain"},
            '"mediaTypes":{"log":"text/plain","txt":"text/plain"}',
        ),
        (
            ("resources", "sidecar"),
            {"requests": {"memory": "1Gi", "cpu": "1"}, "limits": {"cpu": "2"}},
            '"sidecar":{"limits":{"cpu":"2"},"requests":{"cpu":"1","memory":"1Gi"}}',
        ),
    ],
    ids=["media-types", "resource-lists"],
)
def test_go_maps_are_written_with_sorted_keys(
    field: tuple[str, str], value: dict[str, Any], text: str
) -> None:
    """encoding/json writes a map's keys sorted: case 1 with maps given out of order."""
    data = copy.deepcopy(PROW_JOB_TO_POD["1"])
    data["spec"]["decoration_config"].setdefault(field[0], {})[field[1]] = value
    job = ProwJob.from_wire(data)
    pod = pod_for(job, render(job), podutils_image=IMAGE, namespace="test-pods")
    texts = _env_text(pod["spec"])
    assert text in texts[("test", "JOB_SPEC")]
    if field[0] == "gcs_configuration":
        assert text in texts[("sidecar", opts.SIDECAR_OPTIONS)]
        assert text in texts[("initupload", opts.INITUPLOAD_OPTIONS)]

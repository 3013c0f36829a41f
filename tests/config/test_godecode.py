"""Configuration read with Go's decoding rules (sigs.k8s.io/yaml + encoding/json).

A key with no value, or null, is the field's zero value and never an error; field
names match case-insensitively, in Prow's structs and in the Kubernetes types of a
job, with a notice naming the odd spelling; of two spellings the one that sorts
last wins, as the JSON object sigs.k8s.io/yaml writes has sorted keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from minprow.config import Config, JobBase, load_config
from minprow.config.gojson import Respelled, decode, decode_k8s
from minprow.config.jobs import Presubmit

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "godecode"


@pytest.fixture(scope="module", params=[False, True], ids=["default", "strict"])
def config(request: pytest.FixtureRequest) -> Config:
    return load_config(FIXTURES / "config.yaml", FIXTURES / "jobs.yaml", strict=request.param)


def _job(config: Config, name: str) -> JobBase:
    job = config.find_job(name)
    assert job is not None, name
    return job[1]


def _container(job: JobBase) -> dict[str, Any]:
    assert job.spec is not None
    container: dict[str, Any] = job.spec["containers"][0]
    return container


ZERO_VALUES = [
    ("labels", lambda c: _job(c, "pull-nulls").labels, {}),
    ("annotations", lambda c: _job(c, "pull-nulls").annotations, {}),
    ("branches", lambda c: _job(c, "pull-nulls").branches, []),  # type: ignore[attr-defined]
    ("run_if_changed", lambda c: _job(c, "pull-nulls").run_if_changed, ""),  # type: ignore[attr-defined]
    ("always_run", lambda c: _job(c, "pull-nulls").always_run, False),  # type: ignore[attr-defined]
    ("max_concurrency", lambda c: _job(c, "pull-nulls").max_concurrency, 0),
    ("extra_refs", lambda c: _job(c, "pull-nulls").extra_refs, []),
    ("periodic extra_refs", lambda c: _job(c, "periodic-nulls").extra_refs, []),
    ("periodic tags", lambda c: _job(c, "periodic-nulls").tags, []),  # type: ignore[attr-defined]
    ("reporter_config", lambda c: _job(c, "periodic-nulls").reporter_config, None),
    ("container args", lambda c: "args" in _container(_job(c, "pull-nulls")), False),
    ("container resources", lambda c: _container(_job(c, "pull-nulls"))["resources"], {}),
    ("env value", lambda c: _container(_job(c, "pull-nulls"))["env"][0], {"name": "PLAIN"}),
    ("pod volumes", lambda c: "volumes" in (_job(c, "pull-nulls").spec or {}), False),
    ("prowjob_namespace", lambda c: c.prowjob_namespace, "default"),
    ("log_level", lambda c: c.log_level, "info"),
    (
        "grace_period from an entry",
        lambda c: c.plank.default_decoration_config_entries[0].config.grace_period,
        None,
    ),  # type: ignore[union-attr]
    ("repo with null job list", lambda c: c.presubmits.get("org/empty", []), []),
    (
        "preset with null env and volumes",
        lambda c: _container(_job(c, "periodic-nulls")).get("env", []),
        [],
    ),
]


@pytest.mark.parametrize(("what", "read", "expected"), ZERO_VALUES, ids=[z[0] for z in ZERO_VALUES])
def test_null_is_the_zero_value(config: Config, what: str, read: Any, expected: Any) -> None:
    assert read(config) == expected


def test_null_decoration_config_takes_plank_defaults(config: Config) -> None:
    decoration = _job(config, "pull-nulls").decoration_config
    assert decoration is not None
    assert decoration.timeout is not None
    assert decoration.timeout.total_seconds() == 7200
    assert decoration.utility_images is not None
    assert decoration.utility_images.clonerefs == "clonerefs:v1"


RESPELLED = [
    ("job name", lambda c: _job(c, "pull-respelled").name, "pull-respelled"),
    ("always_run", lambda c: _job(c, "pull-respelled").always_run, True),  # type: ignore[attr-defined]
    ("labels", lambda c: _job(c, "pull-respelled").labels, {"preset-some": "true"}),
    ("container image", lambda c: _container(_job(c, "pull-respelled"))["image"], "alpine"),
    (
        "env entries, and the sorted-last spelling wins",
        lambda c: _container(_job(c, "pull-respelled"))["env"][:2],
        [{"name": "LOUD", "value": "1"}, {"name": "both"}],
    ),
    (
        "a preset's env merged after respelling",
        lambda c: _container(_job(c, "pull-respelled"))["env"][2:],
        [{"name": "FROM_PRESET", "value": "1"}, {"name": "SPELLED_BY_HAND", "value": "loud"}],
    ),
    (
        "volume mount",
        lambda c: _container(_job(c, "pull-respelled"))["volumeMounts"],
        [{"mountPath": "/data", "name": "data"}],
    ),
    (
        "null emptyDir",
        lambda c: (_job(c, "pull-respelled").spec or {})["volumes"],
        [{"name": "data"}],
    ),
]


@pytest.mark.parametrize(("what", "read", "expected"), RESPELLED, ids=[r[0] for r in RESPELLED])
def test_field_names_match_case_insensitively(
    config: Config, what: str, read: Any, expected: Any
) -> None:
    assert read(config) == expected


def test_every_respelling_is_a_notice_naming_file_job_and_field(config: Config) -> None:
    noticed = {(n.file.rsplit("/", 1)[-1], n.job, n.field) for n in config.notices}
    assert {
        ("jobs.yaml", None, "Presubmits"),
        ("jobs.yaml", "pull-respelled", "Name"),
        ("jobs.yaml", "pull-respelled", "ALWAYS_RUN"),
        ("jobs.yaml", "pull-respelled", "spec.Containers"),
        ("jobs.yaml", "pull-respelled", "spec.containers[0].env[0].NAME"),
        ("jobs.yaml", "pull-respelled", "spec.containers[0].volumeMounts[0].MountPath"),
        ("config.yaml", None, "presets[1].env[1].NAME"),
        ("config.yaml", None, "presets[1].env[1].Value"),
    } <= noticed
    assert all('write "' in n.message for n in config.notices if n.field and "NAME" in n.field)
    assert config.warnings == []


def test_decode_returns_the_same_object_when_nothing_changes() -> None:
    data = {"name": "x", "labels": {"a": "b"}, "spec": {"containers": [{"image": "i"}]}}
    respelled: list[Respelled] = []
    assert decode(Presubmit, data, "", respelled) is data
    assert respelled == []


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("[]V1EnvVar", [None, {"NAME": "A"}], [{}, {"name": "A"}]),
        ("V1Container", {"resources": {"limits": {"cpu": None}}}, {"resources": {"limits": {}}}),
        (
            "V1Volume",
            {"name": "v", "HostPath": {"path": "/x", "type": None}},
            {"name": "v", "hostPath": {"path": "/x"}},
        ),
        ("V1PodSpec", {"nodeSelector": {"Name": "kept"}}, {"nodeSelector": {"Name": "kept"}}),
    ],
    ids=["null list item", "null map value", "nested respelling", "map keys are not fields"],
)
def test_decode_kubernetes_types(kind: str, data: Any, expected: Any) -> None:
    assert decode_k8s(kind, data, "", []) == expected


def test_the_kubernetes_field_table_is_the_clients() -> None:
    """Every type and field of the generated table (scripts/gen_k8s_fields.py) is in
    the installed `kubernetes` client; a newer client may only add to it."""
    import importlib.util
    import sys

    from minprow.config._k8s_fields import TYPES

    script = Path(__file__).resolve().parents[2] / "scripts" / "gen_k8s_fields.py"
    spec = importlib.util.spec_from_file_location("gen_k8s_fields", script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_k8s_fields"] = module
    spec.loader.exec_module(module)
    live = module.build()
    for name, fields in TYPES.items():
        assert name in live, name
        assert fields.items() <= live[name].items(), name


def test_strict_names_pod_spec_keys_the_kubernetes_api_lacks(tmp_path: Path) -> None:
    from minprow.config import ConfigError

    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        "presets:\n- env: [{name: SHARED, valu: x}]\n"
        "periodics:\n"
        "- name: a\n  interval: 1h\n"
        "  spec:\n    containers: [{image: i, comand: [x], resources: {limits: {cpu: 1}}}]\n"
        "    volumes: [{name: v, emptyDir: {sizeLimt: 1Gi}}]\n"
        "- name: b\n  interval: 1h\n  spec: {containers: [{image: i}], nodeSelektor: {a: b}}\n"
    )
    assert load_config(None, jobs).warnings == []  # not strict: not checked
    with pytest.raises(ConfigError) as caught:
        load_config(None, jobs, strict=True)
    found = sorted((p.job or "", p.field or "") for p in caught.value.problems)
    assert found == [
        ("a", "spec.containers[0].comand"),
        ("a", "spec.containers[0].env[0].valu"),
        ("a", "spec.volumes[0].emptyDir.sizeLimt"),
        ("b", "spec.containers[0].env[0].valu"),
        ("b", "spec.nodeSelektor"),
    ]

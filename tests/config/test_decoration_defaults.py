"""A first config with no `plank.default_decoration_config_entries` decorates its jobs.

Prow refuses such jobs ("utility image config is not specified"); minprow fills in
its own podutils image and a local upload, says so once per missing part, and
refuses them as Prow does under --strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from minprow.config import ConfigError, load_config
from minprow.config.finalize import UTILITY_IMAGE

FIRST = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "first-config"


def test_missing_decoration_defaults_are_filled_with_one_notice_each() -> None:
    config = load_config(FIRST / "config.yaml", FIRST / "jobs")
    for job in [*config.all_presubmits(), *config.periodics]:
        decoration = job.decoration_config
        assert decoration is not None
        assert decoration.utility_images is not None
        images = decoration.utility_images
        assert {images.clonerefs, images.initupload, images.entrypoint, images.sidecar} == {
            UTILITY_IMAGE
        }
        assert decoration.gcs_configuration is not None
        assert decoration.gcs_configuration.path_strategy == "explicit"
        assert not decoration.gcs_configuration.bucket
    assert config.warnings == []
    fields = sorted(n.field or "" for n in config.notices)
    assert fields == [
        "plank.default_decoration_config_entries.config.gcs_configuration",
        "plank.default_decoration_config_entries.config.utility_images",
    ]
    assert all("2 decorated jobs" in n.message for n in config.notices)
    assert any(UTILITY_IMAGE in n.message for n in config.notices)


def test_strict_refuses_them_as_prow_does() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(FIRST / "config.yaml", FIRST / "jobs", strict=True)
    found = {(p.job, p.field, p.message) for p in caught.value.problems}
    assert found == {
        (job, "decoration_config.utility_images", "utility image config is not specified")
        for job in ("pull-project-unit", "periodic-project-nightly")
    } | {
        (job, "decoration_config.gcs_configuration", "GCS upload configuration is not specified")
        for job in ("pull-project-unit", "periodic-project-nightly")
    }


def test_partial_utility_images_keep_what_is_set(tmp_path: Path) -> None:
    config_yaml = tmp_path / "config.yaml"
    config_yaml.write_text(
        "plank:\n  default_decoration_config_entries:\n  - config:\n"
        "      utility_images: {clonerefs: my/clonerefs:v2}\n"
        "      gcs_configuration: {bucket: gs://b, path_strategy: explicit}\n"
    )
    config = load_config(config_yaml, FIRST / "jobs")
    job = next(iter(config.all_presubmits()))
    assert job.decoration_config is not None
    images = job.decoration_config.utility_images
    assert images is not None
    assert (images.clonerefs, images.sidecar) == ("my/clonerefs:v2", UTILITY_IMAGE)
    assert job.decoration_config.gcs_configuration is not None
    assert job.decoration_config.gcs_configuration.bucket == "gs://b"
    assert [n.field for n in config.notices] == [
        "plank.default_decoration_config_entries.config.utility_images"
    ]

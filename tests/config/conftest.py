"""Shared fixtures of the config tests: the real-world corpus and the fixture files."""

from __future__ import annotations

from pathlib import Path

import pytest

from minprow.config import Config, load_config

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "config"
CORPUS = REPO / ".." / "shared" / "corpus" / "gardener-ci-infra"


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The gardener/ci-infra corpus (shared/corpus), or a skip saying why not."""
    if not (CORPUS / "config" / "prow" / "config.yaml").is_file():
        pytest.skip(f"the shared corpus is not checked out next to the repo ({CORPUS.resolve()})")
    return CORPUS


@pytest.fixture(scope="session")
def corpus_paths(corpus: Path) -> tuple[Path, Path, Path]:
    """config.yaml, the job config directory and plugins.yaml of the corpus."""
    return (
        corpus / "config" / "prow" / "config.yaml",
        corpus / "config" / "jobs",
        corpus / "config" / "prow" / "plugins.yaml",
    )


@pytest.fixture(scope="session")
def corpus_config(corpus_paths: tuple[Path, Path, Path]) -> Config:
    """The corpus loaded as `minprow up` loads it (not strict)."""
    return load_config(*corpus_paths)

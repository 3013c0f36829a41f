"""Every real Prow configuration of shared/corpus loads as Prow loads it.

Upstream gates each of them with Prow's `checkconfig --strict`, so each must load
with no error and no warning, strict or not, with the job counts its
PROVENANCE.md records; and every presubmit's trigger (Go's regexp, RE2) must match
its own rerun command, as Prow's validation demands."""

from __future__ import annotations

from functools import cache

import pytest
from corpora import Corpus, corpora

from minprow.config import Config, load_config
from minprow.config.goregex import compile_regex

CORPORA = corpora()
pytestmark = pytest.mark.skipif(not CORPORA, reason="shared/corpus is not beside the repo")


@cache
def _load(corpus: Corpus, strict: bool) -> Config:
    return load_config(*corpus.paths, strict=strict)


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_loads_with_no_problem_and_the_recorded_counts(corpus: Corpus, strict: bool) -> None:
    config = _load(corpus, strict)
    assert [str(w) for w in config.warnings] == []
    summary = config.summary()
    assert (summary["presubmits"], summary["postsubmits"], summary["periodics"]) == (
        corpus.presubmits,
        corpus.postsubmits,
        corpus.periodics,
    )
    assert summary["repos"] == corpus.repos


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_every_trigger_matches_its_own_rerun_command(corpus: Corpus) -> None:
    config = _load(corpus, False)
    failing = [
        (job.name, job.trigger, job.rerun_command)
        for job in config.all_presubmits()
        if compile_regex(job.trigger).search(job.rerun_command) is None
    ]
    assert failing == []
    assert sum(1 for _ in config.all_presubmits()) == corpus.presubmits

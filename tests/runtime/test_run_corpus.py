"""Every job of every real Prow configuration in shared/corpus renders for a local run.

The `--dry-run` code path of `minprow run` (`run.prepare`, then the summary and
the pod YAML) over each job, as a user reproducing it would: presubmits and
postsubmits from a local working tree, periodics as they are. Every Secret a
job names is given in a local folder with a value that must never be printed;
what may remain missing is only what this machine lacks (hostPath types).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import git
import pytest
from corpora import Corpus, corpora

from minprow.config import Config, JobBase, Periodic, Postsubmit, Presubmit, load_config
from minprow.model import ProwJobType, Refs
from minprow.podutils.localvolumes import PLACEHOLDER_TOKEN
from minprow.runtime import refs, run, run_view

CORPORA = corpora()
_HOST_PATH_LINE = re.compile(r"^volume '[^']+' needs \S+ on this machine to be ")


def _jobs(config: Config) -> list[tuple[ProwJobType, JobBase, str | None]]:
    jobs: list[tuple[ProwJobType, JobBase, str | None]] = []
    for kind, by_repo in (
        (ProwJobType.PRESUBMIT, config.presubmits),
        (ProwJobType.POSTSUBMIT, config.postsubmits),
    ):
        jobs += [(kind, job, repo) for repo in sorted(by_repo) for job in by_repo[repo]]
    jobs += [(ProwJobType.PERIODIC, job, None) for job in config.periodics]
    return jobs


def _secret_refs(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(kind, name, key) of every Secret and ConfigMap key a pod spec reads ("" = all keys)."""
    refs: set[tuple[str, str, str]] = set()
    for container in spec.get("containers") or []:
        for var in container.get("env") or []:
            source = var.get("valueFrom") or {}
            for ref_key, kind in (("secretKeyRef", "secret"), ("configMapKeyRef", "configMap")):
                if source.get(ref_key):
                    refs.add((kind, source[ref_key]["name"], source[ref_key]["key"]))
        for source in container.get("envFrom") or []:
            for ref_key, kind in (("secretRef", "secret"), ("configMapRef", "configMap")):
                if source.get(ref_key):
                    refs.add((kind, source[ref_key]["name"], ""))
    for volume in spec.get("volumes") or []:
        sources = [volume]
        if volume.get("projected"):
            sources = volume["projected"].get("sources") or []
        for source in sources:
            if source.get("secret"):
                name = source["secret"].get("secretName") or source["secret"].get("name")
                keys = [i["key"] for i in source["secret"].get("items") or []] or [""]
                refs |= {("secret", name, key) for key in keys}
            if source.get("configMap"):
                keys = [i["key"] for i in source["configMap"].get("items") or []] or [""]
                refs |= {("configMap", source["configMap"]["name"], key) for key in keys}
    return refs


def _sentinel(kind: str, name: str, key: str) -> str:
    return f"SENTINEL-{kind}-{name}-{key or 'value'}"


@pytest.fixture
def refs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--local` refs read from git once per repository and job kind: the same tree
    gives the same refs, and reading it for each of 3,849 jobs takes half a minute."""
    read = refs.local_refs

    @functools.cache
    def cached(org_repo: str, presubmit: bool, path: Path, pull: int) -> Refs:
        job = Presubmit(name="any") if presubmit else Postsubmit(name="any")
        return read(org_repo, job, path, pull)

    def local_refs(org_repo: str, job: Presubmit | Postsubmit, path: Path, pull: int) -> Refs:
        return cached(org_repo, isinstance(job, Presubmit), path, pull).model_copy(deep=True)

    monkeypatch.setattr(refs, "local_refs", local_refs)


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
@pytest.mark.usefixtures("refs_once")
def test_every_job_of_the_corpus_renders_for_a_local_run(corpus: Corpus, tmp_path: Path) -> None:
    config = load_config(corpus.config, corpus.jobs)
    jobs = _jobs(config)
    assert len(jobs) == corpus.presubmits + corpus.postsubmits + corpus.periodics
    tree = tmp_path / "tree"
    repo = git.Repo.init(tree)
    (tree / "README").write_text("a working tree\n")
    repo.index.add(["README"])
    repo.index.commit("one commit")
    secrets, configmaps = tmp_path / "secrets", tmp_path / "configmaps"
    refs = set().union(*(_secret_refs(job.spec or {}) for _, job, _ in jobs))
    for kind, name, key in refs:
        folder = (secrets if kind == "secret" else configmaps) / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / (key or "value")).write_text(_sentinel(kind, name, key))
    secret_values = {_sentinel(*ref) for ref in refs if ref[0] == "secret"}

    resolved_names = 0
    for kind, job, org_repo in jobs:
        local = None if kind is ProwJobType.PERIODIC else tree
        if isinstance(job, Periodic) and job.extra_refs:
            local = None  # a periodic is reproduced with the refs its config names
        options = run.RunOptions(
            job_name=job.name,
            pull_numbers=[],
            base_ref=None,
            local=local,
            executor="docker",
            state_dir=None,
            artifacts_dir=None,
            keep=False,
            secrets_dir=secrets,
            configmaps_dir=configmaps,
            dry_run=True,
        )
        pj, plan, _ = run.prepare(config, options, (kind, job, org_repo))
        pod_yaml = run_view.pod_yaml(plan)
        shown = run_view.summary(pj, plan) + "\n" + pod_yaml
        assert job.name in shown
        assert f"\n  name: {pj.metadata.name}\n" in pod_yaml
        for line in plan.missing:
            assert _HOST_PATH_LINE.match(line), (job.name, line)
        leaked = [value for value in secret_values if value in shown]
        assert not leaked, (job.name, leaked)
        for container in plan.containers:
            for var in container.env_vars:
                field = ((var.value_from or {}).get("fieldRef") or {}).get("fieldPath")
                if field == "metadata.name":
                    assert container.env[var.name] == pj.metadata.name
                    resolved_names += 1
                secret = (var.value_from or {}).get("secretKeyRef")
                if secret:
                    value = _sentinel("secret", secret["name"], secret["key"])
                    assert container.env[var.name] == value
                    assert var.name in container.secret_env
            for mount in container.mounts:
                volume = next(v for v in plan.volumes if v.name == mount.volume)
                if volume.kind == "files":
                    assert mount.read_only
        for volume in plan.volumes:
            assert volume.kind in ("emptyDir", "tmpfs", "hostPath", "files", "claim")
            for item in volume.files:
                assert item.content == PLACEHOLDER_TOKEN or item.content.startswith(b"SENTINEL")
    if corpus.name == "kubernetes-test-infra":
        # Every one of its jobs reads its pod's name from a preset (AWS_ROLE_SESSION_NAME).
        assert resolved_names >= len(jobs)

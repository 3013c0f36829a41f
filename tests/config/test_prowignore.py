"""`.prowignore` as Prow reads it (github.com/denormal/go-gitignore's repository).

Tables: Prow's TestReadJobConfigProwIgnore, and go-gitignore's own match tables
for one file and for a tree of nested files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from corpora import Corpus, corpora

from minprow.config import load_config
from minprow.config.prowignore import ProwIgnore, parse
from minprow.config.yamlio import job_config_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "prowignore"
PROW: dict[str, Any] = yaml.safe_load((FIXTURES / "prow.yaml").read_text())
GO: dict[str, Any] = yaml.safe_load((FIXTURES / "go-gitignore.yaml").read_text())
CORPORA = corpora()


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("case", PROW["cases"], ids=[c["id"] for c in PROW["cases"]])
def test_prows_read_job_config_table(case: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "subdir").mkdir()
    _write(tmp_path, {**PROW["common"], **case["files"]})
    config = load_config(None, tmp_path)
    assert sorted(j.name for j in config.all_presubmits()) == sorted(case["jobs"])


def _split(path: str) -> tuple[str, bool]:
    return path.rstrip("/"), path.endswith("/")


@pytest.mark.parametrize(
    "case", GO["one_file"]["matches"], ids=[m["path"] for m in GO["one_file"]["matches"]]
)
def test_go_gitignore_one_file(case: dict[str, Any]) -> None:
    patterns = parse(GO["one_file"]["text"])
    rel, is_dir = _split(case["path"])
    decided = None
    for pattern in reversed(patterns):
        if pattern.matches(rel, is_dir):
            decided = not pattern.negated
            break
    assert decided is case["ignored"]


@pytest.mark.parametrize(
    "case", GO["repository"]["matches"], ids=[m["path"] for m in GO["repository"]["matches"]]
)
def test_go_gitignore_nested_files(case: dict[str, Any], tmp_path: Path) -> None:
    _write(
        tmp_path, {f"{d}/.prowignore".lstrip("/"): t for d, t in GO["repository"]["files"].items()}
    )
    rel, is_dir = _split(case["path"])
    assert ProwIgnore(tmp_path).ignores(rel, is_dir) is bool(case["ignored"])


@pytest.mark.parametrize(
    ("text", "rel", "ignored"),
    [
        ("generated.yaml", "generated.yaml", True),  # the last line, no newline at the end
        ("a.yaml  \n", "a.yaml", True),  # trailing blanks are not part of the pattern
        ("a\\ \n", "a ", True),  # an escaped one is
        ("a**b.yaml\n", "a**b.yaml", False),  # refused by the library: skipped
        ("/top.yaml\n", "sub/top.yaml", False),
        ("/*.yaml\n", "sub/x.yaml", True),  # fnmatch without FNM_PATHNAME
        ("sub/*.yaml\n", "sub/deeper/x.yaml", False),
        ("# comment\n\n!keep.yaml\n*.yaml\n", "keep.yaml", True),  # the last match wins
        ("*.yaml\n!keep.yaml\n", "keep.yaml", False),
        ("[!a]*.yaml\n", "b.yaml", True),
    ],
)
def test_pattern_rules(text: str, rel: str, ignored: bool, tmp_path: Path) -> None:
    (tmp_path / ".prowignore").write_text(text)
    assert ProwIgnore(tmp_path).ignores(rel, False) is ignored


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_every_corpus_keeps_the_files_prow_keeps(corpus: Corpus) -> None:
    files, problems = job_config_files(corpus.jobs)
    assert problems == []
    kept = {p.relative_to(corpus.jobs).as_posix() for p in files}
    every = {
        p.relative_to(corpus.jobs).as_posix()
        for p in corpus.jobs.rglob("*")
        if p.suffix in (".yaml", ".yml") and not p.name.startswith("..")
    }
    ignored = set()
    for ignore_file in corpus.jobs.rglob(".prowignore"):
        base = ignore_file.parent
        for pattern in parse(ignore_file.read_text()):
            for path in base.rglob("*"):
                rel = path.relative_to(base).as_posix()
                if pattern.matches(rel, path.is_dir()) and not pattern.negated:
                    ignored |= {
                        p.relative_to(corpus.jobs).as_posix()
                        for p in [path, *(path.rglob("*") if path.is_dir() else [])]
                    }
    assert kept == every - ignored

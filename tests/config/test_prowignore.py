"""`.prowignore` as Prow reads it (github.com/denormal/go-gitignore's repository).

Tables (fixtures/config/prowignore/): Prow's TestReadJobConfigProwIgnore; go-gitignore's
lexer, parser, one-file and repository tables; minprow's own trees, each checked against
Prow's walk over the library; and every corpus of shared/corpus."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from corpora import Corpus, corpora

from minprow.config import load_config
from minprow.config.prowignore import Pattern, ProwIgnore, decode, parse, tokens
from minprow.config.yamlio import job_config_files

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "prowignore"


def _load(name: str) -> Any:
    return yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8"))


PROW: dict[str, Any] = _load("prow.yaml")
GO: dict[str, Any] = _load("go-gitignore.yaml")
TREES: list[dict[str, Any]] = _load("trees.yaml")["cases"]
CORPUS_IGNORED: dict[str, list[str]] = _load("corpora.yaml")
CORPORA = corpora()
EOLS = {"lf": "\n", "crlf": "\r\n"}


def _write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def _split(path: str) -> tuple[str, bool]:
    """A table's path: without its trailing "/", and whether it had one (a directory)."""
    return path.rstrip("/"), path.endswith("/")


def _outcome(found: Pattern | None) -> tuple[bool | None, str | None]:
    """What a table row says: ignored (or re-included, or no match) and by which pattern."""
    if found is None:
        return None, None
    return not found.negated, found.text


# Prow ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", PROW["cases"], ids=[c["id"] for c in PROW["cases"]])
def test_prows_read_job_config_table(case: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / "subdir").mkdir()
    _write(tmp_path, {**PROW["common"], **case["files"]})
    config = load_config(None, tmp_path)
    assert sorted(j.name for j in config.all_presubmits()) == sorted(case["jobs"])


# go-gitignore -------------------------------------------------------------------------


@pytest.mark.parametrize("table", ["lexer", "lexer_invalid"])
@pytest.mark.parametrize("eol", EOLS.values(), ids=EOLS.keys())
def test_go_gitignore_lexer(table: str, eol: str) -> None:
    expected = [
        [kind, eol if kind == "EOL" else word, line, column]
        for kind, word, line, column in GO[table]["tokens"]
    ]
    found = tokens(eol.join(GO[table]["lines"]))
    assert [[t.kind.value, t.word, t.line, t.column] for t in found] == expected


def test_go_gitignore_parser() -> None:
    ignore = parse("\n".join(GO["lexer"]["lines"]))
    assert [[p.text, p.line, p.column] for p in ignore.patterns] == GO["parser"]["patterns"]
    assert [[line, column] for line, column, _ in ignore.skipped] == GO["parser"]["skipped"]
    assert ignore.fatal is None


def test_go_gitignore_parser_invalid() -> None:
    ignore = parse("\n".join(GO["lexer_invalid"]["lines"]))
    assert [p.text for p in ignore.patterns] == GO["parser_invalid"]["patterns"]
    whys = [why for _, _, why in ignore.skipped]
    assert len(whys) == len(GO["parser_invalid"]["errors"])
    for why, expected in zip(whys, GO["parser_invalid"]["errors"], strict=True):
        assert why.startswith(expected)


@pytest.mark.parametrize(
    "text", ["\n".join(GO["parser_blank"]["whitespace_lines"]), ""], ids=["blanks", "empty"]
)
def test_go_gitignore_parser_blank(text: str) -> None:
    assert parse(text) == parse("")
    assert parse(text).patterns == parse(text).skipped == ()


@pytest.mark.parametrize(
    "row", GO["one_file"]["matches"], ids=[m["path"] for m in GO["one_file"]["matches"]]
)
def test_go_gitignore_one_file(row: dict[str, Any]) -> None:
    ignore = parse("\n".join(GO["one_file"]["lines"]))
    assert ignore.skipped == ()
    assert _outcome(ignore.decide(*_split(row["path"]))) == (row["ignored"], row.get("by"))


@pytest.mark.parametrize(
    "row", GO["repository"]["matches"], ids=[m["path"] for m in GO["repository"]["matches"]]
)
def test_go_gitignore_repository(row: dict[str, Any], tmp_path: Path) -> None:
    files = GO["repository"]["files"]
    _write(tmp_path, {f"{d}/.prowignore".lstrip("/"): "\n".join(t) for d, t in files.items()})
    assert _outcome(ProwIgnore(tmp_path).match(*_split(row["path"]))) == (
        row["ignored"],
        row.get("by"),
    )


# Trees --------------------------------------------------------------------------------


def _build(root: Path, case: dict[str, Any]) -> None:
    for path in case.get("paths", []):
        if path.endswith("/"):
            (root / path).mkdir(parents=True)
        else:
            _write(root, {path: "{}\n"})
    _write(root, {f"{d}/.prowignore".lstrip("/"): t for d, t in case.get("prowignore", {}).items()})
    for path, target in case.get("symlinks", {}).items():
        os.symlink(target, root / path)


@pytest.mark.parametrize("case", TREES, ids=[c["id"] for c in TREES])
def test_trees(case: dict[str, Any], tmp_path: Path) -> None:
    _build(tmp_path, case)
    files, problems = job_config_files(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == case["kept"]
    fatal = [[str(Path(p.file).relative_to(tmp_path)), p.line] for p in problems]
    assert fatal == case.get("fatal", [])


def test_bytes_are_read_as_gos_reader_reads_them() -> None:
    # One U+FFFD per byte that does not start a valid UTF-8 sequence, as bufio.ReadRune.
    assert (
        decode(b"\xff\xe2\x82a\xed\xa0\x80\xc3\xa9") == "\ufffd\ufffd\ufffda" + "\ufffd" * 3 + "é"
    )


# The corpora --------------------------------------------------------------------------


def _prow_walk(root: Path, prefix: str = "") -> list[str]:
    """The .yaml and .yml files of Prow's walk, before any .prowignore: lexical order,
    ".." names skipped, symlinked directories not followed."""
    found: list[str] = []
    for name in sorted(os.listdir(root)):
        path = root / name
        if name.startswith(".."):
            continue
        if path.is_dir() and not path.is_symlink():
            found += _prow_walk(path, f"{prefix}{name}/")
        elif name.endswith((".yaml", ".yml")):
            found.append(prefix + name)
    return found


def _prow_decides(root: Path, rel: str, is_dir: bool) -> Pattern | None:
    """go-gitignore's repository, read plainly: the parent first, then the files from
    the path's directory up (every file read again, nothing cached)."""
    parent, _, local = rel.rpartition("/")
    if parent:
        found = _prow_decides(root, parent, True)
        if found is not None and not found.negated:
            return found
    directory = parent
    while True:
        path = root / directory / ".prowignore"
        found = parse(decode(path.read_bytes())).decide(local, is_dir) if path.is_file() else None
        if found is not None or not directory:
            return found
        directory, _, last = directory.rpartition("/")
        local = f"{last}/{local}"


@pytest.mark.parametrize("corpus", CORPORA, ids=[c.name for c in CORPORA])
def test_every_corpus_keeps_the_files_prow_keeps(corpus: Corpus) -> None:
    files, problems = job_config_files(corpus.jobs)
    assert problems == []
    kept = [p.relative_to(corpus.jobs).as_posix() for p in files]
    every = _prow_walk(corpus.jobs)
    ignored = [rel for rel in every if _outcome(_prow_decides(corpus.jobs, rel, False))[0]]
    assert kept == [rel for rel in every if rel not in ignored]
    if corpus.name in CORPUS_IGNORED:
        assert ignored == CORPUS_IGNORED[corpus.name]

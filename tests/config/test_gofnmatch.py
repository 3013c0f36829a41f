"""fnmatch as github.com/danwakefield/fnmatch does it (fixtures/config/prowignore/fnmatch.yaml):
the library's own cases and the BSD quirks it keeps."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from minprow.config.gofnmatch import match

TABLES = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "fixtures/config/prowignore/fnmatch.yaml").read_text(
        encoding="utf-8"
    )
)
ROWS = [(table, *row) for table in ("danwakefield", "quirks") for row in TABLES[table]]


@pytest.mark.parametrize(
    ("table", "pattern", "text", "pathname", "matches"),
    ROWS,
    ids=[f"{t}: {p!r} {s!r}{' pathname' if n else ''}" for t, p, s, n, _ in ROWS],
)
def test_match(table: str, pattern: str, text: str, pathname: bool, matches: bool) -> None:
    assert match(pattern, text, pathname) is matches

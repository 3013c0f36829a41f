"""`minprow tui`'s flags: one source at a time, the token only with a URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from minprow.cli import main

REFUSED = [
    (["--state-dir", "{tmp}", "--url", "http://127.0.0.1:1"], "exclude each other"),
    (["--token-file", "{tmp}/token"], "--token-file goes with --url"),
]


@pytest.mark.parametrize(("args", "said"), REFUSED, ids=["state-dir-and-url", "token-no-url"])
def test_conflicting_flags_are_refused(tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "token").write_text("secret\n")
    result = CliRunner().invoke(main, ["tui", *[a.format(tmp=tmp_path) for a in args]])
    assert result.exit_code == 2
    assert said in result.output

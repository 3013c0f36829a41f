"""`minprow tui`'s flags: the token only with a URL (with --url, --state-dir only
says whose api-token to use: tests/tui/test_tui_url_token_tmux.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from minprow.cli import main

REFUSED = [
    (["--token-file", "{tmp}/token"], "--token-file goes with --url"),
]


@pytest.mark.parametrize(("args", "said"), REFUSED, ids=["token-no-url"])
def test_conflicting_flags_are_refused(tmp_path: Path, args: list[str], said: str) -> None:
    (tmp_path / "token").write_text("secret\n")
    result = CliRunner().invoke(main, ["tui", *[a.format(tmp=tmp_path) for a in args]])
    assert result.exit_code == 2
    assert said in result.output

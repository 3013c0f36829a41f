"""`minprow tui`'s flags: the token only with a URL (with --url, --state-dir only
says whose api-token to use: tests/runtime/test_up_tui_url_tmux.py); their help
names the token file."""

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


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["tui"], "STATE_DIR/api-token unless --token-file names another"),
        (["tui"], "the header says when no minprow is running against it"),
        (["up"], "STATE_DIR/api-token, made on first start"),
    ],
    ids=["tui-token", "tui-nothing-running", "up-token"],
)
def test_help_names_the_token_file(command: list[str], said: str) -> None:
    result = CliRunner().invoke(main, [*command, "--help"], terminal_width=2000)
    assert result.exit_code == 0
    assert said in " ".join(result.output.split())

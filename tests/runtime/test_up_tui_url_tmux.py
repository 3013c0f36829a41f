"""`minprow tui --url` in a real terminal (tmux) against a real `minprow up`: run in
the same project (or given its --state-dir), it finds the API token `up` keeps in
the state directory and its rerun is accepted; from elsewhere, with no token, the
server's refusal says to pass --token-file (issue 15, item 7). The token itself is
never on the screen."""

from __future__ import annotations

import json
import os
import shlex
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from runtime_helpers import UpProcess, hello_project, up_in_project
from terminal import Terminal, tmux, wait_for

from minprow.runtime.defaults import API_TOKEN_FILE, project_state_dir


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The state directories of this test: up's, and the one project_state_dir names.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    return hello_project(tmp_path)


@pytest.fixture
def up(project: Path, tmp_path: Path) -> Iterator[UpProcess]:
    """`minprow up` in `project`, on its own (per-project) state directory."""
    started = up_in_project(project, tmp_path / "xdg")
    try:
        started.wait_for("-> success")
        yield started
    finally:
        assert started.stop() == 0


def _jobs(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/prowjobs.js?omit=pod_spec") as answer:
        return [item["spec"]["job"] for item in json.load(answer)["items"]]


def _screen(term: Terminal) -> str:
    """The screen's words, its lines joined: a notification wraps, inside its border."""
    return " ".join(line.strip().strip("▌").strip() for line in term.screen().splitlines())


# (id, where `minprow tui --url` runs, its extra flags, what the rerun shows)
WAYS = [
    ("in-the-project", "project", [], "Rerun of hello created"),
    ("given-its-state-dir", "elsewhere", ["--state-dir", "{state}"], "Rerun of hello created"),
    ("no-token-anywhere", "elsewhere", [], "the server refused: pass --token-file"),
]


@pytest.mark.parametrize(
    ("where", "flags", "shown"), [w[1:] for w in WAYS], ids=[w[0] for w in WAYS]
)
def test_tui_url_reruns_with_the_token_up_keeps(
    tmp_path: Path, project: Path, up: UpProcess, where: str, flags: list[str], shown: str
) -> None:
    state = project_state_dir(project)
    token = (state / API_TOKEN_FILE).read_text().strip()
    url = f"http://127.0.0.1:{up.port}"
    cwd = project if where == "project" else tmp_path / "elsewhere"
    cwd.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "minprow", "tui", "--url", url]
    argv += [flag.format(state=state) for flag in flags]
    line = f"cd {shlex.quote(str(cwd))} && exec {shlex.join(argv)}"
    env = {
        "TERM": "xterm-256color",
        "PYTHONPATH": os.getcwd(),
        "XDG_STATE_HOME": str(tmp_path / "xdg"),
    }
    term = Terminal(tmux(), ["sh", "-c", line], env)
    try:
        wait_for(lambda: "hello" in term.screen(), "the job up ran", term)
        term.keys("r")
        wait_for(lambda: "Rerun hello?" in term.screen(), "the confirmation", term)
        term.keys("y")
        wait_for(lambda: shown in _screen(term), shown, term)
        assert token not in _screen(term)
    finally:
        term.close()
    reran = shown.startswith("Rerun")
    assert _jobs(url).count("hello") == (2 if reran else 1)

"""`minprow up` keeps an API token in the project's state directory, as it keeps
the HMAC secret, and `minprow tui --url` in the same project acts with it
(issue 15, item 7)."""

from __future__ import annotations

import asyncio
import json
import stat
import urllib.request
from pathlib import Path

import pytest
from runtime_helpers import hello_project, up_in_project

from minprow.runtime.defaults import API_TOKEN_FILE, project_state_dir, project_store
from minprow.tui.source import SourceError
from minprow.tui.sources.remote import RemoteSource


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # The state directories of this test: up's, and the one project_state_dir names.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    return hello_project(tmp_path)


def test_up_makes_a_token_that_tui_url_uses(tmp_path: Path, project: Path) -> None:
    up = up_in_project(project, tmp_path / "xdg")
    try:
        up.wait_for("-> success")
        state = project_state_dir(project)
        token_file = state / API_TOKEN_FILE
        assert project_store(None, cwd=project).api_token() == token_file
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        token = token_file.read_text().strip()
        assert len(token) == 64
        assert token not in "".join(up.lines)  # its path is logged, never the token
        url = f"http://127.0.0.1:{up.port}"
        with urllib.request.urlopen(f"{url}/prowjobs.js?omit=pod_spec") as answer:
            name = json.load(answer)["items"][0]["metadata"]["name"]

        async def rerun(with_token: str | None) -> str:
            source = RemoteSource(url, with_token)
            try:
                return await source.rerun(name)
            finally:
                await source.close()

        with pytest.raises(SourceError):
            asyncio.run(rerun(None))
        assert asyncio.run(rerun(token)) != name
    finally:
        assert up.stop() == 0
    # Kept across restarts: a TUI attached before a restart goes on working.
    again = up_in_project(project, tmp_path / "xdg")
    try:
        again.wait_for("minprow is up")
        assert token_file.read_text().strip() == token
    finally:
        assert again.stop() == 0

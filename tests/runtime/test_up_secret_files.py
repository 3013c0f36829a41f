"""The secrets `minprow up` keeps in its state directory (the hook's hmac-secret, the
API's api-token): made 0600 when missing, or left empty by a start that was killed
before it wrote one; kept as they are otherwise; their paths logged, never them."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from runtime_helpers import UpProcess

from minprow.runtime.defaults import API_TOKEN_FILE
from minprow.runtime.serve import HMAC_FILE

REPO = Path(__file__).resolve().parents[2]
KEPT = "a-secret-the-user-chose\n"

# (id, what the file holds before `up`, whether up makes a new one)
BEFORE = [
    ("missing", None, True),
    ("left-empty", "", True),
    ("kept", KEPT, False),
]


@pytest.mark.parametrize("name", [HMAC_FILE, API_TOKEN_FILE], ids=["hmac-secret", "api-token"])
@pytest.mark.parametrize(("before", "made"), [b[1:] for b in BEFORE], ids=[b[0] for b in BEFORE])
def test_up_keeps_its_secrets(tmp_path: Path, name: str, before: str | None, made: bool) -> None:
    state = tmp_path / "state"
    state.mkdir()
    if before is not None:
        (state / name).write_text(before)
    up = UpProcess(tmp_path, state, "--no-tui", "--no-kind", "--executor", "host")
    try:
        up.wait_for("minprow is up")
    finally:
        assert up.stop() == 0
    secret = (state / name).read_text()
    if made:
        assert re.fullmatch(r"[0-9a-f]{64}\n", secret)
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o600
    else:
        assert secret == KEPT
    assert secret.strip() not in "".join(up.lines)
    assert str(state / name) in "".join(up.lines)
    assert sorted(p.name for p in state.iterdir() if p.name.startswith(".")) == []

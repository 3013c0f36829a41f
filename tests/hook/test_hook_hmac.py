"""The HMAC secret file, the tokens for a repo, signing and checking (minprow.github.hmac)."""

from __future__ import annotations

import hashlib
import hmac as std_hmac
import json
import os
import shutil
from pathlib import Path

import pytest

from minprow.github.hmac import (
    HmacSecretError,
    HmacSecretFile,
    org_repo_of,
    parse_secret,
    sign,
    verify,
)

REPO = Path(__file__).resolve().parents[2]
HOOK = REPO / "fixtures" / "hook"
WEBHOOKS = REPO / "fixtures" / "github" / "webhooks"


@pytest.mark.parametrize(
    ("secret", "scope", "tokens"),
    [
        ("hmac-legacy", "Codertocat/Hello-World", ("legacy-global-token",)),
        ("hmac-legacy", "", ("legacy-global-token",)),
        ("hmac-scoped.yaml", "Codertocat/Hello-World", ("repo-token-new", "repo-token-old")),
        ("hmac-scoped.yaml", "Codertocat/Other", ("global-token",)),
        ("hmac-scoped.yaml", "Octocoders/Hello-World", ("org-token",)),
        ("hmac-scoped.yaml", "Octocoders", ("org-token",)),
        ("hmac-scoped.yaml", "octo-org/octo-repo", ("global-token",)),
        ("hmac-scoped.yaml", "", ("global-token",)),
        ("hmac-no-global.yaml", "Codertocat/Hello-World", ("only-repo-token",)),
        ("hmac-no-global.yaml", "octo-org/octo-repo", ()),
    ],
    ids=[
        "legacy-any-repo",
        "legacy-no-repo",
        "repo-both-rotated-tokens",
        "other-repo-falls-to-global",
        "org-level-for-repo",
        "org-level-event",
        "unknown-org-global",
        "no-scope-global",
        "repo-only",
        "no-global-no-token",
    ],
)
def test_tokens_for(secret: str, scope: str, tokens: tuple[str, ...]) -> None:
    assert parse_secret((HOOK / secret).read_text()).tokens_for(scope) == tokens


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("org: not-a-list", "expected a list"),
        ("org:\n  - created_at: 2026-01-01T00:00:00Z", "string `value`"),
        ("org:\n  - value: x\n    created_at: yesterday", "not a timestamp"),
    ],
    ids=["empty", "blank", "scope-not-list", "token-without-value", "bad-timestamp"],
)
def test_parse_errors(text: str, error: str) -> None:
    with pytest.raises(HmacSecretError, match=error):
        parse_secret(text)


def test_timestamps_and_repr_hide_values() -> None:
    secret = parse_secret((HOOK / "hmac-scoped.yaml").read_text())
    old = secret.by_scope["Codertocat/Hello-World"][1]
    assert old.expiry is not None
    assert old.expiry.isoformat() == "2026-12-01T00:00:00+00:00"
    assert "repo-token" not in repr(secret)
    assert "repo-token-old" not in repr(old)


@pytest.mark.parametrize(
    ("payload", "scope"),
    [
        ("pull_request.opened.json", "Codertocat/Hello-World"),
        ("ping.event.3.json", "Octocoders"),
        ("issues.transferred.json", "octo-org/octo-repo"),
    ],
    ids=["repo", "org-level", "other-org"],
)
def test_org_repo_of_real_payloads(payload: str, scope: str) -> None:
    assert org_repo_of(json.loads((WEBHOOKS / payload).read_bytes())) == scope


def _sha256(body: bytes, token: str) -> str:
    return "sha256=" + std_hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


def _sha1(body: bytes, token: str) -> str:
    return "sha1=" + std_hmac.new(token.encode(), body, hashlib.sha1).hexdigest()


BODY = (WEBHOOKS / "pull_request.opened.json").read_bytes()


@pytest.mark.parametrize(
    ("header", "tokens", "valid"),
    [
        (_sha256(BODY, "a"), ("a",), True),
        (_sha256(BODY, "old"), ("new", "old"), True),
        (_sha256(BODY, "a"), ("b",), False),
        (_sha256(BODY, "a"), (), False),
        (_sha256(BODY + b" ", "a"), ("a",), False),
        (_sha256(BODY, "a").upper().replace("SHA256=", "sha256="), ("a",), True),
        (_sha1(BODY, "a"), ("a",), False),
        ("sha256=not-hex", ("a",), False),
        ("", ("a",), False),
        (_sha256(BODY, "a")[7:], ("a",), False),
    ],
    ids=[
        "good",
        "rotation-second-token",
        "wrong-token",
        "no-tokens",
        "body-changed",
        "uppercase-hex",
        "sha1-refused",
        "not-hex",
        "empty",
        "no-prefix",
    ],
)
def test_verify(header: str, tokens: tuple[str, ...], valid: bool) -> None:
    assert verify(BODY, header, tokens) is valid


def test_sign_matches_github() -> None:
    assert sign(BODY, "a") == _sha256(BODY, "a")
    assert verify(BODY, sign(BODY, "a"), ("a",))


def test_file_reread_on_change(tmp_path: Path) -> None:
    path = tmp_path / "hmac"
    shutil.copy(HOOK / "hmac-legacy", path)
    secrets = HmacSecretFile(path)
    assert secrets.secret().tokens_for("Codertocat/Hello-World") == ("legacy-global-token",)
    shutil.copy(HOOK / "hmac-scoped.yaml", path)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert secrets.secret().tokens_for("Codertocat/Hello-World") == (
        "repo-token-new",
        "repo-token-old",
    )
    path.write_text("")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    assert secrets.secret().tokens_for("Codertocat/Hello-World") == (
        "repo-token-new",
        "repo-token-old",
    )
    assert secrets.last_error is not None
    assert "empty" in secrets.last_error


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(HmacSecretError, match="cannot read"):
        HmacSecretFile(tmp_path / "absent")

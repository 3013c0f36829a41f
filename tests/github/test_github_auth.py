"""Credentials against the fake GitHub: the token file (stripped, re-read on
change) and a GitHub App (installation token fetched, cached, refreshed near
expiry), and no token or key ever in a log line or a repr."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fakegithub import FakeGitHub
from fakes import VirtualClock
from github_helpers import POLICY, TOKEN

from minprow.github.auth import CredentialsError, GitHubApp, TokenFile
from minprow.github.client import GitHubClient
from minprow.github.errors import GitHubError

APP_ID = "4242"


@pytest.fixture(scope="module")
def app_keys() -> tuple[str, str]:
    """A fresh RSA key pair for the test App: (private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG):
        yield caplog


def _rewrite(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


@pytest.mark.parametrize(
    ("content", "expected"),
    [("tok", "tok"), ("  tok\n", "tok"), ("\ttok \r\n\n", "tok")],
    ids=["bare", "spaces-newline", "tabs-crlf"],
)
def test_token_file_is_stripped(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "oauth"
    path.write_text(content)
    assert TokenFile(path).current() == expected


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "No such file"), ("  \n", "is empty")],
    ids=["missing", "empty"],
)
def test_unusable_token_file_says_which_and_why(
    tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "oauth"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CredentialsError, match=words) as raised:
        TokenFile(path).current()
    assert str(path) in str(raised.value)


async def test_token_file_is_reread_when_it_changes(
    fake: FakeGitHub, token_file: Path, everything_logged: pytest.LogCaptureFixture
) -> None:
    fake.tokens = {TOKEN, "ghp_rotated"}
    async with GitHubClient(TokenFile(token_file), endpoint=fake.url, policy=POLICY) as client:
        await client.is_member("org", "alice")
        _rewrite(token_file, "ghp_rotated\n")
        await client.is_member("org", "alice")
        await client.is_member("org", "alice")
    assert [r.authorization for r in fake.requests] == [
        f"token {TOKEN}",
        "token ghp_rotated",
        "token ghp_rotated",
    ]
    assert "changed; using the new token" in everything_logged.text
    assert "ghp_rotated" not in everything_logged.text
    assert TOKEN not in everything_logged.text


async def test_unreadable_token_file_is_a_github_error(fake: FakeGitHub, tmp_path: Path) -> None:
    async with GitHubClient(
        TokenFile(tmp_path / "absent"), endpoint=fake.url, policy=POLICY
    ) as client:
        with pytest.raises(GitHubError, match="--github-token-path"):
            await client.create_comment("org", "repo", 1, "x")
    assert fake.requests == []


async def test_app_installation_token_is_fetched_cached_and_refreshed(
    fake: FakeGitHub, app_keys: tuple[str, str], everything_logged: pytest.LogCaptureFixture
) -> None:
    private, public = app_keys
    clock = VirtualClock()
    fake.enable_app(APP_ID, public, {"org": 11, "other": 12}, now=clock.now)
    app = GitHubApp(APP_ID, private, clock=clock)
    async with GitHubClient(app, endpoint=fake.url, policy=POLICY, clock=clock) as client:
        await client.create_comment("org", "repo", 1, "first")
        await client.create_comment("org", "repo", 1, "second")
        clock.advance(timedelta(minutes=54))
        await client.create_comment("org", "repo", 1, "still cached")
        clock.advance(timedelta(minutes=2))
        await client.create_comment("org", "repo", 1, "refreshed")
        await client.create_comment("other", "repo", 1, "another installation")
        comments = await client.list_issue_comments("org", "repo", 1)
    assert [(r.method, r.path) for r in fake.requests if r.path.startswith(("/app", "/orgs"))] == [
        ("GET", "/orgs/org/installation"),
        ("POST", "/app/installations/11/access_tokens"),
        ("POST", "/app/installations/11/access_tokens"),
        ("GET", "/orgs/other/installation"),
        ("POST", "/app/installations/12/access_tokens"),
    ]
    assert all(
        r.authorization.lower().startswith("bearer ")
        for r in fake.requests
        if "installation" in r.path
    )
    used = [r.authorization for r in fake.calls("POST", "/repos/org/repo/issues/1/comments")]
    assert used[0] == used[1] == used[2] != used[3]
    assert all(u.startswith("token ghs_") for u in used)
    assert {c.user.login for c in comments} == {"minprow-app[bot]"}
    assert fake.app is not None
    for token in fake.app.tokens:
        assert token not in everything_logged.text
    assert "installation token for org" in everything_logged.text


async def test_app_not_installed_on_an_org(fake: FakeGitHub, app_keys: tuple[str, str]) -> None:
    private, public = app_keys
    fake.enable_app(APP_ID, public, {"org": 11})
    async with GitHubClient(GitHubApp(APP_ID, private), endpoint=fake.url, policy=POLICY) as client:
        with pytest.raises(GitHubError, match="not installed on stranger"):
            await client.is_member("stranger", "alice")
    assert [r.path for r in fake.requests] == [
        "/orgs/stranger/installation",
        "/users/stranger/installation",
    ]


async def test_app_with_the_wrong_key_is_refused(
    fake: FakeGitHub, app_keys: tuple[str, str]
) -> None:
    _, public = app_keys
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wrong = other.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    fake.enable_app(APP_ID, public, {"org": 11})
    async with GitHubClient(GitHubApp(APP_ID, wrong), endpoint=fake.url, policy=POLICY) as client:
        with pytest.raises(
            GitHubError, match="installation on org: A JSON web token could not be decoded"
        ):
            await client.is_member("org", "alice")


async def test_app_bot_user_is_its_slug(fake: FakeGitHub, app_keys: tuple[str, str]) -> None:
    private, public = app_keys
    fake.enable_app(APP_ID, public, {"org": 11}, slug="prow-robot")
    async with GitHubClient(GitHubApp(APP_ID, private), endpoint=fake.url, policy=POLICY) as client:
        user = await client.get_user()
        await client.get_user()
    assert (user.login, user.type) == ("prow-robot[bot]", "Bot")
    assert [r.path for r in fake.requests] == ["/app"]


def test_app_key_is_read_from_a_file(tmp_path: Path, app_keys: tuple[str, str]) -> None:
    key = tmp_path / "app.pem"
    key.write_text(app_keys[0])
    assert GitHubApp.from_files(APP_ID, key).jwt().count(".") == 2
    with pytest.raises(CredentialsError, match=r"absent\.pem"):
        GitHubApp.from_files(APP_ID, tmp_path / "absent.pem")


def test_reprs_hide_secrets(token_file: Path, app_keys: tuple[str, str]) -> None:
    private, _ = app_keys
    shown = [
        repr(TokenFile(token_file)),
        repr(GitHubApp(APP_ID, private)),
        repr(GitHubClient(TokenFile(token_file))),
        repr(GitHubClient(GitHubApp(APP_ID, private))),
    ]
    for text in shown:
        assert TOKEN not in text
        assert "PRIVATE KEY" not in text
        assert "<hidden>" in text

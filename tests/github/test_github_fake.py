"""The fake GitHub itself, from outside asyncio: served from a thread (as for
minprow run in a subprocess), with rate-limit headers on every answer and
GitHub's `Link` pagination, seen by a plain blocking HTTP client."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from fakegithub import FakeGitHub

SHA = "c" * 40


def _call(url: str, method: str = "GET", body: Any = None) -> tuple[int, dict[str, str], Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", "token t")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
            return answer.status, dict(answer.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read() or b"null")


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", f"/repos/o/r/statuses/{SHA}", {"state": "success", "context": "c"}, 201),
        ("POST", f"/repos/o/r/statuses/{'d' * 40}", {"state": "success"}, 422),
        ("GET", "/orgs/o/members/nobody", None, 404),
        ("GET", "/user", None, 200),
        ("GET", "/repos/o/r/pulls/1", None, 404),
    ],
    ids=["status-201", "status-unknown-sha-422", "member-404", "user-200", "pull-404"],
)
def test_served_from_a_thread_with_rate_limit_headers(
    method: str, path: str, body: Any, status: int
) -> None:
    with FakeGitHub(tokens={"t"}, known_shas={SHA}).in_thread() as fake:
        code, headers, _ = _call(fake.url + path, method, body)
    assert code == status
    assert headers["X-RateLimit-Limit"] == "5000"
    assert int(headers["X-RateLimit-Remaining"]) < 5000
    assert [(r.method, r.path) for r in fake.requests] == [(method, path)]


def test_link_header_walks_every_page() -> None:
    with FakeGitHub().in_thread() as fake:
        fake.labels[("o", "r", 1)] = [f"l{n}" for n in range(5)]
        url: str | None = fake.url + "/repos/o/r/issues/1/labels?per_page=2"
        names: list[str] = []
        while url:
            _, headers, page = _call(url)
            names += [label["name"] for label in page]
            links = dict(
                (part.split("; ")[1][5:-1], part.split("; ")[0][1:-1])
                for part in headers.get("Link", "").split(", ")
                if part
            )
            url = links.get("next")
    assert names == [f"l{n}" for n in range(5)]
    assert len(fake.requests) == 3


def test_rate_limited_once_then_served() -> None:
    with FakeGitHub().in_thread() as fake:
        fake.rate_limit_once(30)
        first = _call(fake.url + "/user")
        second = _call(fake.url + "/user")
    assert (first[0], first[1]["X-RateLimit-Remaining"]) == (403, "0")
    assert "rate limit exceeded" in first[2]["message"]
    assert second[0] == 200

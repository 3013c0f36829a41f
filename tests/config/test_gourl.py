"""Go's `url.Parse` as Prow's config checks use it: what it refuses, and the scheme."""

from __future__ import annotations

import pytest

from minprow.config.gourl import URLError, parse_scheme

URLS = [
    # url, scheme Go reads (None: Go refuses it, with this part of the reason)
    ("https://github.com/org/repo.git", "https"),
    ("HTTP://github.com/org/repo.git", "http"),  # schemes are lower-cased
    ("github.com:org/repo.git", "github.com"),  # "." may follow a letter in a scheme
    ("github.com/org/repo.git", ""),  # a relative path
    ("/local/path", ""),
    ("http://[::1]:8080/x", "http"),
    ("mailto:%zz", "mailto"),  # an opaque part is not unescaped
]
REFUSED = [
    ("://notvalidURI", "missing protocol scheme"),
    ("https:// my-prow", 'invalid character " " in host name'),
    ("http://host:port/x", 'invalid port ":port" after host'),
    ("1.2:x", "first path segment in URL cannot contain colon"),  # a digit cannot start a scheme
    ("a%zz", 'invalid URL escape "%zz"'),
    ("http://h/x#%g", 'invalid URL escape "%g"'),
    ("http://h/\x7f", "invalid control character in URL"),
]


@pytest.mark.parametrize(("url", "scheme"), URLS, ids=[u for u, _ in URLS])
def test_scheme(url: str, scheme: str) -> None:
    assert parse_scheme(url) == scheme


@pytest.mark.parametrize(("url", "reason"), REFUSED, ids=[u for u, _ in REFUSED])
def test_refused(url: str, reason: str) -> None:
    with pytest.raises(URLError, match=reason.replace("(", r"\(")) as caught:
        parse_scheme(url)
    assert f'parse "{url}"' in str(caught.value)

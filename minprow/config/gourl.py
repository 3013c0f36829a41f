"""Go's `net/url.Parse` for configuration: which URLs Prow refuses, and their scheme.

Prow checks URLs of its configuration with Go's `url.Parse` (a job's `clone_uri`
and its extra refs' in `UtilityConfig.Validate`, plank's `job_url_prefix_config`).
Go's parser is lenient in its own way: "github.com:org/repo.git" parses, with the
scheme "github.com", while "://host" and "https:// host" do not. `parse_scheme`
follows Go's rules for what it refuses (control characters, a missing scheme
before ":", a colon in the first segment of a relative path, a host with
characters a host may not have or a bad port, a broken %-escape) and returns the
lower-cased scheme, which is all Prow looks at afterwards.
"""

from __future__ import annotations

import string


class URLError(ValueError):
    """A URL Go's `url.Parse` refuses; the message is Go's reason."""


_SCHEME_FIRST = frozenset(string.ascii_letters)
_SCHEME_REST = frozenset(string.ascii_letters + string.digits + "+-.")
_HEX = frozenset(string.hexdigits)
_HOST_OK = frozenset(string.ascii_letters + string.digits + "-_.~" + "!$&'()*+,;=:[]<>\"")


def parse_scheme(raw: str) -> str:
    """The scheme of `raw` as Go's `url.Parse` reads it ("" for a relative URL).

    Raises URLError when Go's parser refuses `raw`."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in raw):
        raise URLError(f'parse "{raw}": net/url: invalid control character in URL')
    text, _, fragment = raw.partition("#")
    _check_escapes(raw, fragment)
    if text == "*":
        return ""
    scheme, rest = _split_scheme(raw, text)
    rest = rest.partition("?")[0]
    if not rest.startswith("/"):
        if scheme:
            return scheme  # opaque ("mailto:x", "github.com:org/repo.git"): kept as is
        if ":" in rest.partition("/")[0]:
            raise URLError(f'parse "{raw}": first path segment in URL cannot contain colon')
        _check_escapes(raw, rest)
        return scheme
    if rest.startswith("//") and (scheme or not rest.startswith("///")):
        authority, slash, path = rest[2:].partition("/")
        _check_host(raw, authority.rpartition("@")[2])
        rest = slash + path
    _check_escapes(raw, rest)
    return scheme


def _split_scheme(raw: str, text: str) -> tuple[str, str]:
    # Go's getScheme: letters first, then letters, digits, "+", "-" or "."; any
    # other character before a ":" means there is no scheme at all.
    for i, c in enumerate(text):
        if c == ":":
            if i == 0:
                raise URLError(f'parse "{raw}": missing protocol scheme')
            return text[:i].lower(), text[i + 1 :]
        if c not in (_SCHEME_FIRST if i == 0 else _SCHEME_REST):
            return "", text
    return "", text


def _check_host(raw: str, host: str) -> None:
    if host.startswith("["):
        end = host.find("]")
        if end == -1:
            raise URLError(f"parse \"{raw}\": missing ']' in host")
        port = host[end + 1 :]
        if port and not ((port.startswith(":") and port[1:].isdigit()) or port == ":"):
            raise URLError(f'parse "{raw}": invalid port "{port}" after host')
        return
    colon = host.rfind(":")
    if colon != -1:
        port = host[colon + 1 :]
        if port and not (port.isascii() and port.isdigit()):
            raise URLError(f'parse "{raw}": invalid port ":{port}" after host')
        host = host[:colon]
    for c in host:
        if c != "%" and c.isascii() and c not in _HOST_OK:
            raise URLError(f'parse "{raw}": invalid character "{c}" in host name')
    _check_escapes(raw, host)


def _check_escapes(raw: str, text: str) -> None:
    i = text.find("%")
    while i != -1:
        code = text[i + 1 : i + 3]
        if len(code) < 2 or not all(c in _HEX for c in code):
            raise URLError(f'parse "{raw}": invalid URL escape "{text[i : i + 3]}"')
        i = text.find("%", i + 3)

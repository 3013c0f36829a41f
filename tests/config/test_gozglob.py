"""zglob's `Match` (minprow/config/gozglob.py), against go-zglob's own test table.

go-zglob's `testGlobs` lists, for a small tree, exactly the paths `Glob` finds
for each pattern; `Match` over every path of that tree must pick the same ones.
The cases below it are the globs of Prow's config-updater tests and of real
plugins.yaml files.
"""

from __future__ import annotations

import pytest

from minprow.config.gozglob import GlobError, compile_glob, match

TREE = (
    "foo",
    "foo/baz",
    "foo/bar",
    "foo/bar/baz.txt",
    "foo/bar/baz",
    "foo/bar/baz/noo.txt",
    "hoo",
    "hoo/bar",
    "zzz",
    "zzz/bar",
    "zzz/bar/baz",
    "zzz/bar/baz/zoo.jpg",
    "zzz/bar/baz/joo.png",
)

GLOBS = [
    ("fo*", {"foo"}),
    ("foo", {"foo"}),
    ("foo/*", {"foo/bar", "foo/baz"}),
    ("foo/**", {"foo/bar", "foo/baz"}),
    ("f*o/**", {"foo/bar", "foo/baz"}),
    ("*oo/**", {"foo/bar", "foo/baz", "hoo/bar"}),
    ("*oo/b*", {"foo/bar", "foo/baz", "hoo/bar"}),
    ("*oo/bar", {"foo/bar", "hoo/bar"}),
    ("*oo/*z", {"foo/baz"}),
    (
        "foo/**/*",
        {"foo/bar", "foo/bar/baz", "foo/bar/baz.txt", "foo/bar/baz/noo.txt", "foo/baz"},
    ),
    (
        "*oo/**/*",
        {"foo/bar", "foo/bar/baz", "foo/bar/baz.txt", "foo/bar/baz/noo.txt", "foo/baz", "hoo/bar"},
    ),
    ("*oo/*.txt", set()),
    ("*oo/*/*.txt", {"foo/bar/baz.txt"}),
    ("*oo/**/*.txt", {"foo/bar/baz.txt", "foo/bar/baz/noo.txt"}),
    ("doo", set()),
    ("./f*", {"foo"}),
    ("**/bar/**/*.txt", {"foo/bar/baz.txt", "foo/bar/baz/noo.txt"}),
    ("**/bar/**/*.{jpg,png}", {"zzz/bar/baz/joo.png", "zzz/bar/baz/zoo.jpg"}),
    ("zzz/bar/baz/zoo.{jpg,png}", {"zzz/bar/baz/zoo.jpg"}),
]


@pytest.mark.parametrize(("pattern", "expected"), GLOBS, ids=[g for g, _ in GLOBS])
def test_match_picks_what_glob_finds(pattern: str, expected: set[str]) -> None:
    assert {path for path in TREE if match(pattern, path)} == expected


CASES = [
    ("config/prow/config.yaml", "config/prow/config.yaml", True),
    ("config/prow/config.yaml", "config/prow/plugins.yaml", False),
    ("config/jobs/**/*.{yaml,yml}", "config/jobs/a/b/c.yml", True),
    ("config/jobs/**/*.{yaml,yml}", "config/jobs/c.yaml", True),
    ("config/jobs/**/*.{yaml,yml}", "config/jobs/c.json", False),
    ("config/jobs/**/*.{yaml,yml}", "config/other/c.yaml", False),
    ("dir/subdir/**/*.yaml", "dir/subdir/fejta.yaml", True),
    ("dir/subdir/**/*.yaml", "dir/subdir/fejtaverse/sig-foo/added.yaml", True),
    ("dir/subdir/**/*.yaml", "dir/fejta.yaml", False),
    ("prow/*.{yaml,yml}", "prow/binary.yml", True),
    ("prow/*.{yaml,yml}", "prow/sub/binary.yml", False),
    ("prow/?.yaml", "prow/a.yaml", False),
    ("prow/?.yaml", "prow/?.yaml", True),
    ("prow/[ab].yaml", "prow/[ab].yaml", True),
    ("prow/*[ab].yaml", "prow/xa.yaml", True),
    ("prow/*[ab].yaml", "prow/xc.yaml", False),
    ("prow/!(a).yaml", "prow/!(a).yaml", True),
    ("*/!(a).yaml", "prow/cd.yaml", True),
    ("*/!(a).yaml", "prow/ca.yaml", False),
    ("*/!(a).yaml", "p/c.yaml", True),
    ("*", "a", False),
    ("*", "ab", True),
    ("config/prow/webserver-static-files/*", "config/prow/webserver-static-files/x.png", True),
]


@pytest.mark.parametrize(
    ("pattern", "name", "expected"), CASES, ids=[f"{p} {n}" for p, n, _ in CASES]
)
def test_match(pattern: str, name: str, expected: bool) -> None:
    assert match(pattern, name) is expected


def test_a_class_go_refuses_is_an_error() -> None:
    with pytest.raises(GlobError, match=r"prow/\*\[z-a\]"):
        compile_glob("prow/*[z-a]")

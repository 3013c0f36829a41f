"""The README's links lead somewhere a reader of the repository can follow.

Every link and image of README.md (and any other Markdown file of the
repository) is a web address, a heading of the same file, or a relative path
to a file or directory that exists inside the repository. A path in backticks
that climbs out of the repository (`../...`) is refused too: a reader of a
clone does not have what lies next to it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_SKIPPED = {".git", "build", "node_modules", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
DOCUMENTS = sorted(
    path
    for path in REPO.rglob("*.md")
    if not _SKIPPED.intersection(path.relative_to(REPO).parts)
    and not any(part.endswith(".egg-info") for part in path.parts)
)

_INLINE = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
_HTML = re.compile(r"\b(?:href|src)\s*=\s*[\"']([^\"']+)[\"']")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, blanks as '-'."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(text: str) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", text), re.MULTILINE):
        slug = _slug(match.group(1))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f"{slug}-{count}")
    return anchors


def _targets(text: str) -> list[str]:
    prose = _FENCE.sub("", text)
    return [m.group(1) for pattern in (_INLINE, _REFERENCE, _HTML) for m in pattern.finditer(prose)]


def _broken(document: Path, text: str) -> list[str]:
    """What is wrong with the links of `text`, read as the file `document`."""
    anchors = _anchors(text)
    broken = []
    for target in _targets(text):
        if _SCHEME.match(target):
            continue
        path, _, fragment = target.partition("#")
        if not path:
            if fragment not in anchors:
                broken.append(f"{target}: no such heading in {document.name}")
            continue
        resolved = (document.parent / path).resolve()
        if not resolved.is_relative_to(REPO):
            broken.append(f"{target}: outside the repository")
        elif not resolved.exists():
            broken.append(f"{target}: no such file in the repository")
    for code in _CODE.findall(_FENCE.sub("", text)):
        climbs = code.startswith("../") or "/../" in code
        if climbs and not (document.parent / code).resolve().is_relative_to(REPO):
            broken.append(f"`{code}`: a path outside the repository")
    return broken


def test_the_readme_is_among_the_documents() -> None:
    assert REPO / "README.md" in DOCUMENTS


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(REPO)) for d in DOCUMENTS])
def test_every_link_resolves_inside_the_repository(document: Path) -> None:
    assert _broken(document, document.read_text()) == []


# (what a document says, what is wrong with it, or None)
CHECKER_CASES = [
    ("[design](docs/screenshots/jobs.svg)", None),
    ("![jobs](docs/screenshots/jobs.svg)", None),
    ("[web](https://github.com/kubernetes-sigs/prow)", None),
    ("# Quick start\n[up](#quick-start)", None),
    ("[design](../shared/DESIGN.md)", "../shared/DESIGN.md: outside the repository"),
    ("[gone](docs/no-such.md)", "docs/no-such.md: no such file in the repository"),
    ("[nowhere](#no-such-heading)", "#no-such-heading: no such heading in README.md"),
    ("[d]: ../shared/DESIGN.md", "../shared/DESIGN.md: outside the repository"),
    ('<img src="/etc/hostname">', "/etc/hostname: outside the repository"),
    ("see `../shared/DESIGN.md`", "`../shared/DESIGN.md`: a path outside the repository"),
    ("```sh\ncat ../shared/DESIGN.md\n```", None),
]


@pytest.mark.parametrize(
    ("text", "problem"),
    CHECKER_CASES,
    ids=[
        "relative-file",
        "image",
        "web-address",
        "heading",
        "climbs-out",
        "missing-file",
        "missing-heading",
        "reference-definition",
        "html-absolute",
        "backticked-path-out",
        "code-block-ignored",
    ],
)
def test_the_checker_finds_what_it_should(text: str, problem: str | None) -> None:
    # Read as the README itself, so relative paths resolve from the repository's root.
    assert _broken(REPO / "README.md", text) == ([] if problem is None else [problem])

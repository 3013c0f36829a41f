"""The real Prow configurations of shared/corpus, found at run time.

Every folder of shared/corpus is one project's Prow configuration, laid out as its
repository has it (`config/prow/config.yaml`, `config/prow/plugins.yaml`,
`config/jobs/`), with a PROVENANCE.md that records its job counts. Tests over the
corpus parametrise over `corpora()`, so a corpus added later is tested with no
code change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared"
CORPUS_ROOT = SHARED / "corpus"


@dataclass(frozen=True)
class Corpus:
    """One project's Prow configuration and the counts its PROVENANCE.md records."""

    name: str
    root: Path
    presubmits: int
    postsubmits: int
    periodics: int
    repos: int

    @property
    def config(self) -> Path:
        return self.root / "config" / "prow" / "config.yaml"

    @property
    def jobs(self) -> Path:
        return self.root / "config" / "jobs"

    @property
    def plugins(self) -> Path:
        return self.root / "config" / "prow" / "plugins.yaml"

    @property
    def paths(self) -> tuple[Path, Path, Path]:
        """config.yaml, the job config directory and plugins.yaml."""
        return self.config, self.jobs, self.plugins


def corpora() -> list[Corpus]:
    """Every corpus folder, in name order (none when shared/ is not beside the repo)."""
    if not CORPUS_ROOT.is_dir():
        return []
    return [
        _read(folder)
        for folder in sorted(CORPUS_ROOT.iterdir())
        if (folder / "PROVENANCE.md").is_file()
    ]


def _number(cell: str) -> int:
    return int(cell.strip().strip("*").replace(",", ""))


def _read(folder: Path) -> Corpus:
    """The counts of the first PROVENANCE.md table whose header names presubmits,
    postsubmits and periodics (the repos from a `repos` column, else from "Repos: N")."""
    text = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    rows = [
        [cell.strip().lower() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.lstrip().startswith("|")
    ]
    for i, header in enumerate(rows):
        if {"presubmits", "postsubmits", "periodics"} <= set(header):
            data = next(r for r in rows[i + 1 :] if not set("".join(r)) <= set("-: "))
            counts = {name: data[header.index(name)] for name in header if name}
            break
    else:
        raise ValueError(f"{folder / 'PROVENANCE.md'}: no table of job counts")
    if "repos" in counts:
        repos = _number(counts["repos"])
    else:
        found = re.search(r"Repos:\s*([\d,]+)", text)
        if found is None:
            raise ValueError(f"{folder / 'PROVENANCE.md'}: no count of repos")
        repos = _number(found.group(1))
    return Corpus(
        folder.name,
        folder,
        _number(counts["presubmits"]),
        _number(counts["postsubmits"]),
        _number(counts["periodics"]),
        repos,
    )

"""Real parts for the decoration tests: git repositories made with GitPython, a
GCS emulator (gcp-storage-emulator) for the real google-cloud-storage client,
an HTTP server that answers 404, and the ProwJobs of fixtures/podutils.

A "remote" is a bare repository laid out as GitHub serves one: `master` with
two commits, and pull requests at `refs/pull/<n>/head`:

| PR | change |
| --- | --- |
| 1 | adds one.txt |
| 2 | adds two.txt |
| 3 | rewrites README (conflicts with master's second commit) |
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import git
import pytest
import yaml

from minprow.model import ProwJob, Pull, Refs

FIXTURES = Path(__file__).parents[2] / "fixtures" / "podutils"
NOW = datetime(2026, 11, 24, 10, 5, tzinfo=UTC)
AUTHOR = git.Actor("Alice", "alice@example.com")


@pytest.fixture(autouse=True)
def git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Git without the developer's config, allowing file:// submodules (as a test needs)."""
    config = tmp_path_factory.mktemp("gitconfig") / "config"
    config.write_text('[protocol "file"]\n\tallow = always\n[init]\n\tdefaultBranch = master\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@dataclass(frozen=True)
class Remote:
    """A bare repository and the commits the tests refer to."""

    path: Path
    first: str
    """master's first commit."""
    base: str
    """master's head."""
    pulls: dict[int, str]
    """PR number -> head SHA."""

    @property
    def uri(self) -> str:
        return str(self.path)

    def refs(self, *pulls: int, with_sha: bool = True, **fields: Any) -> Refs:
        """Refs of acme/widget at master with the given PRs, cloned from here."""
        pull_list = [
            Pull(number=n, author="alice", sha=self.pulls[n] if with_sha else "") for n in pulls
        ]
        values: dict[str, Any] = {
            "org": "acme",
            "repo": "widget",
            "base_ref": "master",
            "clone_uri": self.uri,
            "pulls": pull_list or None,
        }
        return Refs(**{**values, **fields})


def _commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    root = Path(repo.working_tree_dir or ".")
    for name, text in files.items():
        (root / name).write_text(text)
    repo.index.add(list(files))
    return repo.index.commit(message, author=AUTHOR, committer=AUTHOR).hexsha


def make_remote(root: Path, *, submodule: Remote | None = None) -> Remote:
    """A bare "remote" under `root`, optionally with `submodule` at lib/."""
    work = git.Repo.init(root / "work", initial_branch="master")
    first = _commit(work, {"README": "widget\n"}, "initial")
    if submodule is not None:
        work.git.submodule("add", submodule.uri, "lib")
        work.index.commit("add lib", author=AUTHOR, committer=AUTHOR)
    base = _commit(work, {"README": "widget, second edition\n"}, "second")
    pulls: dict[int, str] = {}
    for number, files, parent in (
        (1, {"one.txt": "1\n"}, base),
        (2, {"two.txt": "2\n"}, base),
        (3, {"README": "a conflicting widget\n"}, first),
    ):
        work.git.checkout("-q", "-b", f"pr{number}", parent)
        pulls[number] = _commit(work, files, f"PR {number}")
        work.git.checkout("-q", "master")
    bare = root / "remote.git"
    git.Repo.init(bare, bare=True, initial_branch="master")
    work.git.push(str(bare), "master", *(f"pr{n}:refs/pull/{n}/head" for n in pulls))
    return Remote(bare, first, base, pulls)


@pytest.fixture
def remote(tmp_path: Path) -> Remote:
    return make_remote(tmp_path / "widget")


@pytest.fixture
def remote_with_submodule(tmp_path: Path) -> Remote:
    lib = make_remote(tmp_path / "lib")
    return make_remote(tmp_path / "widget", submodule=lib)


def load_prowjob(name: str) -> ProwJob:
    """A ProwJob of fixtures/podutils/prowjobs.yaml."""
    data = yaml.safe_load((FIXTURES / "prowjobs.yaml").read_text())
    return ProwJob.from_wire(data[name])


def with_refs(job: ProwJob, refs: Refs, extra_refs: list[Refs] | None = None) -> ProwJob:
    """`job` testing `refs` (and `extra_refs`) instead of its own."""
    spec = job.spec.model_copy(update={"refs": refs, "extra_refs": extra_refs})
    return job.model_copy(update={"spec": spec})


class _NotFound(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_404() -> Iterator[str]:
    """An HTTP server that has no repositories: its base URL (host:port)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()

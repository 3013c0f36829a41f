"""What only the sqlite backend promises: its file, schema and default location."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from minprow.model import ProwJob, ProwJobState
from minprow.store import (
    DB_FILE,
    SqliteBackend,
    StoreError,
    copy_job,
    open_store,
    state_root,
)

MakeJob = Callable[..., ProwJob]


@pytest.mark.parametrize(
    ("xdg", "expected"),
    [
        ("/srv/state", Path("/srv/state/minprow")),
        (None, Path.home() / ".local/state/minprow"),
        ("relative/ignored", Path.home() / ".local/state/minprow"),
    ],
    ids=["xdg-state-home", "unset", "relative-is-ignored"],
)
def test_state_root(monkeypatch: pytest.MonkeyPatch, xdg: str | None, expected: Path) -> None:
    if xdg is None:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_STATE_HOME", xdg)
    assert state_root() == expected


async def test_open_store_creates_the_file_in_the_state_dir(
    tmp_path: Path, make_job: MakeJob
) -> None:
    state_dir = tmp_path / "nested" / "state"
    async with open_store("sqlite", state_dir) as store:
        await store.create(make_job("a"))
    assert (state_dir / DB_FILE).is_file()


async def test_another_process_can_query_the_indexed_columns(
    tmp_path: Path, make_job: MakeJob
) -> None:
    async with open_store("sqlite", tmp_path) as store:
        stored = await store.create(make_job("a", pull=7, cluster="build"))
        draft = copy_job(stored)
        draft.status.state = ProwJobState.PENDING
        await store.update(draft)

        with closing(sqlite3.connect(tmp_path / DB_FILE)) as db:
            assert db.execute("PRAGMA user_version").fetchone() == (1,)
            assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            row = db.execute(
                "SELECT name, revision, state, job, type, org, repo, pull, cluster FROM prowjobs"
            ).fetchone()
            changes = db.execute("SELECT revision, type FROM changes ORDER BY revision").fetchall()
    assert row == (
        "a", 2, "pending", "pull-test-infra-unit", "presubmit",
        "kubernetes", "test-infra", 7, "build",
    )  # fmt: skip
    assert changes == [(1, "ADDED"), (2, "MODIFIED")]


async def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / DB_FILE)) as db:
        db.execute("PRAGMA user_version = 99")

    with pytest.raises(StoreError, match="schema version 99, newer than"):
        await SqliteBackend.in_dir(tmp_path).open()


def test_open_store_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown job store 'etcd'"):
        open_store("etcd")

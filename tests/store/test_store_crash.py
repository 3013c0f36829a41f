"""Crash safety of the sqlite backend, with a real process killed by SIGKILL.

A child process creates and updates ProwJobs in a loop and prints a line only
after each write returned (was acknowledged). The parent kills it mid-loop and
checks that every acknowledged write is in the reopened store.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from minprow.model import ProwJob, ProwJobState
from minprow.store import DB_FILE, open_store

_CHILD = """
import asyncio, sys
from pathlib import Path
from minprow.model import ProwJob, ProwJobState
from minprow.store import copy_job, open_store

async def main() -> None:
    async with open_store("sqlite", Path(sys.argv[1])) as store:
        for i in range(1_000_000):
            job = ProwJob.model_validate({
                "metadata": {"name": f"crash-{i:06d}"},
                "spec": {"type": "periodic", "job": "ci-crash"},
            })
            stored = await store.create(job)
            print("created", stored.name, stored.resource_version, flush=True)
            if i % 2:
                draft = copy_job(stored)
                draft.status.state = ProwJobState.PENDING
                updated = await store.update(draft)
                print("updated", updated.name, updated.resource_version, flush=True)

asyncio.run(main())
"""


async def test_no_acknowledged_write_is_lost_to_sigkill(tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    acknowledged: list[list[str]] = []
    while len(acknowledged) < 300:
        line = await child.stdout.readline()
        assert line, "the child ended before it was killed"
        acknowledged.append(line.decode().split())

    child.send_signal(signal.SIGKILL)
    rest = await child.stdout.read()  # lines written before the kill are acknowledged too
    acknowledged.extend(line.split() for line in rest.decode().splitlines() if line.strip())
    assert await child.wait() == -signal.SIGKILL

    async with open_store("sqlite", tmp_path) as store:
        for kind, name, version in acknowledged:
            job = store.get(name)
            assert int(job.metadata.resource_version or 0) >= int(version)
            if kind == "updated":
                assert job.status.state is ProwJobState.PENDING
        assert store.revision >= int(acknowledged[-1][2])
        after = ProwJob.model_validate(
            {"metadata": {"name": "after-crash"}, "spec": {"type": "periodic", "job": "ci"}}
        )
        await store.create(after)  # and it takes writes again

    async with open_store("sqlite", tmp_path) as again:
        assert again.get("after-crash").metadata.resource_version == str(again.revision)


async def test_the_file_passes_an_integrity_check_after_the_kill(tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, str(tmp_path), stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None
    created = 0
    for _ in range(100):
        line = await child.stdout.readline()
        created += line.startswith(b"created")
    child.send_signal(signal.SIGKILL)
    await child.wait()

    with closing(sqlite3.connect(tmp_path / DB_FILE)) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (rows,) = db.execute("SELECT count(*) FROM prowjobs").fetchone()
        assert rows >= created

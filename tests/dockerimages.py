"""Docker images the tests build, removed when the last test session using them ends.

Test sessions can overlap on one engine (two terminals, CI shards), and an image
such as the busybox one has a single tag that fixture job files name. So a
session registers itself as a user of a tag (under a lock, around the build),
and the session that ends last removes the image; registrations of sessions
whose process is gone do not count. A tag that cannot be removed (a container
still uses it) is left and said so as a warning, never an error.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docker
import docker.errors

ROOT = Path(tempfile.gettempdir()) / f"minprow-test-images-{os.getuid()}"


@contextmanager
def session_images(
    *tags: str,
    build: Callable[[], object] | None = None,
    client: docker.DockerClient | None = None,
) -> Iterator[None]:
    """This session uses `tags` while inside; `build` (if any) runs under the lock,
    so no other session removes them meanwhile. The last user removes them."""
    # One marker per use, named by this process: a tag used twice in one session
    # (a session fixture and a module's) is removed only after both uses end.
    me = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    mine = [ROOT / _file_name(tag) / me for tag in tags]
    with _locked():
        for marker in mine:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        if build is not None:
            build()
    try:
        yield
    finally:
        with _locked():
            unused = []
            for tag, marker in zip(tags, mine, strict=True):
                marker.unlink(missing_ok=True)
                if not _live_users(marker.parent):
                    unused.append(tag)
            if unused:
                _remove(unused, client)


def _file_name(tag: str) -> str:
    return tag.replace("/", "_").replace(":", "__")


@contextmanager
def _locked() -> Iterator[None]:
    ROOT.mkdir(parents=True, exist_ok=True)
    with (ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _live_users(users: Path) -> list[str]:
    live = []
    for marker in users.iterdir():
        pid = marker.name.split("-")[0]
        if pid.isdigit() and _alive(int(pid)):
            live.append(marker.name)
        else:
            marker.unlink(missing_ok=True)  # a session that died before its cleanup
    return live


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _remove(tags: list[str], client: docker.DockerClient | None) -> None:
    try:
        engine = client or docker.from_env(timeout=30)
    except docker.errors.DockerException:
        return  # no engine: nothing was built
    try:
        for tag in tags:
            try:
                engine.images.remove(tag)
            except docker.errors.ImageNotFound:
                pass
            except docker.errors.APIError as err:
                warnings.warn(
                    f"test image {tag} is left behind: {err.explanation or err}", stacklevel=1
                )
    finally:
        if client is None:
            engine.close()

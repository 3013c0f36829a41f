"""The `kind` command line, called as a subprocess with a timeout and its errors kept.

minprow drives kind (kubernetes-sigs/kind, `pkg/cmd/kind/...`) through its CLI
rather than a library: kind is a Go program and the CLI is its stable
interface. Every call has a timeout, and a failure becomes a `KindError` that
names the command, its exit code and the last lines kind wrote to stderr
(kind prints `ERROR: ...` there and exits 1), so `minprow up` says what went
wrong without the user re-running anything. No Prow counterpart in Go: Prow's
`test/integration/setup-kind-cluster.sh` shells out to kind the same way.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence

# Seconds. Creating a cluster may pull the node image (~400 MB) the first time,
# and loading an image copies it into every node; listing is a `docker ps`.
CREATE_TIMEOUT = 900.0
LOAD_TIMEOUT = 600.0
DELETE_TIMEOUT = 300.0
QUERY_TIMEOUT = 60.0

# How many trailing stderr lines a KindError keeps: kind's error is the last
# line or two, preceded by its progress lines ("✓ Preparing nodes 📦").
TAIL_LINES = 15


class KindError(RuntimeError):
    """A kind command that failed, timed out or could not be started."""

    def __init__(self, argv: Sequence[str], message: str, stderr: str = "") -> None:
        self.argv = tuple(argv)
        self.stderr = stderr
        super().__init__(f"`{shlex.join(argv)}` {message}" + _tail(stderr))


def _tail(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    return ":\n" + "\n".join("  " + line for line in lines[-TAIL_LINES:])


def kind_path() -> str | None:
    """Where `kind` is on the PATH, or None."""
    return shutil.which("kind")


def run_kind(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run `kind ARGS...`; its output on success, a `KindError` otherwise."""
    argv = ["kind", *args]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,  # `--config -` would read it; nothing else should
        )
    except FileNotFoundError as err:
        raise KindError(argv, "cannot run: kind is not on the PATH") from err
    except subprocess.TimeoutExpired as err:
        stderr = err.stderr.decode(errors="replace") if isinstance(err.stderr, bytes) else ""
        raise KindError(argv, f"timed out after {timeout:g}s", stderr) from err
    if done.returncode != 0:
        raise KindError(argv, f"failed with exit code {done.returncode}", done.stderr)
    return done


def get_clusters(*, timeout: float = QUERY_TIMEOUT) -> list[str]:
    """`kind get clusters`: the names, one a line on stdout (none: a note on stderr)."""
    out = run_kind("get", "clusters", timeout=timeout).stdout
    return [line.strip() for line in out.splitlines() if line.strip()]

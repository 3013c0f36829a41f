"""Helpers of the runtime tests: a `minprow up` child process whose log can be awaited.

Imported as `from runtime_helpers import ...` (a name no other test directory uses).
"""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class UpProcess:
    """A `minprow up` child process whose log lines can be awaited, in order.

    A thread reads its stderr, so a wait ends at its limit even when the process
    logs nothing; `wait_for` finds the next line after the previous match."""

    def __init__(self, cwd: Path, state_dir: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.port = free_port()
        command = ["up", "--state-dir", str(state_dir), "--port", str(self.port), *args]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "minprow", *command],
            cwd=cwd,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: list[str] = []
        self._cursor = 0
        self._incoming: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._incoming.put(line)
        self._incoming.put(None)

    def wait_for(self, text: str, limit: float = 60) -> str:
        deadline = time.monotonic() + limit
        while True:
            while self._cursor < len(self.lines):
                line = self.lines[self._cursor]
                self._cursor += 1
                if text in line:
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                line = self._incoming.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        raise AssertionError(f"{text!r} never logged; got:\n{''.join(self.lines)}")

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)

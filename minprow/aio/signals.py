"""SIGINT and SIGTERM for a long-running command: the first stops it, the next ends it now.

The first signal asks the command to stop the way it should (`run` aborts its
job and collects the logs, `serve` stops its components in order); a second
signal, or any signal once the command is stopping for another reason (`up`
shutting down after its TUI quit), ends the process at once with 128 + the
signal's number, whatever is in flight. A stop that takes longer than its
`deadline` ends the process too: a SIGTERM always ends it.

These are plain `signal.signal` handlers, not the event loop's
`add_signal_handler`: Python runs them in the main thread even while the loop
is busy or blocked in a call, so the second Ctrl-C works when nothing else
does. The first signal reaches the loop through `call_soon_threadsafe`; before
anything listens for it (a command still preparing) it raises SystemExit where
the main thread is, which unwinds what was being prepared. A forced exit puts
the terminal back as it was (a TUI leaves it raw) before `os._exit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType, TracebackType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
DEADLINE = 90.0
"""Seconds a stop may take before the process ends anyway (`up`, `serve`)."""
_SCREEN_RESET = (
    "\x1b[?1049l"  # leave the alternate screen
    "\x1b[?25h"  # show the cursor
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1015l"  # mouse reporting off
    "\x1b[?2004l"  # bracketed paste off
    "\x1b[>4;0m"  # modifyOtherKeys off (Kitty's keyboard protocol is popped below)
    "\x1b[<u"
)

_current: Interrupts | None = None


def interrupt() -> bool:
    """Act as if SIGINT had come (a TUI, which reads Ctrl-C as a key); False when no
    `Interrupts` is installed, so the caller does what it would do alone."""
    if _current is None:
        return False
    _current.handle(signal.SIGINT)
    return True


def on_stop(callback: Callable[[], None]) -> Callable[[], None]:
    """`Interrupts.on_stop` of the installed one (a TUI in `up`); a no-op without one."""
    if _current is None:
        return lambda: None
    return _current.on_stop(callback)


class Interrupts:
    """Installed for a command's whole run: `with Interrupts("minprow run"): ...`."""

    def __init__(
        self,
        command: str,
        *,
        deadline: float | None = DEADLINE,
        stopping: str = "stopping",
        screen: bool = False,
        announce: bool | None = None,
    ) -> None:
        self.command = command
        self.deadline = deadline
        """Seconds from the first signal to a forced exit; None: no limit."""
        self.stopping_message = stopping
        """What the first signal starts, said on stderr ("aborting the job ...")."""
        self.screen = screen
        """A full-screen TUI may be showing: leave its screen modes on a forced exit."""
        self.announce_stop = _isatty(2) if announce is None else announce
        """Say on stderr that the command is stopping and how to end it at once (by
        default only to a terminal: a server's stderr is its JSON log)."""
        self.received: signal.Signals | None = None
        self.stopping = False
        self.left_behind: Callable[[], str | None] = lambda: None
        """What a forced exit leaves running, said as it exits (a job's container)."""
        self._listeners: list[tuple[asyncio.AbstractEventLoop | None, Callable[[], None]]] = []
        self._previous: dict[signal.Signals, Any] = {}
        self._timer: threading.Timer | None = None
        self._terminal: list[Any] | None = None

    def __enter__(self) -> Interrupts:
        global _current
        if threading.current_thread() is not threading.main_thread():
            return self  # only the main thread may set handlers (a test's thread)
        for sig in SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        self._terminal = _terminal_state()
        _current = self
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        global _current
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous.clear()
        if self._timer is not None:
            self._timer.cancel()
        if _current is self:
            _current = None

    def on_stop(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` in the running loop (if any) at the first signal; the returned
        function stops listening. Once something listens, a first signal no longer
        raises SystemExit."""
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None  # the loop that runs when the signal comes (Textual makes its own)
        entry = (loop, callback)
        self._listeners.append(entry)

        def remove() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(entry)

        return remove

    def begin_stop(self, *, announce: bool = True) -> None:
        """The command is stopping, for a signal or another reason: a signal now ends it
        at once, and so does the deadline. `announce=False`: say so later (`announce`)."""
        if self.stopping:
            return
        self.stopping = True
        if announce:
            self.announce(after_signal=self.received is not None)
        if self.deadline is not None:
            self._timer = threading.Timer(self.deadline, self._expired)
            self._timer.daemon = True
            self._timer.start()

    def announce(self, *, after_signal: bool = False) -> None:
        """Say that the command is stopping and how to end it at once (on a line of its
        own after the `^C` a terminal echoes)."""
        if self.announce_stop:
            start = "\n" if after_signal and _isatty(2) else ""
            _say(
                f"{start}{self.command}: {self.stopping_message}; "
                "press Ctrl-C again to exit at once\n"
            )

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.handle(signal.Signals(signum))

    def handle(self, sig: signal.Signals) -> None:
        if self.stopping:
            self.exit_now(sig, f"{sig.name} while stopping")
        self.received = sig
        self.begin_stop(announce=not self.screen)  # not over a TUI: it is said once it is gone
        if not self._listeners:
            # Nothing in flight listens yet: end what the main thread is preparing.
            raise SystemExit(128 + sig)
        for loop, callback in list(self._listeners):
            try:
                target = loop or asyncio.get_running_loop()
            except RuntimeError:
                callback()  # no loop runs: the main thread is this handler's own
                continue
            with contextlib.suppress(RuntimeError):  # its loop is closed: nothing to stop
                target.call_soon_threadsafe(callback)

    def _expired(self) -> None:
        sig = self.received or signal.SIGTERM
        self.exit_now(sig, f"did not stop within {self.deadline:g}s")

    def exit_now(self, sig: signal.Signals, why: str) -> None:
        """End the process at once (from a signal handler or the deadline's thread)."""
        try:
            behind = self.left_behind()
        except Exception:  # a forced exit must happen: a broken hint is not a reason to stay
            behind = None
        self._restore_terminal()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a reentrant flush of a stream in use
                stream.flush()
        start = "\n" if _isatty(2) else ""  # after the terminal's `^C`
        message = f"{start}{self.command}: {why}: exiting now"
        _say(message + (f"; {behind}\n" if behind else "\n"))
        os._exit(128 + sig)

    def _restore_terminal(self) -> None:
        """The terminal's modes as they were at start, and a TUI's screen left, if a
        TUI still holds it (raw modes); a terminal already given back is left alone."""
        if self._terminal is None or _terminal_state() == self._terminal:
            return
        import termios

        if self.screen and _isatty(1):
            with contextlib.suppress(OSError):
                os.write(1, _SCREEN_RESET.encode())
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(0, termios.TCSANOW, self._terminal)


def _terminal_state() -> list[Any] | None:
    """The terminal settings of stdin, to put back on a forced exit; None: no terminal."""
    if not _isatty(0):
        return None
    try:
        import termios

        return termios.tcgetattr(0)
    except Exception:  # no termios here (ImportError), or termios.error
        return None


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _say(text: str) -> None:
    """Straight to file descriptor 2: safe in a signal handler, unlike a buffered write,
    and seen even while a TUI has put its own object in `sys.stderr`."""
    with contextlib.suppress(OSError):
        os.write(2, text.encode(errors="replace"))

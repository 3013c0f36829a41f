"""Full garbage collections whose pause does not grow with the job cache.

The store's cache keeps every ProwJob as a tree of model objects for as long
as the job exists. CPython's full (generation 2) collection walks every object
that survived the last one, so in a serving minprow its pause grows with the
cache: measured under 200 webhooks a second, 18 ms after 7 s, 184 ms after 40 s
— the pauses behind the hook's latency tail. Those objects are long-lived by
construction; the collector has nothing to find among them.

So after each full collection its survivors are frozen (`gc.freeze()`: moved to
the permanent generation, which no collection walks); the next full collection
walks only what was made since. Reference counting still frees a frozen object
as soon as nothing points at it (a deleted ProwJob goes as it always did); what
freezing hides is cyclic garbage among frozen objects. So every `thaw_every`
seconds the survivors are thawed instead, and the next full collection walks
everything once, collecting any such cycles, before freezing again: one long
pause per `thaw_every` instead of ever-longer ones.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

THAW_EVERY = 1800.0
"""Seconds between full collections over everything (for cycles among frozen objects)."""


class FreezeSurvivors:
    """Installed as a `gc` callback for as long as a server runs."""

    def __init__(
        self, *, thaw_every: float = THAW_EVERY, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._thaw_every = thaw_every
        self._clock = clock
        self._thawed_at = clock()
        self.frozen = 0
        """How many times survivors were frozen (for tests and curiosity)."""
        self.thawed = 0

    def __enter__(self) -> FreezeSurvivors:
        gc.freeze()  # what start-up made (the cache as loaded) is long-lived too
        gc.callbacks.append(self._collected)
        return self

    def __exit__(self, *_: object) -> None:
        if self._collected in gc.callbacks:
            gc.callbacks.remove(self._collected)
        gc.unfreeze()

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        now = self._clock()
        if now - self._thawed_at >= self._thaw_every:
            # Not frozen this time: the next full collection walks everything.
            self._thawed_at = now
            gc.unfreeze()
            self.thawed += 1
            return
        gc.freeze()
        self.frozen += 1

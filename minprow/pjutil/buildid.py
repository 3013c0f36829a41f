"""Build ids as Prow vends them without its `tot` service (pkg/pjutil/tot.go):
snowflake ids, as decimal text."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

SNOWFLAKE_EPOCH_MS = 1288834974657
"""The epoch of Prow's snowflake build ids (github.com/bwmarrin/snowflake's default)."""


class BuildIDGenerator:
    """Build ids as Prow vends them without `tot`: snowflake ids, as decimal text.

    An id is `ms << 22 | node << 12 | sequence`, where `ms` is milliseconds since
    `SNOWFLAKE_EPOCH_MS` (41 bits), `node` is this generator's node number (10
    bits; Prow uses 1) and `sequence` counts ids within one millisecond (12 bits).
    Unlike a plain snowflake, the ids of one generator strictly increase even if
    `now` stands still or goes backwards: the generator then continues from the
    last millisecond it used, moving on to the next one when the sequence wraps.
    Ids are 19 digits long from 2015 to 2080, so they also sort as text."""

    def __init__(self, node: int = 1) -> None:
        if not 0 <= node < 1 << 10:
            raise ValueError(f"snowflake node must be in 0..1023, got {node}")
        self._node = node
        self._last_ms = -1
        self._sequence = 0
        self._lock = threading.Lock()

    def next(self, now: datetime) -> str:
        """A new build id for a job started at `now` (a naive `now` is UTC)."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        ms = int(now.timestamp() * 1000) - SNOWFLAKE_EPOCH_MS
        if ms < 0:
            raise ValueError(f"cannot vend a build id for {now.isoformat()}: before 2010-11-04")
        with self._lock:
            if ms <= self._last_ms:
                ms = self._last_ms
                self._sequence = (self._sequence + 1) & 0xFFF
                if self._sequence == 0:
                    ms += 1
            else:
                self._sequence = 0
            self._last_ms = ms
            return str(ms << 22 | self._node << 12 | self._sequence)


_BUILD_IDS = BuildIDGenerator()


def new_build_id(now: datetime) -> str:
    """A new build id from the process-wide generator (see `BuildIDGenerator`)."""
    return _BUILD_IDS.next(now)

"""Growing retry delays, and a repeating failure reported once per distinct error.

A failure that repeats (an upload into a directory that cannot be written, a
reporter whose server is down) is retried after a delay that doubles from
`first` to `maximum`, as the rate-limited work queues of Prow's controllers do
(client-go's `ItemExponentialFailureRateLimiter`). It is worth a log line when
it first happens and when its message changes, not at every attempt: `failed`
says which (`Retry.report`), and `succeeded` says how many attempts a recovery
took, so its end can be logged once too.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Retry:
    delay: float
    """Seconds to wait before the next attempt."""
    attempt: int
    """How many attempts in a row have failed, this one included."""
    report: bool
    """The error is not the one last reported for this key: log it."""


@dataclass
class _Failing:
    attempts: int
    error: str


class Backoff(Generic[K]):
    """The failures in a row of each key (a job, a job and a reporter), with their last error."""

    def __init__(self, first: float, maximum: float) -> None:
        self.first = first
        self.maximum = max(first, maximum)
        self._failing: dict[K, _Failing] = {}

    def failed(self, key: K, error: str) -> Retry:
        current = self._failing.get(key)
        if current is None:
            current = self._failing[key] = _Failing(0, "")
        current.attempts += 1
        report = error != current.error
        current.error = error
        # 2**n overflows a float long before the cap matters: stop doubling at the cap.
        delay = self.first * 2 ** min(current.attempts - 1, 62)
        return Retry(min(delay, self.maximum), current.attempts, report)

    def succeeded(self, key: K) -> int:
        """Forget `key`'s failures; how many there were in a row (0: it was not failing)."""
        current = self._failing.pop(key, None)
        return current.attempts if current is not None else 0

    def attempts(self, key: K) -> int:
        current = self._failing.get(key)
        return current.attempts if current is not None else 0

    def __len__(self) -> int:
        return len(self._failing)

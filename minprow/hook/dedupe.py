"""Repeated deliveries: GitHub redelivers a webhook with the same `X-GitHub-Delivery`.

Prow relies on plugins being idempotent; minprow also remembers the most recent
delivery ids (a bounded LRU, so memory stays flat) and answers a repeat without
dispatching it again.
"""

from __future__ import annotations

from collections import OrderedDict

DEFAULT_REMEMBERED = 10_000


class DeliveryLRU:
    """The last `size` delivery ids seen."""

    def __init__(self, size: int = DEFAULT_REMEMBERED) -> None:
        if size < 1:
            raise ValueError("the delivery LRU must remember at least one delivery")
        self._size = size
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def check_and_add(self, delivery_id: str) -> bool:
        """True when `delivery_id` was already seen; records it either way."""
        if delivery_id in self._seen:
            self._seen.move_to_end(delivery_id)
            return True
        self._seen[delivery_id] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return False

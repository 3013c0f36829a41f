"""One accepted webhook delivery as the inbox keeps it, and the inbox's errors.

A delivery is what GitHub sent (event type, delivery id, the raw payload) and
when hook took it. `done` names the handler calls that have run (a plugin, or
`plugin/generic_comment`: see `minprow.hook.dispatch.call_key`), so a replay
after a crash runs only the others; `replayed` tells the dispatcher that
side effects may already have happened (see `minprow.hook.replay`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class InboxError(Exception):
    """The inbox's storage failed (unreachable, full, refused): the delivery is not kept."""


@dataclass
class InboxEntry:
    """A delivery accepted and not yet handled by every enabled plugin."""

    delivery_id: str
    event_type: str
    body: bytes | None
    """The payload; None once evicted from memory (the backend still has it)."""
    received: datetime
    done: frozenset[str] = frozenset()
    replayed: bool = False
    claim: str = field(default="", compare=False)
    """Backend-private: what the backend needs to re-claim the entry (a resourceVersion)."""
    claimed: datetime | None = None
    """When this process last claimed it (the kube inbox's owners), if the backend tracks it."""
    parsed: Any = field(default=None, compare=False, repr=False)
    """Never stored: what hook worked out of the payload on arrival (the delivery,
    its typed event, its handler calls), kept with the body so a worker need not
    work it out again."""

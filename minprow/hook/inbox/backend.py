"""The storage every webhook inbox backend implements.

A backend keeps each accepted delivery durably *before* hook answers 200, and
remembers delivery ids (finished ones too, for `REMEMBER_FOR`) so a redelivery
is recognised after a restart. Backends:

- `sqlite`: `webhooks.db` in the state dir, next to the embedded job store;
- `kube`: one ConfigMap per delivery in the ProwJob namespace of the service
  cluster, so the inbox outlives the pod as the ProwJobs do;
- `memory`: for tests and `--store memory` (nothing survives the process).

The one contract suite in tests/hook/inbox/ runs against each of them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from minprow.hook.inbox.entry import InboxEntry

REMEMBER_FOR = timedelta(hours=24)
"""How long a finished delivery's id is kept, so GitHub's redelivery of it is ignored."""


class InboxBackend(Protocol):
    @property
    def where(self) -> str:
        """Where deliveries are kept, for the log."""
        ...

    async def open(self) -> list[InboxEntry]:
        """Connect, and return the unfinished deliveries this process now owns,
        oldest first, each marked `replayed`."""
        ...

    async def accept(self, entry: InboxEntry) -> bool:
        """Keep `entry` durably; False (and nothing written) when its delivery id
        is already known. Raises `InboxError` when it cannot be kept."""
        ...

    async def progress(self, delivery_id: str, done: frozenset[str]) -> None:
        """Record the handler calls that have run for the delivery so far."""
        ...

    async def finish(self, delivery_id: str) -> None:
        """Every enabled plugin has handled it: it is not replayed again; its payload may go."""
        ...

    async def load(self, delivery_id: str) -> bytes:
        """The payload of an unfinished delivery (after it was evicted from memory)."""
        ...

    async def claim(self, entry: InboxEntry) -> bool:
        """Take `entry` again before handling it, when it waited long enough that
        another replica may have adopted it; False when another replica has it."""
        ...

    async def adopt(self, now: datetime) -> list[InboxEntry]:
        """Unfinished deliveries of replicas that stopped, now this process's (oldest first)."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget finished deliveries received before `before`; returns how many."""
        ...

    async def close(self) -> None:
        """Release the storage; a later `open` reconnects."""
        ...

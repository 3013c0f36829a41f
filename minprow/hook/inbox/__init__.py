"""The durable webhook inbox: deliveries kept before the 200, replayed after a crash.

`Inbox` is what hook uses; the backends (`MemoryInbox`, `SqliteInbox`, and
`KubeInbox` in minprow.hook.inbox.kube, imported only in kube mode) keep the
deliveries.
"""

from minprow.hook.inbox.backend import REMEMBER_FOR, InboxBackend
from minprow.hook.inbox.entry import InboxEntry, InboxError
from minprow.hook.inbox.memory import MemoryInbox
from minprow.hook.inbox.queue import CLAIM_AFTER, Inbox
from minprow.hook.inbox.sqlite import SqliteInbox

__all__ = [
    "CLAIM_AFTER",
    "REMEMBER_FOR",
    "Inbox",
    "InboxBackend",
    "InboxEntry",
    "InboxError",
    "MemoryInbox",
    "SqliteInbox",
]

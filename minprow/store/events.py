"""Change events of the JobStore's feed, as a Kubernetes watch delivers them.

An event is ADDED, MODIFIED or DELETED, carries the object as of that change (for
DELETED: the last state, with the deletion's revision as its resourceVersion, as
etcd-backed watches do) and the store-wide revision the change was written at.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from minprow.model import ProwJob


class EventType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change to one ProwJob at one revision.

    `object` is a shared, read-only snapshot: copy it (`copy_job`) before changing it.
    """

    type: EventType
    object: ProwJob
    revision: int

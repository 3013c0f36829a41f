"""Where the TUI's jobs come from: one protocol, three sources.

The app never knows which source it has: in-process (the JobStore of `minprow
up`, sharing its loop), the embedded store opened directly (`minprow tui
--state-dir D`, following the changes another minprow process writes there),
or remote (`minprow tui --url URL`, through the server's HTTP API). Each source
turns its own feed into `JobEvent`s; the app applies them to its table.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from minprow.model import ProwJob

EventKind = Literal["ADDED", "MODIFIED", "DELETED"]

THROUGH = "the TUI"
"""The front end named in an abort's description ("Aborted by <user> through the TUI.")."""

_EVENT_KINDS: dict[str, EventKind] = {
    "ADDED": "ADDED",
    "MODIFIED": "MODIFIED",
    "DELETED": "DELETED",
}


def event_kind(name: str) -> EventKind:
    """The kind of a store or API watch event by its name; KeyError for any other."""
    return _EVENT_KINDS[name]


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One change to one ProwJob, at the source's revision."""

    type: EventKind
    job: ProwJob
    revision: int


class SourceError(Exception):
    """The source cannot do what was asked (unreachable, refused, unknown job): the
    message is shown to the user as it is."""


class JobSource(Protocol):
    """What the TUI reads and does. Every method may raise SourceError."""

    @property
    def description(self) -> str:
        """Where the jobs come from, for the header (`in-process`, a path, a URL)."""
        ...

    async def snapshot(self) -> tuple[list[ProwJob], int]:
        """Every job now, and the revision to follow changes from."""
        ...

    def changes(self, since: int) -> AsyncIterator[JobEvent]:
        """Every change after `since`, as it happens; after a gap the source starts
        over with ADDED events of a fresh snapshot (a re-list)."""
        ...

    def logs(self, name: str, *, follow: bool) -> AsyncIterator[bytes]:
        """The job's output: while it runs, from its executor (with `follow`, until it
        ends); once finished, its build log from the artifacts."""
        ...

    async def rerun(self, name: str) -> str:
        """Create a new ProwJob as Prow's rerun does; the new job's name."""
        ...

    async def abort(self, name: str) -> None:
        """Abort an unfinished job."""
        ...

    def idle(self) -> str | None:
        """Why queued jobs will not run: nothing runs the jobs of this source (a state
        directory no minprow is running against); None when something does. Cheap: the
        app asks every second."""
        ...

    async def clusters(self) -> dict[str, dict[str, Any]]:
        """Each build cluster's health (kube.health.ClusterHealth.to_json() shape, or
        `{"executor": NAME}` for a local executor), by cluster name."""
        ...

    async def close(self) -> None: ...

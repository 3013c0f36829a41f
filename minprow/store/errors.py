"""The errors a JobStore and its backends raise.

They mirror the Kubernetes API's status reasons for a ProwJob: `Conflict` (409,
a write against a stale `metadata.resourceVersion`), `NotFound` (404),
`AlreadyExists` (409 on create), `Invalid` (422, an object the store refuses) and
`WatchExpired` (410 Gone: the requested revision was compacted away, or a watcher
fell too far behind; the caller must list again). Messages name the ProwJob and
the versions involved so a log line alone explains what happened.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class for every error of minprow's job store."""


class NotFound(StoreError):
    """No ProwJob with that name exists (HTTP 404)."""

    def __init__(self, name: str) -> None:
        super().__init__(f'prowjob "{name}" not found')
        self.name = name


class AlreadyExists(StoreError):
    """Create of a ProwJob whose name is taken (HTTP 409, reason AlreadyExists)."""

    def __init__(self, name: str) -> None:
        super().__init__(f'prowjob "{name}" already exists')
        self.name = name


class Conflict(StoreError):
    """A write whose resourceVersion precondition does not match the stored one (HTTP 409).

    The caller must re-read the ProwJob, re-apply its change and try again
    (`JobStore.mutate` does exactly that).
    """

    def __init__(self, name: str, *, expected: str | None, actual: str) -> None:
        super().__init__(
            f'prowjob "{name}": the object has been modified (resourceVersion {expected!r} '
            f"is stale, the stored one is {actual!r}); read it again and retry"
        )
        self.name = name
        self.expected = expected
        self.actual = actual


class Invalid(StoreError):
    """An object the store refuses to write as given (HTTP 422)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f'prowjob "{name}" is invalid: {reason}')
        self.name = name
        self.reason = reason


class WatchExpired(StoreError):
    """The change feed cannot continue from where the caller is (HTTP 410 Gone).

    Raised when the requested revision is older than the retained change log, and
    to a watcher whose bounded queue overflowed while the change log no longer
    reaches back to what it last saw (a watcher that merely overflowed catches
    up from the change log). The caller lists the store again and watches from
    the store's current revision.
    """

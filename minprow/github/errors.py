"""minprow's GitHub errors, raised `from` gidgethub's or aiohttp's (Prow's
pkg/github/client.go: `requestError`, `NewNotFound`, `LabelNotFound`).

Callers branch on the class, never on a message: `NotFound` for a 404,
`Unprocessable` for a 422 (crier treats it as final on a status: GitHub will
never accept that SHA), `RateLimited` when the wait for a reset would pass the
client's bound, and `GitHubError` for everything else.
"""

from __future__ import annotations


class GitHubError(Exception):
    """A GitHub API call failed: which call, the HTTP status (None when no
    response came back) and GitHub's message."""

    def __init__(self, method: str, path: str, status: int | None, message: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.message = message
        shown = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"GitHub {method} {path}: {shown}{message}")


class NotFound(GitHubError):
    """404: the org, repo, issue, comment or ref does not exist (or is hidden)."""


class LabelNotFound(NotFound):
    """404 on removing a label that is not on the issue (Prow's `LabelNotFound`)."""


class Unprocessable(GitHubError):
    """422: GitHub understood the request and refuses it for good, such as a
    status for a SHA it has never seen. Retrying cannot help."""


class RateLimited(GitHubError):
    """Rate limited, and the reset is further away than the client may wait."""

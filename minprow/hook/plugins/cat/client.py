"""The narrow GitHub client of the cat plugin (STYLE 6).

Corresponds to the `githubClient` interface of Prow's pkg/plugins/cat/cat.go:
the plugin only comments. The real client satisfies it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class CatGitHub(Protocol):
    """The GitHub call the cat plugin makes (`isinstance` narrows hook's client)."""

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...

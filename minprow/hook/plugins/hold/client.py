"""The narrow GitHub client of the hold plugin (STYLE 6).

Corresponds to the `githubClient` interface of Prow's pkg/plugins/hold/hold.go:
read an issue's labels, add one, remove one. The real client satisfies
`HoldGitHub` structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class LabelLike(Protocol):
    @property
    def name(self) -> str: ...


@runtime_checkable
class HoldGitHub(Protocol):
    """The GitHub calls hold makes (`isinstance` narrows hook's client to it)."""

    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[LabelLike]: ...
    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None: ...
    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None: ...

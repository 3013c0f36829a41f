"""The narrow GitHub client of the help plugin (STYLE 6).

Corresponds to the `githubClient` and `commentPruner` interfaces of Prow's
pkg/plugins/help/help.go: read and change an issue's labels, comment, and find
and delete the bot's own earlier help comments. The real client satisfies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class _Login(Protocol):
    @property
    def login(self) -> str: ...


class _Label(Protocol):
    @property
    def name(self) -> str: ...


class _Comment(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def user(self) -> _Login: ...


@runtime_checkable
class HelpGitHub(Protocol):
    """The GitHub calls the help plugin makes (`isinstance` narrows hook's client)."""

    async def get_user(self) -> _Login: ...
    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[_Label]: ...
    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None: ...
    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None: ...
    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...
    async def list_issue_comments(self, org: str, repo: str, number: int) -> Sequence[_Comment]: ...
    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None: ...

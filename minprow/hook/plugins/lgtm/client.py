"""The narrow GitHub client of the lgtm plugin (STYLE 6).

Corresponds to the `githubClient` interface of Prow's pkg/plugins/lgtm/lgtm.go,
less the calls of the parts minprow leaves out (assigning the reviewer,
requesting reviews, commit trees, team listings). The real client satisfies
`LgtmGitHub` structurally.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable


class LabelLike(Protocol):
    @property
    def name(self) -> str: ...


class LoginLike(Protocol):
    @property
    def login(self) -> str: ...


class CommentLike(Protocol):
    """An issue comment: its id, body and author."""

    @property
    def id(self) -> int: ...
    @property
    def body(self) -> str: ...
    @property
    def user(self) -> LoginLike: ...


@runtime_checkable
class LgtmGitHub(Protocol):
    """The GitHub calls lgtm makes (`isinstance` narrows hook's client to it)."""

    async def get_user(self) -> LoginLike: ...
    async def is_collaborator(self, org: str, repo: str, user: str) -> bool: ...
    async def list_issue_labels(self, org: str, repo: str, number: int) -> Sequence[LabelLike]: ...
    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None: ...
    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None: ...
    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...
    async def list_issue_comments(
        self, org: str, repo: str, number: int
    ) -> Sequence[CommentLike]: ...
    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None: ...

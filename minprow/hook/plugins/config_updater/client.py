"""The narrow GitHub client of the config-updater plugin (STYLE 6).

Corresponds to the `githubClient` interface of Prow's
pkg/plugins/updateconfig/updateconfig.go (CreateComment,
GetPullRequestChanges), plus the contents API, from which minprow reads the
merged files instead of cloning the repository.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from minprow.hook.plugins.config_updater.changes import Change


@runtime_checkable
class ConfigUpdaterGitHub(Protocol):
    """The GitHub calls config-updater makes (`isinstance` narrows hook's client to it)."""

    async def list_pull_request_files(
        self, org: str, repo: str, number: int
    ) -> Sequence[Change]: ...
    async def get_file(self, org: str, repo: str, path: str, ref: str) -> bytes | None: ...
    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None: ...

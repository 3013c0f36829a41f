"""The GitHub REST client minprow's components call (Prow's pkg/github/client.go).

`GitHubClient` speaks to `--github-endpoint` (https://api.github.com by
default) through gidgethub's aiohttp `GitHubAPI`, with the retries and
rate-limit waits of `transport.RetryingAPI`, and turns every failure into one of
minprow's errors (`errors.py`), raised `from` the library's. Each method is
the one Prow's client has under the same meaning, named the Python way;
consumers declare the narrow `Protocol` they need and this class satisfies it.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, TypeVar

import aiohttp
import gidgethub
from pydantic import BaseModel, ValidationError

from minprow.aio import Clock, SystemClock
from minprow.github.auth import Credentials, CredentialsError, GitHubApp
from minprow.github.errors import (
    GitHubError,
    LabelNotFound,
    NotFound,
    RateLimited,
    Unprocessable,
)
from minprow.github.repos import RepoCalls
from minprow.github.transport import RetryingAPI, RetryPolicy, rate_limit_wait
from minprow.github.types import (
    CombinedStatus,
    IssueComment,
    IssueSearchResult,
    Label,
    PullRequest,
    PullRequestChange,
    Status,
    Team,
    User,
    WorkflowRun,
)

DEFAULT_ENDPOINT = "https://api.github.com"
_PAGE = 100
_REPO = "/repos/{org}/{repo}"
_PASSED_CONCLUSIONS = frozenset({"success", "skipped"})
"""Workflow run conclusions that need no rerun (Prow's `passedWorkflowRunConclusions`)."""
_M = TypeVar("_M", bound=BaseModel)
REPLAY_SKEW = timedelta(seconds=60)
"""How far GitHub's clock may be behind ours when a replay looks for its earlier comment."""


def _model(kind: type[_M], data: Any, method: str, path: str) -> _M:
    try:
        return kind.model_validate(data)
    except ValidationError as err:
        raise GitHubError(method, path, 200, f"unexpected {kind.__name__}: {err}") from err


class GitHubClient(RepoCalls):
    """GitHub's REST API for minprow: statuses, comments, labels, pulls, people,
    and (from `RepoCalls`) repos, branches, branch protection and files."""

    _model = staticmethod(_model)  # for RepoCalls, which cannot import this module

    def __init__(
        self,
        credentials: Credentials,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.credentials = credentials
        self.endpoint = endpoint.rstrip("/")
        self.policy = policy or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self._session = session
        self._owns_session = session is None
        self._api: RetryingAPI | None = None
        self._bot: User | None = None
        self._bot_lock = asyncio.Lock()
        self._replay_since: datetime | None = None

    def replaying(self, since: datetime) -> GitHubClient:
        """This client for a webhook delivery handled again after a crash, received at
        `since`: `create_comment` first looks for the same comment by the bot made
        since then (the first attempt's) and does not post it twice. Labels,
        assignees and statuses need no such care: GitHub keeps them as sets or
        shows the latest. Shares this client's session; close this one, not it."""
        view = copy.copy(self)
        view._owns_session = False
        view._replay_since = since
        return view

    def __repr__(self) -> str:
        return f"GitHubClient(endpoint={self.endpoint!r}, credentials={self.credentials!r})"

    async def __aenter__(self) -> GitHubClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session, if this client opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
        self._session = None
        self._api = None

    # Statuses

    async def create_status(
        self,
        org: str,
        repo: str,
        sha: str,
        state: str,
        context: str,
        description: str,
        target_url: str,
    ) -> None:
        """Set the commit status `context` on `sha` (201; 422 for a SHA GitHub lacks)."""
        body = {
            "state": str(state),
            "context": context,
            "description": description,
            "target_url": target_url,
        }
        await self._send("POST", org, _REPO + "/statuses/{sha}", {"repo": repo, "sha": sha}, body)

    async def get_combined_status(self, org: str, repo: str, ref: str) -> CombinedStatus:
        """The combined status of `ref`: its overall state and the latest status of
        each context (the first 100 contexts, as Prow reads them)."""
        path = _REPO + "/commits/{ref}/status{?per_page}"
        data = await self._send("GET", org, path, {"repo": repo, "ref": ref, "per_page": _PAGE})
        return _model(CombinedStatus, data, "GET", path)

    async def list_statuses(self, org: str, repo: str, ref: str) -> list[Status]:
        """The latest status of every context on `ref` (from the combined status)."""
        return list((await self.get_combined_status(org, repo, ref)).statuses)

    # Issue comments

    async def list_issue_comments(self, org: str, repo: str, number: int) -> list[IssueComment]:
        path = _REPO + "/issues/{number}/comments{?per_page}"
        url_vars = {"repo": repo, "number": number, "per_page": _PAGE}
        return [
            _model(IssueComment, item, "GET", path)
            async for item in self._items(org, path, url_vars)
        ]

    async def create_comment(self, org: str, repo: str, number: int, body: str) -> None:
        if self._replay_since is not None and await self._commented_since(
            self._replay_since, org, repo, number, body
        ):
            return
        path = _REPO + "/issues/{number}/comments"
        await self._send("POST", org, path, {"repo": repo, "number": number}, {"body": body})

    async def _commented_since(
        self, since: datetime, org: str, repo: str, number: int, body: str
    ) -> bool:
        bot = (await self.get_user()).login
        # GitHub writes times as second-precision UTC RFC 3339: text order is time order.
        earliest = (since - REPLAY_SKEW).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return any(
            c.body == body and c.user.login == bot and c.created_at >= earliest
            for c in await self.list_issue_comments(org, repo, number)
        )

    async def edit_comment(self, org: str, repo: str, comment_id: int, body: str) -> None:
        path = _REPO + "/issues/comments/{id}"
        await self._send("PATCH", org, path, {"repo": repo, "id": comment_id}, {"body": body})

    async def delete_comment(self, org: str, repo: str, comment_id: int) -> None:
        path = _REPO + "/issues/comments/{id}"
        await self._send("DELETE", org, path, {"repo": repo, "id": comment_id})

    # Pull requests

    async def get_pull_request(self, org: str, repo: str, number: int) -> PullRequest:
        path = _REPO + "/pulls/{number}"
        data = await self._send("GET", org, path, {"repo": repo, "number": number})
        return _model(PullRequest, data, "GET", path)

    async def list_pull_request_files(
        self, org: str, repo: str, number: int
    ) -> list[PullRequestChange]:
        """Every changed file; a rename carries its old name in `previous_filename`."""
        path = _REPO + "/pulls/{number}/files{?per_page}"
        url_vars = {"repo": repo, "number": number, "per_page": _PAGE}
        return [
            _model(PullRequestChange, item, "GET", path)
            async for item in self._items(org, path, url_vars)
        ]

    async def assign_issue(self, org: str, repo: str, number: int, logins: Sequence[str]) -> None:
        path = _REPO + "/issues/{number}/assignees"
        url_vars = {"repo": repo, "number": number}
        await self._send("POST", org, path, url_vars, {"assignees": list(logins)})

    async def request_review(self, org: str, repo: str, number: int, logins: Sequence[str]) -> None:
        path = _REPO + "/pulls/{number}/requested_reviewers"
        url_vars = {"repo": repo, "number": number}
        await self._send("POST", org, path, url_vars, {"reviewers": list(logins)})

    async def get_commit_tree(self, org: str, repo: str, sha: str) -> str:
        """The git tree of commit `sha` (what a squash or rebase of the same code keeps)."""
        path = _REPO + "/commits/{sha}"
        data = await self._send("GET", org, path, {"repo": repo, "sha": sha})
        return str(data["commit"]["tree"]["sha"])

    # GitHub Actions (trigger's `trigger_github_workflows`)

    async def get_pending_approval_action_runs(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        """The pull request runs of `head_sha` waiting for a maintainer's approval."""
        return await self._workflow_runs(
            org, repo, branch, head_sha, "pull_request OR pull_request_target", "action_required"
        )

    async def approve_workflow_run(self, org: str, repo: str, run_id: int) -> None:
        path = _REPO + "/actions/runs/{id}/approve"
        await self._send("POST", org, path, {"repo": repo, "id": run_id}, {})

    async def get_failed_action_runs_by_head_branch(
        self, org: str, repo: str, branch: str, head_sha: str
    ) -> list[WorkflowRun]:
        """The completed runs of `head_sha` that did not pass: GitHub's `status` query
        mixes status and conclusion, so they are picked here, as Prow does."""
        events = "pull_request OR pull_request_target OR workflow_call"
        runs = await self._workflow_runs(org, repo, branch, head_sha, events, "")
        return [
            run
            for run in runs
            if run.status == "completed" and run.conclusion not in _PASSED_CONCLUSIONS
        ]

    async def rerun_failed_workflow_jobs(self, org: str, repo: str, run_id: int) -> None:
        path = _REPO + "/actions/runs/{id}/rerun-failed-jobs"
        await self._send("POST", org, path, {"repo": repo, "id": run_id}, {})

    async def _workflow_runs(
        self, org: str, repo: str, branch: str, head_sha: str, event: str, status: str
    ) -> list[WorkflowRun]:
        path = _REPO + "/actions/runs{?head_sha,event,branch,status}"
        url_vars: dict[str, Any] = {"repo": repo, "head_sha": head_sha, "event": event}
        url_vars["branch"] = branch
        if status:
            url_vars["status"] = status
        data = await self._send("GET", org, path, url_vars)
        runs = data.get("workflow_runs") if isinstance(data, dict) else None
        return [_model(WorkflowRun, run, "GET", path) for run in runs or []]

    # Search

    async def find_issues_with_org(
        self, org: str, query: str, sort: str = "", asc: bool = False
    ) -> list[IssueSearchResult]:
        """Every issue or pull request `GET /search/issues` finds for `query`."""
        path = "/search/issues{?q,per_page,sort,order}"
        url_vars: dict[str, Any] = {"q": query, "per_page": _PAGE}
        if sort:
            url_vars["sort"] = sort
            if asc:
                url_vars["order"] = "asc"
        return [
            _model(IssueSearchResult, item, "GET", path)
            async for item in self._items(org, path, url_vars)
        ]

    # Labels

    async def list_issue_labels(self, org: str, repo: str, number: int) -> list[Label]:
        path = _REPO + "/issues/{number}/labels{?per_page}"
        url_vars = {"repo": repo, "number": number, "per_page": _PAGE}
        return [_model(Label, item, "GET", path) async for item in self._items(org, path, url_vars)]

    async def list_repo_labels(self, org: str, repo: str) -> list[Label]:
        """The labels defined in org/repo (Prow's `GetRepoLabels`), all pages."""
        path = _REPO + "/labels{?per_page}"
        url_vars = {"repo": repo, "per_page": _PAGE}
        return [_model(Label, item, "GET", path) async for item in self._items(org, path, url_vars)]

    async def add_labels(self, org: str, repo: str, number: int, labels: Sequence[str]) -> None:
        path = _REPO + "/issues/{number}/labels"
        body = {"labels": list(labels)}
        await self._send("POST", org, path, {"repo": repo, "number": number}, body)

    async def remove_label(self, org: str, repo: str, number: int, label: str) -> None:
        """Remove `label`; `LabelNotFound` when the issue does not have it."""
        path = _REPO + "/issues/{number}/labels/{label}"
        try:
            await self._send("DELETE", org, path, {"repo": repo, "number": number, "label": label})
        except NotFound as err:
            raise LabelNotFound(
                err.method, err.path, err.status, f"label {label!r} is not on #{number}"
            ) from err

    # People

    async def is_member(self, org: str, user: str) -> bool:
        """Whether `user` is a member of `org` (204 yes, 404 no; a user is their own org)."""
        if org == user:
            return True
        try:
            await self._send("GET", org, "/orgs/{org}/members/{user}", {"user": user})
        except NotFound:
            return False
        return True

    async def list_teams(self, org: str) -> list[Team]:
        path = "/orgs/{org}/teams{?per_page}"
        return [
            _model(Team, item, "GET", path)
            async for item in self._items(org, path, {"per_page": _PAGE})
        ]

    async def team_has_member(self, org: str, team_slug: str, user: str) -> bool:
        """Whether `user` is an active member of team `team_slug` of `org`
        (Prow's `TeamBySlugHasMember`: 200 with state "active"; 404 no)."""
        path = "/orgs/{org}/teams/{team}/memberships/{user}"
        try:
            data = await self._send("GET", org, path, {"team": team_slug, "user": user})
        except NotFound:
            return False
        return isinstance(data, dict) and data.get("state") == "active"

    async def is_collaborator(self, org: str, repo: str, user: str) -> bool:
        """Whether `user` may push to org/repo (204 yes, 404 no)."""
        if org == user:
            return True
        path = _REPO + "/collaborators/{user}"
        try:
            await self._send("GET", org, path, {"repo": repo, "user": user})
        except NotFound:
            return False
        return True

    async def get_user(self) -> User:
        """The bot's own user, asked once: `GET /user`, or `<slug>[bot]` for an App."""
        async with self._bot_lock:
            if self._bot is None:
                self._bot = await self._fetch_bot()
            return self._bot

    async def _fetch_bot(self) -> User:
        api = self._client()
        if isinstance(self.credentials, GitHubApp):
            app = await self._guard("GET", "/app", api.getitem("/app", jwt=self.credentials.jwt()))
            return User(login=f"{app['slug']}[bot]", type="Bot")
        token = await self._token("GET", "/user", "")
        data = await self._guard("GET", "/user", api.getitem("/user", oauth_token=token))
        return _model(User, data, "GET", "/user")

    # Git

    async def get_ref(self, org: str, repo: str, ref: str) -> str:
        """The SHA `ref` (such as `heads/main`) points at."""
        path = _REPO + "/git/ref/{+ref}"
        data = await self._send("GET", org, path, {"repo": repo, "ref": ref})
        try:
            return str(data["object"]["sha"])
        except (TypeError, KeyError) as err:
            raise GitHubError("GET", path, 200, f"no object.sha in the answer for {ref}") from err

    # The plumbing

    def _client(self) -> RetryingAPI:
        if self._api is None:
            if self._session is None:
                self._session = aiohttp.ClientSession()
            self._api = RetryingAPI(
                self._session, base_url=self.endpoint, policy=self.policy, clock=self.clock
            )
        return self._api

    async def _token(self, method: str, path: str, org: str) -> str:
        try:
            return await self.credentials.token(self._client(), org)
        except CredentialsError as err:
            raise GitHubError(method, path, None, str(err)) from err

    async def _send(
        self,
        method: str,
        org: str,
        path: str,
        url_vars: Mapping[str, Any],
        body: Any = b"",
    ) -> Any:
        api = self._client()
        variables = {"org": org, **url_vars}
        path = _filled(path, variables)
        token = await self._token(method, path, org)
        if method == "GET":
            call = api.getitem(path, oauth_token=token)
        elif method == "POST":
            call = api.post(path, data=body, oauth_token=token)
        elif method == "PATCH":
            call = api.patch(path, data=body, oauth_token=token)
        elif method == "PUT":
            call = api.put(path, data=body, oauth_token=token)
        else:
            call = api.delete(path, oauth_token=token)
        return await self._guard(method, path, call)

    async def _guard(self, method: str, path: str, call: Any) -> Any:
        try:
            return await call
        except gidgethub.HTTPException as err:
            raise _translate(method, path, err, self.clock, self.policy) from err
        except (TimeoutError, aiohttp.ClientError) as err:
            raise GitHubError(
                method, path, None, f"no response ({type(err).__name__}: {err})"
            ) from err

    async def _items(
        self, org: str, path: str, url_vars: Mapping[str, Any], *, key: str = "items"
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paginated list, following GitHub's `Link: rel="next"`; a page
        that is an object holds them under `key` (`items` for searches)."""
        api = self._client()
        variables = {"org": org, **url_vars}
        path = _filled(path, variables)
        token = await self._token("GET", path, org)
        try:
            async for item in api.getiter(path, oauth_token=token, iterable_key=key):
                yield item
        except gidgethub.HTTPException as err:
            raise _translate("GET", path, err, self.clock, self.policy) from err
        except (TimeoutError, aiohttp.ClientError) as err:
            raise GitHubError(
                "GET", path, None, f"no response ({type(err).__name__}: {err})"
            ) from err


def _filled(template: str, url_vars: Mapping[str, Any]) -> str:
    """The path with its variables expanded and escaped (as gidgethub would send it)."""
    try:
        return _expanded(template, tuple(sorted(url_vars.items())))
    except TypeError:  # a value that cannot be a cache key (a list): expand it anew
        return str(gidgethub.sansio.format_url(template, url_vars, base_url=""))


@functools.lru_cache(maxsize=4096)
def _expanded(template: str, url_vars: tuple[tuple[str, Any], ...]) -> str:
    # URI template expansion costs ~60 us, and the same few paths recur (the
    # same members asked about, the same branches looked up): remembered.
    return str(gidgethub.sansio.format_url(template, dict(url_vars), base_url=""))


def _translate(
    method: str, path: str, err: gidgethub.HTTPException, clock: Clock, policy: RetryPolicy
) -> GitHubError:
    status = int(err.status_code)
    message = str(err) or err.status_code.phrase
    if status == 404:
        return NotFound(method, path, status, message)
    if status == 422:
        return Unprocessable(method, path, status, message)
    wait = rate_limit_wait(status, err.headers, clock.now())
    if wait is not None:
        return RateLimited(
            method,
            path,
            status,
            f"rate limited for {wait:.0f}s more; the client waits at most "
            f"{policy.max_rate_limit_wait:.0f}s and {policy.max_attempts} attempts: {message}",
        )
    return GitHubError(method, path, status, message)

"""A fake GitHub REST server for the tests: real HTTP, GitHub's wire format, for
exactly the calls minprow's client makes (Prow's pkg/github/fakegithub is the
model: hand-written state, no mock framework).

It keeps GitHub's semantics where minprow relies on them: `POST .../statuses/{sha}`
answers 201, or 422 "No commit found for SHA" when the fake has been told
which SHAs exist and this is not one; the combined status keeps the latest
status per context; lists are paginated with `Link` headers; org membership
and collaborator checks answer 204 or 404; removing a label that is not there
is a 404 "Label does not exist"; repos, branches, branch protection and file
contents are `fake.repos` (fakegithub_repos.py). Every answer carries
rate-limit headers; `rate_limit_once()` makes the next request a rate-limited
403 and `fail_next(n)` makes the next n requests 502s. Every request is recorded.

Authentication is checked: with `tokens` given, a request needs
`Authorization: token <one of them>` (or an installation token the fake issued);
the App endpoints need a JWT signed with the app's key (`app_public_key`).

Run it with `async with FakeGitHub() as gh:` in async tests, or
`with FakeGitHub().in_thread() as gh:` for a test that runs minprow in another
process. Import it as `from fakegithub import FakeGitHub`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import jwt
from aiohttp import web
from fakegithub_repos import FakeRepos
from yarl import URL

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Key = tuple[str, str, int]
"""org, repo, issue or pull request number."""

BOT_LOGIN = "minprow-bot"
DEFAULT_PAGE = 30
MAX_PAGE = 100
_STATES = ("error", "failure", "pending", "success")


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    raw_path: str
    """The path as sent, percent-encoding kept."""
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def authorization(self) -> str:
        return self.headers.get("Authorization", "")


@dataclass
class _Switches:
    rate_limit: tuple[float, bool] | None = None
    failures: int = 0
    failure_status: int = 502


@dataclass
class _App:
    app_id: str
    public_key: str
    slug: str
    installations: dict[str, int]
    token_lifetime: timedelta
    now: Callable[[], datetime]
    tokens: dict[str, datetime] = field(default_factory=dict)


class FakeGitHub:
    """GitHub's REST API for one test, on a free port of 127.0.0.1."""

    def __init__(
        self,
        *,
        tokens: set[str] | None = None,
        bot_login: str = BOT_LOGIN,
        known_shas: set[str] | None = None,
    ) -> None:
        self.tokens = tokens
        """Tokens accepted; None accepts any request, authenticated or not."""
        self.bot = {"login": bot_login, "id": 1, "type": "User", "name": "minprow bot"}
        self.known_shas = known_shas
        """The SHAs statuses may be set on; None accepts every SHA."""
        self.app: _App | None = None
        self.statuses: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.comments: dict[Key, list[dict[str, Any]]] = {}
        self.labels: dict[Key, list[str]] = {}
        self.pulls: dict[Key, dict[str, Any]] = {}
        self.pull_files: dict[Key, list[dict[str, Any]]] = {}
        self.members: dict[str, set[str]] = {}
        self.collaborators: dict[tuple[str, str], set[str]] = {}
        self.refs: dict[tuple[str, str, str], str] = {}
        self.repo_labels: dict[tuple[str, str], list[str]] = {}
        """The labels defined in each org/repo (GET /repos/{o}/{r}/labels)."""
        self.teams: dict[tuple[str, str], set[str]] = {}
        self.workflow_runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """GitHub Actions runs by (org, repo): id, status, conclusion, head_sha,
        head_branch, event."""
        self.commit_trees: dict[tuple[str, str, str], str] = {}
        """(org, repo, commit sha) -> its git tree sha."""
        self.review_requests: dict[Key, list[str]] = {}
        self.merged_pulls: dict[str, list[dict[str, Any]]] = {}
        """Merged pull requests by org, each {number, author}, for the issue search."""
        """Active members of each (org, team slug)."""
        self.repos = FakeRepos(_page)
        """Repos, branches, branch protection and files (fakegithub_repos.py)."""
        self.requests: list[Recorded] = []
        self.remaining = 5000
        self._ids = itertools.count(1001)
        self._switches = _Switches()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # Seeding and switches

    def enable_app(
        self,
        app_id: str,
        public_key: str,
        installations: dict[str, int],
        *,
        slug: str = "minprow-app",
        token_lifetime: timedelta = timedelta(hours=1),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Act as GitHub for an App installed on `installations` (org → id); its
        installation tokens live `token_lifetime` on the clock `now` (a test's
        virtual clock, so the client's clock and GitHub's agree)."""
        self.app = _App(app_id, public_key, slug, installations, token_lifetime, now)

    def add_pull(
        self,
        org: str,
        repo: str,
        number: int,
        *,
        head_sha: str,
        author: str = "alice",
        **fields: Any,
    ) -> dict[str, Any]:
        """A pull request from a fork of org/repo to its main branch, as GitHub shows it."""
        full = f"{org}/{repo}"
        owner = {"login": org, "id": 2, "type": "Organization"}
        base_repo = {
            "name": repo,
            "full_name": full,
            "owner": owner,
            "html_url": f"https://github.com/{full}",
        }
        head_repo = {
            "name": repo,
            "full_name": f"{author}/{repo}",
            "owner": {"login": author, "id": 3, "type": "User"},
            "html_url": f"https://github.com/{author}/{repo}",
        }
        pull = {
            "number": number,
            "title": f"Change {number}",
            "body": None,
            "state": "open",
            "merged": False,
            "mergeable": None,
            "draft": False,
            "user": {"login": author, "id": 3, "type": "User"},
            "labels": [],
            "html_url": f"https://github.com/{full}/pull/{number}",
            "author_association": "CONTRIBUTOR",
            "head": {"ref": "feature", "sha": head_sha, "repo": head_repo},
            "base": {"ref": "main", "sha": "b" * 40, "repo": base_repo},
            **fields,
        }
        self.pulls[(org, repo, number)] = pull
        return pull

    def rate_limit_once(self, seconds: float = 1.0, *, retry_after: bool = False) -> None:
        """Answer the next request with a rate-limited 403: `x-ratelimit-remaining: 0`
        and a reset `seconds` from now, or a secondary limit with `retry-after`."""
        self._switches.rate_limit = (seconds, retry_after)

    def fail_next(self, times: int, status: int = 502) -> None:
        """Answer the next `times` requests with `status` (a 5xx) before serving again."""
        self._switches.failures = times
        self._switches.failure_status = status

    def calls(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with this method and path."""
        return [r for r in self.requests if r.method == method and r.path == path]

    # Running

    async def start(self) -> str:
        app = web.Application(middlewares=[self._middleware])
        self._routes(app.router)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeGitHub:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @contextlib.contextmanager
    def in_thread(self) -> Iterator[FakeGitHub]:
        """Serve from a thread with its own event loop (for minprow in a subprocess)."""
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fakegithub", daemon=True)
        thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)
            yield self
        finally:
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()

    # The wire

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode(errors="replace")
        self.requests.append(
            Recorded(
                request.method,
                request.path,
                request.raw_path.split("?")[0],
                dict(request.query),
                dict(request.headers),
                body,
            )
        )
        response = await self._answer(request, handler)
        if not response.prepared and "X-RateLimit-Remaining" not in response.headers:
            self._rate_headers(response)
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        switches = self._switches
        if switches.failures > 0:
            switches.failures -= 1
            return web.Response(status=switches.failure_status, text="<html>Bad gateway</html>")
        if switches.rate_limit is not None:
            seconds, retry_after = switches.rate_limit
            switches.rate_limit = None
            if retry_after:
                response = _json(403, {"message": "You have exceeded a secondary rate limit."})
                response.headers["Retry-After"] = str(int(seconds))
                return response
            response = _json(403, {"message": "API rate limit exceeded for user ID 1."})
            self._rate_headers(response, remaining=0, reset=time.time() + seconds)
            return response
        denied = self._authenticate(request)
        if denied is not None:
            return denied
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return _json(404, {"message": "Not Found"})

    def _rate_headers(
        self, response: web.StreamResponse, *, remaining: int | None = None, reset: float = 0
    ) -> None:
        if remaining is None:
            self.remaining = max(self.remaining - 1, 1)
            remaining = self.remaining
        reset = reset or time.time() + 3600
        response.headers["X-RateLimit-Limit"] = "5000"
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers.setdefault("X-RateLimit-Reset", str(int(reset)))
        response.headers["X-RateLimit-Used"] = str(5000 - remaining)
        response.headers["X-RateLimit-Resource"] = "core"

    def _authenticate(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        if request.path.startswith("/app") or request.path.endswith("/installation"):
            return self._check_jwt(header)
        if self.tokens is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "token" and (token in self.tokens or self._installation_token(token)):
            return None
        return _json(401, {"message": "Bad credentials"})

    def _check_jwt(self, header: str) -> web.Response | None:
        scheme, _, token = header.partition(" ")
        if self.app is None or scheme.lower() != "bearer":
            return _json(401, {"message": "A JSON web token could not be decoded"})
        try:
            claims = jwt.decode(token, self.app.public_key, algorithms=["RS256"])
        except jwt.ExpiredSignatureError:
            return _json(401, {"message": "'Expiration time' claim ('exp') is too far in the past"})
        except jwt.PyJWTError:
            return _json(401, {"message": "A JSON web token could not be decoded"})
        if str(claims.get("iss")) != self.app.app_id:
            return _json(401, {"message": "Integration not found"})
        return None

    def _installation_token(self, token: str) -> bool:
        if self.app is None or token not in self.app.tokens:
            return False
        return self.app.now() < self.app.tokens[token]

    def _routes(self, router: web.UrlDispatcher) -> None:
        repo = "/repos/{org}/{repo}"
        router.add_post(repo + "/statuses/{sha}", self._create_status)
        router.add_get(repo + "/commits/{ref}/status", self._combined_status)
        router.add_get(repo + "/issues/{number:\\d+}/comments", self._list_comments)
        router.add_post(repo + "/issues/{number:\\d+}/comments", self._create_comment)
        router.add_patch(repo + "/issues/comments/{id:\\d+}", self._edit_comment)
        router.add_delete(repo + "/issues/comments/{id:\\d+}", self._delete_comment)
        router.add_get(repo + "/labels", self._list_repo_labels)
        router.add_get("/orgs/{org}/teams/{team}/memberships/{user}", self._team_member)
        router.add_get("/orgs/{org}/teams", self._list_teams)
        router.add_post(repo + "/issues/{number:\\d+}/assignees", self._assign)
        router.add_post(repo + "/pulls/{number:\\d+}/requested_reviewers", self._request_review)
        router.add_get(repo + "/commits/{sha}", self._get_commit)
        router.add_get(repo + "/issues/{number:\\d+}/labels", self._list_labels)
        router.add_post(repo + "/issues/{number:\\d+}/labels", self._add_labels)
        router.add_delete(repo + "/issues/{number:\\d+}/labels/{label}", self._remove_label)
        router.add_get(repo + "/pulls/{number:\\d+}", self._get_pull)
        router.add_get(repo + "/pulls/{number:\\d+}/files", self._pull_files)
        router.add_get(repo + "/collaborators/{user}", self._collaborator)
        router.add_get(repo + "/git/ref/{ref:.+}", self._get_ref)
        router.add_get(repo + "/actions/runs", self._list_runs)
        router.add_post(repo + "/actions/runs/{id:\\d+}/approve", self._approve_run)
        router.add_post(repo + "/actions/runs/{id:\\d+}/rerun-failed-jobs", self._rerun_failed)
        router.add_get("/search/issues", self._search_issues)
        router.add_get("/orgs/{org}/members/{user}", self._member)
        router.add_get("/user", self._user)
        router.add_get("/app", self._app)
        router.add_get("/orgs/{org}/installation", self._installation)
        router.add_get("/users/{org}/installation", self._installation)
        router.add_post("/app/installations/{id:\\d+}/access_tokens", self._access_token)
        self.repos.add_routes(router)

    # Statuses

    async def _create_status(self, request: web.Request) -> web.Response:
        org, repo, sha = _match(request, "org", "repo", "sha")
        body = await request.json()
        if self.known_shas is not None and sha not in self.known_shas:
            return _json(422, {"message": f"No commit found for SHA: {sha}"})
        state = body.get("state")
        if state not in _STATES:
            return _validation("state", "invalid", "Status")
        if len(body.get("description") or "") > 140:
            return _validation("description", "custom", "Status")
        status = {
            "id": next(self._ids),
            "state": state,
            "context": body.get("context") or "default",
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "creator": self.bot,
        }
        self.statuses.setdefault((org, repo, sha), []).append(status)
        return _json(201, status)

    async def _list_runs(self, request: web.Request) -> web.Response:
        # GitHub's `status` matches a run's status or its conclusion.
        org, repo = _match(request, "org", "repo")
        query = request.query
        events = set(query["event"].split(" OR ")) if "event" in query else None
        runs = [
            run
            for run in self.workflow_runs.get((org, repo), [])
            if query.get("head_sha", run["head_sha"]) == run["head_sha"]
            and query.get("branch", run["head_branch"]) == run["head_branch"]
            and (events is None or run["event"] in events)
            and query.get("status", run["status"]) in (run["status"], run.get("conclusion"))
        ]
        return _json(200, {"total_count": len(runs), "workflow_runs": runs})

    def _run(self, request: web.Request) -> dict[str, Any]:
        org, repo, run_id = _match(request, "org", "repo", "id")
        for run in self.workflow_runs.get((org, repo), []):
            if run["id"] == int(run_id):
                return run
        raise web.HTTPNotFound()

    async def _approve_run(self, request: web.Request) -> web.Response:
        run = self._run(request)
        if run["status"] != "action_required":
            return _json(403, {"message": "This run is not from a fork pull request"})
        run["status"] = "queued"
        return _json(201, {})

    async def _rerun_failed(self, request: web.Request) -> web.Response:
        run = self._run(request)
        if run["status"] != "completed":
            return _json(403, {"message": "This workflow is already running"})
        run.update(status="queued", conclusion=None)
        return _json(201, {})

    async def _search_issues(self, request: web.Request) -> web.Response:
        # The qualifiers trigger's org invitation uses: type:pr is:merged org: author:.
        terms = dict(t.split(":", 1) for t in request.query.get("q", "").split() if ":" in t)
        found = [
            {"number": pull["number"], "state": "closed", "user": {"login": pull["author"]}}
            for pull in self.merged_pulls.get(terms.get("org", ""), [])
            if terms.get("type") == "pr"
            and terms.get("is") == "merged"
            and terms.get("author", pull["author"]) == pull["author"]
        ]
        per_page = min(int(request.query.get("per_page", DEFAULT_PAGE)), MAX_PAGE)
        page = int(request.query.get("page", 1))
        body = {
            "total_count": len(found),
            "incomplete_results": False,
            "items": found[(page - 1) * per_page : page * per_page],
        }
        response = _json(200, body)
        if page * per_page < len(found):
            url = URL(str(request.url))
            response.headers["Link"] = f'<{url.update_query(page=page + 1)}>; rel="next"'
        return response

    async def _combined_status(self, request: web.Request) -> web.Response:
        org, repo, ref = _match(request, "org", "repo", "ref")
        sha = self.refs.get((org, repo, f"heads/{ref}"), ref)
        latest: dict[str, dict[str, Any]] = {}
        for status in self.statuses.get((org, repo, sha), []):
            latest[status["context"]] = status
        states = {s["state"] for s in latest.values()}
        if states & {"error", "failure"}:
            state = "failure"
        elif not states or "pending" in states:
            state = "pending"
        else:
            state = "success"
        statuses = sorted(latest.values(), key=lambda s: s["context"])
        return _json(
            200,
            {"state": state, "sha": sha, "total_count": len(statuses), "statuses": statuses},
        )

    # Comments

    async def _list_comments(self, request: web.Request) -> web.Response:
        return _page(request, self.comments.get(_key(request), []))

    async def _create_comment(self, request: web.Request) -> web.Response:
        key = _key(request)
        body = await request.json()
        if not isinstance(body, dict) or not body.get("body"):
            return _validation("body", "missing_field", "IssueComment")
        comment_id = next(self._ids)
        org, repo, number = key
        comment = {
            "id": comment_id,
            "body": body["body"],
            "user": self._caller(request),
            "html_url": f"https://github.com/{org}/{repo}/pull/{number}#issuecomment-{comment_id}",
            "author_association": "MEMBER",
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.comments.setdefault(key, []).append(comment)
        return _json(201, comment)

    def _find_comment(self, request: web.Request) -> dict[str, Any] | None:
        org, repo, comment_id = _match(request, "org", "repo", "id")
        for (o, r, _), comments in self.comments.items():
            for comment in comments:
                if (o, r) == (org, repo) and comment["id"] == int(comment_id):
                    return comment
        return None

    async def _edit_comment(self, request: web.Request) -> web.Response:
        comment = self._find_comment(request)
        if comment is None:
            return _json(404, {"message": "Not Found"})
        comment["body"] = (await request.json())["body"]
        comment["updated_at"] = _now()
        return _json(200, comment)

    async def _delete_comment(self, request: web.Request) -> web.Response:
        comment = self._find_comment(request)
        if comment is None:
            return _json(404, {"message": "Not Found"})
        for comments in self.comments.values():
            if comment in comments:
                comments.remove(comment)
        return web.Response(status=204)

    # Labels

    def _label_list(self, key: Key) -> list[dict[str, Any]]:
        return [
            {"name": name, "color": "ededed", "description": None}
            for name in self.labels.get(key, [])
        ]

    async def _list_repo_labels(self, request: web.Request) -> web.Response:
        org, repo = _match(request, "org", "repo")
        names = self.repo_labels.get((org, repo), [])
        return _page(request, [{"name": n, "color": "ededed", "description": None} for n in names])

    async def _list_labels(self, request: web.Request) -> web.Response:
        return _page(request, self._label_list(_key(request)))

    async def _add_labels(self, request: web.Request) -> web.Response:
        key = _key(request)
        body = await request.json()
        names = body.get("labels") if isinstance(body, dict) else body
        if not isinstance(names, list) or not names:
            return _validation("labels", "missing_field", "Label")
        current = self.labels.setdefault(key, [])
        current.extend(name for name in names if name not in current)
        return _json(200, self._label_list(key))

    async def _remove_label(self, request: web.Request) -> web.Response:
        key = _key(request)
        label = request.match_info["label"]
        if label not in self.labels.get(key, []):
            return _json(404, {"message": "Label does not exist"})
        self.labels[key].remove(label)
        return _json(200, self._label_list(key))

    # Pull requests

    async def _get_pull(self, request: web.Request) -> web.Response:
        pull = self.pulls.get(_key(request))
        if pull is None:
            return _json(404, {"message": "Not Found"})
        return _json(200, {**pull, "labels": self._label_list(_key(request)) or pull["labels"]})

    async def _pull_files(self, request: web.Request) -> web.Response:
        key = _key(request)
        if key not in self.pulls:
            return _json(404, {"message": "Not Found"})
        return _page(request, self.pull_files.get(key, []))

    # People and refs

    async def _member(self, request: web.Request) -> web.Response:
        org, user = _match(request, "org", "user")
        return web.Response(status=204 if user in self.members.get(org, set()) else 404)

    async def _list_teams(self, request: web.Request) -> web.Response:
        # A team's name is its slug here, capitalised: the lookup by name is what counts.
        (org,) = _match(request, "org")
        slugs = sorted(slug for team_org, slug in self.teams if team_org == org)
        return _page(request, [{"name": slug.capitalize(), "slug": slug} for slug in slugs])

    async def _assign(self, request: web.Request) -> web.Response:
        key = _key(request)
        logins = (await request.json()).get("assignees") or []
        issue = self.pulls.setdefault(key, {"number": key[2], "assignees": []})
        known = {a["login"] for a in issue.setdefault("assignees", [])}
        issue["assignees"] += [{"login": login} for login in logins if login not in known]
        return _json(201, {"number": key[2], "assignees": issue["assignees"]})

    async def _request_review(self, request: web.Request) -> web.Response:
        key = _key(request)
        if key not in self.pulls:
            return _json(404, {"message": "Not Found"})
        reviewers = (await request.json()).get("reviewers") or []
        self.review_requests.setdefault(key, []).extend(reviewers)
        return _json(201, {"number": key[2]})

    async def _get_commit(self, request: web.Request) -> web.Response:
        org, repo, sha = _match(request, "org", "repo", "sha")
        tree = self.commit_trees.get((org, repo, sha))
        if tree is None:
            return _json(422, {"message": f"No commit found for SHA: {sha}"})
        return _json(200, {"sha": sha, "commit": {"tree": {"sha": tree}}})

    async def _team_member(self, request: web.Request) -> web.Response:
        org, team, user = _match(request, "org", "team", "user")
        if user not in self.teams.get((org, team), set()):
            return _json(404, {"message": "Not Found"})
        return _json(200, {"role": "member", "state": "active"})

    async def _collaborator(self, request: web.Request) -> web.Response:
        org, repo, user = _match(request, "org", "repo", "user")
        return web.Response(
            status=204 if user in self.collaborators.get((org, repo), set()) else 404
        )

    async def _user(self, request: web.Request) -> web.Response:
        return _json(200, self.bot)

    async def _get_ref(self, request: web.Request) -> web.Response:
        org, repo, ref = _match(request, "org", "repo", "ref")
        sha = self.refs.get((org, repo, ref))
        if sha is None:
            return _json(404, {"message": "Not Found"})
        return _json(200, {"ref": f"refs/{ref}", "object": {"sha": sha, "type": "commit"}})

    def _caller(self, request: web.Request) -> dict[str, Any]:
        token = request.headers.get("Authorization", "").partition(" ")[2]
        if self.app is not None and token in self.app.tokens:
            return {"login": f"{self.app.slug}[bot]", "id": 2, "type": "Bot"}
        return self.bot

    # The App

    async def _app(self, request: web.Request) -> web.Response:
        assert self.app is not None
        return _json(
            200, {"id": int(self.app.app_id), "slug": self.app.slug, "name": self.app.slug}
        )

    async def _installation(self, request: web.Request) -> web.Response:
        org = request.match_info["org"]
        if self.app is None or org not in self.app.installations:
            return _json(404, {"message": "Not Found"})
        installation_id = self.app.installations[org]
        return _json(
            200, {"id": installation_id, "account": {"login": org}, "app_id": int(self.app.app_id)}
        )

    async def _access_token(self, request: web.Request) -> web.Response:
        assert self.app is not None
        if int(request.match_info["id"]) not in self.app.installations.values():
            return _json(404, {"message": "Not Found"})
        token = "ghs_" + secrets.token_hex(18)
        expires = self.app.now().replace(microsecond=0) + self.app.token_lifetime
        self.app.tokens[token] = expires
        return _json(
            201, {"token": token, "expires_at": expires.isoformat().replace("+00:00", "Z")}
        )


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status, content_type="application/json")


def _validation(field_name: str, code: str, resource: str) -> web.Response:
    return _json(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": resource, "field": field_name, "code": code}],
        },
    )


def _match(request: web.Request, *names: str) -> tuple[str, ...]:
    return tuple(request.match_info[name] for name in names)


def _key(request: web.Request) -> Key:
    org, repo, number = _match(request, "org", "repo", "number")
    return org, repo, int(number)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _page(request: web.Request, items: list[dict[str, Any]]) -> web.Response:
    """One page of `items`, with GitHub's `Link` header to the next and last pages."""
    per_page = min(int(request.query.get("per_page", DEFAULT_PAGE)), MAX_PAGE)
    page = int(request.query.get("page", 1))
    last = max(1, -(-len(items) // per_page))
    response = _json(200, items[(page - 1) * per_page : page * per_page])
    links = []
    url = URL(str(request.url))
    if page < last:
        links.append(f'<{url.update_query(page=page + 1)}>; rel="next"')
        links.append(f'<{url.update_query(page=last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url.update_query(page=1)}>; rel="first"')
        links.append(f'<{url.update_query(page=page - 1)}>; rel="prev"')
    if links:
        response.headers["Link"] = ", ".join(links)
    return response

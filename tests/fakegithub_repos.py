"""The fake GitHub's repository endpoints: repos, branches, branch protection
and file contents, as branchprotector and config-updater call them (mounted
by `fakegithub.FakeGitHub` as `fake.repos`, behind its recording, rate-limit
and authentication middleware).

The GitHub semantics kept: an owner that is a user answers 404 on
`/orgs/{owner}/repos` and lists under `/users/{owner}/repos`; lists are
paginated with `Link` headers; `?protected=true` lists only protected branches
and `?protected=false` only unprotected ones; a branch is protected when it has
a protection. GET protection answers 404 "Branch not protected" without one,
else GitHub's full shape (`url` fields, `{"enabled": ...}` objects, users with
`login`, teams and apps with `slug`). PUT checks the body as GitHub does (422
when a required section or field is missing or mistyped) and answers with the
GET shape; DELETE lifts it (204, or 404 when there is none). Signed commits are
their own setting (`/protection/required_signatures`), kept across PUTs.
Contents answer GitHub's file object, base64 wrapped every 60 characters; a
file over 1 MB comes back with empty content and `"encoding": "none"` and is
served by `/git/blobs/{sha}`, whose SHA is git's blob SHA of the bytes.

Seed with `add_repo`, `add_branch`, `protect` and `set_file`; read back what
the client stored in `protections` (the PUT bodies) and `signed`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import posixpath
from collections.abc import Callable
from typing import Any

from aiohttp import web

Page = Callable[[web.Request, list[dict[str, Any]]], web.Response]
"""fakegithub's `_page`: one page of a list, with the `Link` header."""
Branch = tuple[str, str, str]
"""org, repo, branch."""

LARGE_FILE = 1024 * 1024
"""Files larger than this are left out of the contents API's answer."""
_DOCS = "https://docs.github.com/rest/branches/branch-protection"
_REQUIRED = (
    "required_status_checks",
    "enforce_admins",
    "required_pull_request_reviews",
    "restrictions",
)
"""The sections a protection PUT must carry, each an object (or bool) or null."""


class FakeRepos:
    """Repositories, branches, protections and files of the fake GitHub."""

    def __init__(self, page: Page) -> None:
        self._page = page
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        """Each (owner, repo) as GitHub shows it."""
        self.users: set[str] = set()
        """Owners that are users, not orgs."""
        self.branches: dict[tuple[str, str], dict[str, str]] = {}
        """Branch name -> head SHA, per (org, repo)."""
        self.protections: dict[Branch, dict[str, Any]] = {}
        """The protection body last PUT (or seeded) on each branch."""
        self.signed: set[Branch] = set()
        """Branches that require signed commits."""
        self.files: dict[tuple[str, str, str], dict[str, bytes]] = {}
        """(org, repo, ref) -> path -> bytes; a ref is a branch or a commit SHA."""
        self.blobs: dict[tuple[str, str, str], bytes] = {}
        """(org, repo, blob SHA) -> bytes, for every file set."""
        self.installations: dict[str, list[dict[str, Any]]] = {}
        """org -> its app installations, each {"app_slug", "permissions": {"contents"}}."""
        self.collaborators: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """(org, repo) -> users with access, each {"login", "permissions": {...}}."""
        self.teams: dict[tuple[str, str], list[dict[str, Any]]] = {}
        """(org, repo) -> teams with access, each {"slug", "permission"}."""

    # Seeding

    def add_repo(
        self,
        owner: str,
        name: str,
        *,
        archived: bool = False,
        private: bool = False,
        default_branch: str = "main",
        user: bool = False,
        **fields: Any,
    ) -> dict[str, Any]:
        """A repository of `owner` (a user when `user`) with its default branch."""
        if user:
            self.users.add(owner)
        full = f"{owner}/{name}"
        repo = {
            "id": len(self.objects) + 1,
            "node_id": f"R_{len(self.objects) + 1}",
            "name": name,
            "full_name": full,
            "private": private,
            "owner": {"login": owner, "id": 2, "type": "User" if user else "Organization"},
            "html_url": f"https://github.com/{full}",
            "description": None,
            "fork": False,
            "archived": archived,
            "disabled": False,
            "visibility": "private" if private else "public",
            "default_branch": default_branch,
            "permissions": {"admin": True, "push": True, "pull": True},
            **fields,
        }
        self.objects[(owner, name)] = repo
        self.branches.setdefault((owner, name), {}).setdefault(default_branch, _sha(full))
        return repo

    def add_branch(self, org: str, repo: str, branch: str, sha: str = "") -> None:
        """A branch of org/repo (the repo added when new) at `sha`."""
        self._repo(org, repo)
        self.branches[(org, repo)][branch] = sha or _sha(f"{org}/{repo}@{branch}")

    def protect(
        self, org: str, repo: str, branch: str, body: dict[str, Any], *, signed: bool = False
    ) -> None:
        """Protect `branch` (added when new) with a PUT body, as if PUT earlier."""
        if branch not in self._repo(org, repo):
            self.add_branch(org, repo, branch)
        self.protections[(org, repo, branch)] = {k: body.get(k) for k in _REQUIRED} | body
        if signed:
            self.signed.add((org, repo, branch))

    def set_file(
        self, org: str, repo: str, path: str, content: bytes | str, *, ref: str = ""
    ) -> str:
        """File `path` of org/repo at `ref` (a branch or commit SHA; the default
        branch when empty); returns its blob SHA."""
        data = content.encode() if isinstance(content, str) else content
        default = self._repo_object(org, repo)["default_branch"]  # the repo exists now
        ref = ref or default
        self.files.setdefault((org, repo, ref), {})[path.strip("/")] = data
        sha = _blob_sha(data)
        self.blobs[(org, repo, sha)] = data
        return sha

    def _repo(self, org: str, repo: str) -> dict[str, str]:
        self._repo_object(org, repo)
        return self.branches[(org, repo)]

    def _repo_object(self, org: str, repo: str) -> dict[str, Any]:
        if (org, repo) not in self.objects:
            self.add_repo(org, repo)
        return self.objects[(org, repo)]

    # The wire

    def add_routes(self, router: web.UrlDispatcher) -> None:
        repo = "/repos/{org}/{repo}"
        protection = repo + "/branches/{branch:.+}/protection"
        router.add_get("/orgs/{org}/repos", self._org_repos)
        router.add_get("/users/{org}/repos", self._user_repos)
        router.add_get(repo, self._get_repo)
        router.add_get(repo + "/branches", self._list_branches)
        router.add_post(protection + "/required_signatures", self._sign)
        router.add_delete(protection + "/required_signatures", self._unsign)
        router.add_get(protection, self._get_protection)
        router.add_put(protection, self._put_protection)
        router.add_delete(protection, self._delete_protection)
        router.add_get(repo + "/contents/{path:.*}", self._contents)
        router.add_get(repo + "/git/blobs/{sha}", self._blob)
        router.add_get("/orgs/{org}/installations", self._installations)
        router.add_get(repo + "/collaborators", self._collaborators)
        router.add_get(repo + "/teams", self._teams)

    async def _installations(self, request: web.Request) -> web.Response:
        # GitHub pages an object here: {"total_count": n, "installations": [...]}.
        org = request.match_info["org"]
        listed = self.installations.get(org, [])
        page = self._page(request, listed)
        body = {"total_count": len(listed), "installations": json.loads(page.text or "[]")}
        link = page.headers.get("Link")
        return web.json_response(body, headers={"Link": link} if link else None)

    async def _collaborators(self, request: web.Request) -> web.Response:
        key = (request.match_info["org"], request.match_info["repo"])
        if key not in self.objects:
            return _not_found()
        return self._page(request, self.collaborators.get(key, []))

    async def _teams(self, request: web.Request) -> web.Response:
        key = (request.match_info["org"], request.match_info["repo"])
        if key not in self.objects:
            return _not_found()
        return self._page(request, self.teams.get(key, []))

    async def _org_repos(self, request: web.Request) -> web.Response:
        org = request.match_info["org"]
        if org in self.users or not any(owner == org for owner, _ in self.objects):
            return _not_found()
        return self._page(request, [r for (o, _), r in self.objects.items() if o == org])

    async def _user_repos(self, request: web.Request) -> web.Response:
        # Orgs are users too here, as on GitHub.
        owner = request.match_info["org"]
        repos = [r for (o, _), r in self.objects.items() if o == owner]
        return self._page(request, repos) if repos or owner in self.users else _not_found()

    async def _get_repo(self, request: web.Request) -> web.Response:
        repo = self.objects.get((request.match_info["org"], request.match_info["repo"]))
        return _json(200, repo) if repo is not None else _not_found()

    async def _list_branches(self, request: web.Request) -> web.Response:
        org, repo = request.match_info["org"], request.match_info["repo"]
        if (org, repo) not in self.objects:
            return _not_found()
        wanted = request.query.get("protected")
        base = _api(request, org, repo)
        shown = []
        for name, sha in self.branches[(org, repo)].items():
            protected = (org, repo, name) in self.protections
            if wanted is not None and protected != (wanted == "true"):
                continue
            shown.append(
                {
                    "name": name,
                    "commit": {"sha": sha, "url": f"{base}/commits/{sha}"},
                    "protected": protected,
                    "protection_url": f"{base}/branches/{name}/protection",
                }
            )
        return self._page(request, shown)

    # Branch protection

    def _branch(self, request: web.Request) -> Branch | web.Response:
        org, repo = request.match_info["org"], request.match_info["repo"]
        branch = request.match_info["branch"]
        if (org, repo) not in self.objects:
            return _not_found()
        if branch not in self.branches[(org, repo)]:
            return _json(404, {"message": "Branch not found", "documentation_url": _DOCS})
        return org, repo, branch

    def _protected(self, request: web.Request) -> Branch | web.Response:
        key = self._branch(request)
        if isinstance(key, tuple) and key not in self.protections:
            return _json(404, {"message": "Branch not protected", "documentation_url": _DOCS})
        return key

    async def _get_protection(self, request: web.Request) -> web.Response:
        key = self._protected(request)
        if isinstance(key, web.Response):
            return key
        return _json(200, self._shown(request, key))

    async def _put_protection(self, request: web.Request) -> web.Response:
        key = self._branch(request)
        if isinstance(key, web.Response):
            return key
        try:
            body = json.loads(await request.read())
        except json.JSONDecodeError:
            return _json(400, {"message": "Problems parsing JSON", "documentation_url": _DOCS})
        problem = _invalid(body)
        if problem is not None:
            message = f"Invalid request.\n\n{problem}"
            return _json(422, {"message": message, "documentation_url": _DOCS, "status": "422"})
        self.protections[key] = body
        return _json(200, self._shown(request, key))

    async def _delete_protection(self, request: web.Request) -> web.Response:
        key = self._protected(request)
        if isinstance(key, web.Response):
            return key
        del self.protections[key]
        self.signed.discard(key)
        return web.Response(status=204)

    async def _sign(self, request: web.Request) -> web.Response:
        key = self._protected(request)
        if isinstance(key, web.Response):
            return key
        self.signed.add(key)
        url = _api(request, key[0], key[1]) + f"/branches/{key[2]}/protection"
        return _json(200, {"url": url + "/required_signatures", "enabled": True})

    async def _unsign(self, request: web.Request) -> web.Response:
        key = self._protected(request)
        if isinstance(key, web.Response):
            return key
        self.signed.discard(key)
        return web.Response(status=204)

    def _shown(self, request: web.Request, key: Branch) -> dict[str, Any]:
        """The protection as GET answers it, from the body that set it."""
        body = self.protections[key]
        url = _api(request, key[0], key[1]) + f"/branches/{key[2]}/protection"
        shown: dict[str, Any] = {"url": url}
        checks = body.get("required_status_checks")
        if checks is not None:
            contexts = list(checks.get("contexts") or [])
            shown["required_status_checks"] = {
                "url": url + "/required_status_checks",
                "strict": bool(checks.get("strict")),
                "contexts": contexts,
                "contexts_url": url + "/required_status_checks/contexts",
                "checks": [{"context": c, "app_id": None} for c in contexts],
            }
        admins = {"url": url + "/enforce_admins", "enabled": bool(body.get("enforce_admins"))}
        shown["enforce_admins"] = admins
        reviews = body.get("required_pull_request_reviews")
        if reviews is not None:
            shown["required_pull_request_reviews"] = _reviews(url, reviews)
        restrictions = body.get("restrictions")
        if restrictions is not None:
            shown["restrictions"] = {
                "url": url + "/restrictions",
                "users_url": url + "/restrictions/users",
                "teams_url": url + "/restrictions/teams",
                "apps_url": url + "/restrictions/apps",
                **_people(restrictions),
                "apps": [_app(slug) for slug in restrictions.get("apps") or []],
            }
        for setting in (
            "required_linear_history",
            "allow_force_pushes",
            "allow_deletions",
            "block_creations",
            "required_conversation_resolution",
            "lock_branch",
            "allow_fork_syncing",
        ):
            shown[setting] = {"enabled": bool(body.get(setting))}
        shown["required_signatures"] = {
            "url": url + "/required_signatures",
            "enabled": key in self.signed,
        }
        return shown

    # Files

    async def _contents(self, request: web.Request) -> web.Response:
        org, repo = request.match_info["org"], request.match_info["repo"]
        path = request.match_info["path"].strip("/")
        if (org, repo) not in self.objects:
            return _not_found()
        ref = request.query.get("ref") or self.objects[(org, repo)]["default_branch"]
        files = self._files_at(org, repo, ref)
        base = _api(request, org, repo)
        if path in files:
            return _json(200, _file(base, path, files[path], ref))
        prefix = f"{path}/" if path else ""
        children = sorted({p[len(prefix) :].split("/")[0] for p in files if p.startswith(prefix)})
        if not children:
            return _not_found()
        # A directory: GitHub answers a list of its entries, without contents.
        entries = []
        for child in children:
            full = prefix + child
            if full in files:
                entry = _file(base, full, files[full], ref)
                entries.append({k: v for k, v in entry.items() if k not in ("content", "encoding")})
            else:
                entries.append({"type": "dir", "name": child, "path": full, "sha": _sha(full)})
        return _json(200, entries)

    def _files_at(self, org: str, repo: str, ref: str) -> dict[str, bytes]:
        """The files at a branch or commit: those set under the ref itself, and
        under the SHA a branch points at or the branches at a SHA."""
        ref = ref.removeprefix("refs/").removeprefix("heads/")
        heads = self.branches.get((org, repo), {})
        refs = {ref, heads.get(ref, ref)} | {name for name, sha in heads.items() if sha == ref}
        found: dict[str, bytes] = {}
        for each in refs:
            found |= self.files.get((org, repo, each), {})
        return found

    async def _blob(self, request: web.Request) -> web.Response:
        org, repo, sha = (request.match_info[k] for k in ("org", "repo", "sha"))
        data = self.blobs.get((org, repo, sha))
        if data is None:
            return _not_found()
        base = _api(request, org, repo)
        return _json(
            200,
            {
                "sha": sha,
                "node_id": f"B_{sha[:12]}",
                "size": len(data),
                "url": f"{base}/git/blobs/{sha}",
                "content": _wrapped(data),
                "encoding": "base64",
            },
        )


def _invalid(body: Any) -> str | None:
    """What GitHub's schema check of a protection PUT body says, or None."""
    if not isinstance(body, dict):
        return "Body should be a JSON object"
    missing = [key for key in _REQUIRED if key not in body]
    if missing:
        names = ", ".join(f'"{key}"' for key in missing)
        return f"{names} {'wasn' if len(missing) == 1 else 'weren'}'t supplied."
    for key in ("enforce_admins", "required_linear_history", "allow_force_pushes"):
        if body.get(key) is not None and not isinstance(body[key], bool):
            return f"For 'properties/{key}', {json.dumps(body[key])} is not a boolean or null."
    for key in ("required_status_checks", "required_pull_request_reviews", "restrictions"):
        if body[key] is not None and not isinstance(body[key], dict):
            return f"For 'properties/{key}', {json.dumps(body[key])} is not an object or null."
    checks = body["required_status_checks"]
    if checks is not None:
        missing = [key for key in ("strict", "contexts") if key not in checks]
        if missing:
            return " ".join(f'"{key}" wasn\'t supplied.' for key in missing)
    reviews = body["required_pull_request_reviews"]
    if reviews is not None:
        count = reviews.get("required_approving_review_count", 1)
        if not isinstance(count, int) or not 0 <= count <= 6:
            return (
                "For 'properties/required_approving_review_count', "
                f"{json.dumps(count)} is not between 0 and 6."
            )
    restrictions = body["restrictions"]
    if restrictions is not None:
        missing = [key for key in ("users", "teams") if key not in restrictions]
        if missing:
            return " ".join(f'"{key}" wasn\'t supplied.' for key in missing)
    return None


def _reviews(url: str, reviews: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "url": url + "/required_pull_request_reviews",
        "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews")),
        "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews")),
        "required_approving_review_count": reviews.get("required_approving_review_count", 1),
        "require_last_push_approval": bool(reviews.get("require_last_push_approval")),
    }
    # An empty object lifts the restriction: GitHub then leaves the key out.
    dismissal = reviews.get("dismissal_restrictions") or {}
    if "users" in dismissal or "teams" in dismissal:
        shown["dismissal_restrictions"] = {
            "url": url + "/dismissal_restrictions",
            "users_url": url + "/dismissal_restrictions/users",
            "teams_url": url + "/dismissal_restrictions/teams",
            **_people(dismissal),
            "apps": [],
        }
    bypass = reviews.get("bypass_pull_request_allowances") or {}
    if "users" in bypass or "teams" in bypass:
        shown["bypass_pull_request_allowances"] = {**_people(bypass), "apps": []}
    return shown


def _people(lists: dict[str, Any]) -> dict[str, Any]:
    return {
        "users": [_user(login) for login in lists.get("users") or []],
        "teams": [_team(slug) for slug in lists.get("teams") or []],
    }


def _user(login: str) -> dict[str, Any]:
    return {
        "login": login,
        "id": _id(login),
        "type": "User",
        "site_admin": False,
        "url": f"https://api.github.com/users/{login}",
    }


def _team(slug: str) -> dict[str, Any]:
    return {"id": _id(slug), "slug": slug, "name": slug, "permission": "push"}


def _app(slug: str) -> dict[str, Any]:
    return {"id": _id(slug), "slug": slug, "name": slug, "owner": _user("github")}


def _file(base: str, path: str, data: bytes, ref: str) -> dict[str, Any]:
    sha = _blob_sha(data)
    large = len(data) > LARGE_FILE
    return {
        "type": "file",
        "encoding": "none" if large else "base64",
        "size": len(data),
        "name": posixpath.basename(path),
        "path": path,
        "content": "" if large else _wrapped(data),
        "sha": sha,
        "url": f"{base}/contents/{path}?ref={ref}",
        "git_url": f"{base}/git/blobs/{sha}",
        "html_url": None,
        "download_url": None,
    }


def _wrapped(data: bytes) -> str:
    # Ruby's Base64.encode64, which GitHub uses: a newline after every 60 characters.
    encoded = base64.b64encode(data).decode()
    return "".join(encoded[i : i + 60] + "\n" for i in range(0, len(encoded), 60))


def _blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _sha(seed: str) -> str:
    return hashlib.sha1(seed.encode()).hexdigest()


def _id(name: str) -> int:
    return int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)


def _api(request: web.Request, org: str, repo: str) -> str:
    return f"{request.url.origin()}/repos/{org}/{repo}"


def _json(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


def _not_found() -> web.Response:
    return _json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})

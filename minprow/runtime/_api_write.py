"""The API's writes: rerun and abort a ProwJob, for holders of the API token.

Corresponds to Deck's `/rerun` and `/abort` (pkg/deck/main.go `handleRerun`,
`handleAbort`), with a bearer token in place of Deck's OAuth and
`rerun_auth_config`: `Authorization: Bearer <token>`, compared in constant
time. Without a configured token the writes are refused outright (403). The
writes themselves are `store.actions` (shared with the TUI): a rerun in the
configured `prowjob_namespace`; an abort only marks the job `aborted`, and plank
stops its process and completes it, as it does for Deck's aborts.
"""

from __future__ import annotations

import hmac
import json

from aiohttp import web

from minprow.runtime._api_wire import ApiContext, error, json_response, shown
from minprow.store import NotFound, StoreError, actions

DEFAULT_USER = "an API client"
"""Who a write is attributed to when the request names no `user`."""
_MAX_USER = 100


def authorize(request: web.Request, ctx: ApiContext) -> web.Response | None:
    """None when the request carries the API token, else the refusal to send."""
    expected = (ctx.token() or "").strip()
    if not expected:
        return error(403, "no API token configured")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return error(
            401,
            "missing bearer token (Authorization: Bearer <token>)",
            _challenge("invalid_request"),
        )
    if not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return error(401, "invalid API token", _challenge("invalid_token"))
    return None


def _challenge(reason: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'Bearer realm="minprow", error="{reason}"'}


async def _user(request: web.Request) -> str | web.Response:
    """The optional `{"user": "..."}` of the request body (query `user=` also works)."""
    user = request.query.get("user", "")
    if request.can_read_body:
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            return error(400, 'the body is not JSON; send {"user": "<name>"} or nothing')
        if not isinstance(body, dict) or not isinstance(body.get("user", ""), str):
            return error(400, 'the body must be a JSON object like {"user": "<name>"}')
        user = body.get("user") or user
    user = " ".join(user.split())[:_MAX_USER]
    return user or DEFAULT_USER


async def _caller(request: web.Request, ctx: ApiContext) -> str | web.Response:
    """Who is writing: their user name once the token is right, else the refusal."""
    refused = authorize(request, ctx)
    if refused is not None:
        return refused
    return await _user(request)


async def rerun(request: web.Request, ctx: ApiContext) -> web.Response:
    """`POST /api/v1/prowjobs/{name}/rerun`: a new ProwJob like the named one (201)."""
    user = await _caller(request, ctx)
    if isinstance(user, web.Response):
        return user
    name = request.match_info["name"]
    try:
        created = await actions.rerun(
            ctx.store,
            name,
            by=user,
            now=ctx.clock.now(),
            namespace=ctx.config().prowjob_namespace or None,
        )
    except NotFound as err:
        return error(404, str(err))
    except StoreError as err:
        return error(500, f"cannot create the rerun of {name}: {err}")
    return json_response(shown(created), 201)


async def abort(request: web.Request, ctx: ApiContext) -> web.Response:
    """`POST /api/v1/prowjobs/{name}/abort`: mark a job that has not finished `aborted`."""
    user = await _caller(request, ctx)
    if isinstance(user, web.Response):
        return user
    name = request.match_info["name"]
    try:
        result = await actions.abort(ctx.store, name, by=user, through="the API")
    except NotFound as err:
        return error(404, str(err))
    except actions.AlreadyFinished as err:
        return error(409, str(err))
    except StoreError as err:
        return error(500, f"cannot abort {name}: {err}")
    return json_response(shown(result))

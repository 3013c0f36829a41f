"""gidgethub's aiohttp `GitHubAPI` with Prow's resilience (pkg/github/client.go:
`requestRetry`, its exponential backoff and its rate-limit sleep).

Connection errors and 5xx answers are retried with exponential backoff, a
bounded number of times. A 403 or 429 that says it is a rate limit
(`x-ratelimit-remaining: 0` with `x-ratelimit-reset`, or `retry-after`) is
waited out and retried, unless the wait would exceed `max_rate_limit_wait`.
Every wait goes through the injected clock.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import gidgethub
from gidgethub.aiohttp import GitHubAPI

from minprow.aio import Clock

log = logging.getLogger("minprow.github")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard the client tries before it gives up (Prow: 8 retries from 2s)."""

    max_attempts: int = 8
    initial_backoff: float = 2.0
    max_backoff: float = 60.0
    max_rate_limit_wait: float = 15 * 60.0

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        return float(min(self.initial_backoff * 2 ** (attempt - 1), self.max_backoff))


def rate_limit_wait(status: int, headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until a rate-limited request may be retried, or None when this
    answer is not a rate limit (a plain 403 Forbidden, for example)."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return None
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        try:
            reset = float(headers["x-ratelimit-reset"])
        except ValueError:
            return None
        return max(0.0, reset - now.timestamp())
    return None


class RetryingAPI(GitHubAPI):
    """The aiohttp GitHubAPI, retrying what GitHub says may succeed later."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        policy: RetryPolicy,
        clock: Clock,
        requester: str = "minprow",
    ) -> None:
        super().__init__(session, requester, base_url=base_url)
        self.policy = policy
        self.clock = clock

    async def sleep(self, seconds: float) -> None:
        await self.clock.sleep(seconds)

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        attempt = 0
        while True:
            attempt += 1
            try:
                answer: tuple[int, Mapping[str, str], bytes] = await super()._request(
                    method, url, headers, body
                )
                return answer
            except (TimeoutError, aiohttp.ClientConnectionError) as err:
                if attempt >= self.policy.max_attempts:
                    raise
                wait = self.policy.backoff(attempt)
                log.warning(
                    "GitHub %s %s: %s; retry %d in %.1fs",
                    method,
                    _path(url),
                    type(err).__name__,
                    attempt,
                    wait,
                )
                await self.sleep(wait)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: gidgethub.HTTPException, attempt: int
    ) -> bool:
        if attempt >= self.policy.max_attempts:
            return False
        status = int(exception.status_code)
        wait = rate_limit_wait(status, exception.headers, self.clock.now())
        if wait is not None:
            if wait > self.policy.max_rate_limit_wait:
                return False
            log.warning("GitHub rate limit on %s %s: waiting %.1fs", method, _path(url), wait)
        elif status >= 500:
            wait = self.policy.backoff(attempt)
            log.warning(
                "GitHub %s %s: HTTP %d; retry %d in %.1fs",
                method,
                _path(url),
                status,
                attempt,
                wait,
            )
        else:
            return False
        await self.sleep(wait)
        return True


def _path(url: str) -> str:
    """The URL without its query: enough to say which call, nothing secret."""
    return url.split("?", 1)[0]

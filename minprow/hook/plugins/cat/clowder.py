"""Finding a cat image: the image API first, the bundled list when it fails.

Corresponds to `realClowder` of Prow's pkg/plugins/cat/cat.go and
`ImageTooBig` of pkg/github/types.go. One search asks the API for one image
(`category` for `/meow CATEGORY`, `mime_types=gif` for `/meowvie`), then checks
with a HEAD request that the image answers 200 and is not over GitHub's size
limit. `/meow grumpy` (or `no`) skips the API for Prow's grumpy cat. Each
search is tried `attempts` times, each request bounded by `timeout` seconds;
when none gives an image (unreachable, timeout, an error status, bad JSON, no
cats, an image that does not answer or is too big) one of the bundled images
is chosen, so a `/meow` always gets a cat.

The API key, if any, goes in thecatapi.com's `x-api-key` header rather than the
query string Prow uses, so it never appears in a logged URL.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import aiohttp

from minprow.hook.plugins.cat.bundled import BUNDLED_CATS, GRUMPY_IMAGE, GRUMPY_ROOT

CAT_API = "https://api.thecatapi.com/v1/images/search"
"""thecatapi.com's search, the image API Prow uses."""
DEFAULT_TIMEOUT = 5.0
"""Seconds for each request to the API or the image."""
ATTEMPTS = 3
"""Searches before falling back to the bundled images (Prow tries three times)."""
IMAGE_SIZE_LIMIT = 5_242_880
"""The largest image GitHub shows, in bytes (Prow's `github.ImageSizeLimit`)."""

GRUMPY_RE = re.compile(r"^(no|grumpy)\s*$", re.I | re.M)

log = logging.getLogger("minprow.hook.cat")


class NoCat(Exception):
    """One search gave no usable image; the message says why."""


def _first_url(data: Any) -> str:
    if not isinstance(data, list) or not data:
        raise NoCat("no cats in the response")
    first = data[0]
    url = first.get("url") if isinstance(first, Mapping) else None
    if not isinstance(url, str) or not url:
        raise NoCat("no image url in the response")
    return url


class Clowder:
    """Where cat images come from: an image API, checked, then a bundled list."""

    def __init__(
        self,
        api_url: str = CAT_API,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = ATTEMPTS,
        grumpy_root: str = GRUMPY_ROOT,
        fallback: Sequence[str] = BUNDLED_CATS,
        choose: Callable[[Sequence[str]], str] = random.choice,
    ) -> None:
        if attempts < 1:
            raise ValueError("the cat plugin needs at least one attempt")
        if not fallback:
            raise ValueError("the cat plugin needs at least one bundled image")
        self.api_url = api_url
        self.timeout = timeout
        self.attempts = attempts
        self.grumpy_root = grumpy_root
        self.fallback = tuple(fallback)
        self.choose = choose

    @staticmethod
    def params(category: str, movie: bool) -> dict[str, str]:
        """The search's query: one JSON result, in `category`, a gif for a movie."""
        query = {"format": "json", "results_per_page": "1"}
        if category:
            query["category"] = category
        if movie:
            query["mime_types"] = "gif"
        return query

    async def image(self, category: str = "", movie: bool = False, key: str = "") -> str:
        """An image URL for `/meow[vie] [category]`: the API's, else a bundled one."""
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for attempt in range(1, self.attempts + 1):
                try:
                    return await self._search(session, category, movie, key)
                except NoCat as err:
                    log.warning("cat: attempt %d/%d found no cat: %s", attempt, self.attempts, err)
        return self.choose(self.fallback)

    async def _search(
        self, session: aiohttp.ClientSession, category: str, movie: bool, key: str
    ) -> str:
        if GRUMPY_RE.search(category):
            url = self.grumpy_root + GRUMPY_IMAGE
        else:
            headers = {"x-api-key": key} if key else {}
            try:
                async with session.get(
                    self.api_url, params=self.params(category, movie), headers=headers
                ) as resp:
                    if not 200 <= resp.status <= 299:
                        raise NoCat(f"{self.api_url} answered {resp.status}")
                    data = await resp.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                raise NoCat(f"could not read a cat from {self.api_url}: {err!r}") from err
            url = _first_url(data)
        await self._check_image(session, url)
        return url

    async def _check_image(self, session: aiohttp.ClientSession, url: str) -> None:
        """Prow's `ImageTooBig`: the image must answer a HEAD with 200 and a size
        GitHub will show (a missing or unreadable Content-Length passes)."""
        try:
            async with session.head(url, allow_redirects=True) as resp:
                status, length = resp.status, resp.headers.get("Content-Length", "")
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise NoCat(f"could not check image {url}: {err!r}") from err
        if status != 200:
            raise NoCat(f"image {url} answered {status}")
        if length.isdigit() and int(length) > IMAGE_SIZE_LIMIT:
            raise NoCat(f"longcat is too long: {url} is {length} bytes")

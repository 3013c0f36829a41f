"""The cat plugin: `/meow` answers with a cat image.

Corresponds to Prow's pkg/plugins/cat/cat.go. On a new comment, issue or pull
request body, or review (Prow's generic comment events), a line
`/meow [category]` or `/meowvie [category]` (a moving cat) gets a reply quoting
it with the image, in Prow's response format. Where the image comes from is the
`Clowder`'s business (the image API, else the bundled list). The API key is read
from the file plugins.yaml's `cat.key_path` names, when it names one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from minprow.hook.plugins.cat.client import CatGitHub
from minprow.hook.plugins.cat.clowder import Clowder
from minprow.hook.plugins.context import PluginContext
from minprow.hook.plugins.generic import CREATED, GENERIC_COMMENT, GenericComment, format_response
from minprow.hook.plugins.registry import Plugin

NAME = "cat"
MEOW_RE = re.compile(r"^/meow(vie)?(?: (.+))?\s*$", re.I | re.M)

HELP_TEXT = """\
The cat plugin adds a cat image to an issue or pull request in reply to '/meow'.
With cat.key_path set in plugins.yaml, the key in that file is sent to thecatapi.com.

Commands (anyone):
  /meow [category]     a cat picture, from the category if one is given
  /meowvie [category]  a moving cat (a gif)
  /meow grumpy         a grumpy cat
"""


def parse_meow(body: str) -> tuple[str, bool] | None:
    """(category, movie) of the first `/meow` line of `body`; None if there is none."""
    match = MEOW_RE.search(body)
    if match is None:
        return None
    return (match.group(2) or "").strip(), bool(match.group(1))


def read_key(section: Any, log: logging.Logger) -> str:
    """The API key in the file plugins.yaml's `cat.key_path` names ("" if none)."""
    path = section.get("key_path") if isinstance(section, Mapping) else None
    if not path:
        return ""
    try:
        return Path(str(path)).read_text().strip()
    except OSError as err:
        log.error("cat: cannot read the API key at %s: %s", path, err.strerror)
        return ""


async def handle(gh: CatGitHub, clowder: Clowder, c: GenericComment, key: str = "") -> None:
    """Prow's `handle`: reply to a new `/meow` with a cat image."""
    if c.action != CREATED:
        return
    meow = parse_meow(c.body)
    if meow is None:
        return
    category, movie = meow
    image = await clowder.image(category, movie, key)
    reply = format_response(c.body, c.html_url, c.author, f"![cat image]({image})")
    await gh.create_comment(c.org, c.repo, c.number, reply)


def cat_plugin(clowder: Clowder | None = None) -> Plugin:
    """The cat plugin over `clowder` (by default thecatapi.com, then the bundled cats)."""
    source = clowder or Clowder()

    async def on_generic_comment(ctx: PluginContext, c: GenericComment) -> None:
        if c.action != CREATED or parse_meow(c.body) is None:
            return
        github = ctx.github
        if not isinstance(github, CatGitHub):
            raise TypeError("the cat plugin needs a GitHub client (create_comment)")
        key = read_key(ctx.config().plugins.section("cat"), ctx.log.logger)
        await handle(github, source, c, key)

    return Plugin(
        name=NAME,
        help=HELP_TEXT,
        handlers={GENERIC_COMMENT: on_generic_comment},
    )


CAT = cat_plugin()
"""The cat plugin, for hook's explicit tuple of plugins."""

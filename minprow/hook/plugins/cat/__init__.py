"""The cat plugin: `/meow` and `/meowvie` answer with a cat image.

Corresponds to Prow's pkg/plugins/cat. `CAT` is the plugin value for hook's
registry (thecatapi.com, then the bundled images); `cat_plugin(Clowder(...))`
builds one over another image API (`CAT_API` is the default URL).
"""

from minprow.hook.plugins.cat.bundled import BUNDLED_CATS, GRUMPY_IMAGE, GRUMPY_ROOT
from minprow.hook.plugins.cat.client import CatGitHub
from minprow.hook.plugins.cat.clowder import (
    ATTEMPTS,
    CAT_API,
    DEFAULT_TIMEOUT,
    IMAGE_SIZE_LIMIT,
    Clowder,
    NoCat,
)
from minprow.hook.plugins.cat.plugin import (
    CAT,
    HELP_TEXT,
    NAME,
    cat_plugin,
    handle,
    parse_meow,
    read_key,
)

__all__ = [
    "ATTEMPTS",
    "BUNDLED_CATS",
    "CAT",
    "CAT_API",
    "DEFAULT_TIMEOUT",
    "GRUMPY_IMAGE",
    "GRUMPY_ROOT",
    "HELP_TEXT",
    "IMAGE_SIZE_LIMIT",
    "NAME",
    "CatGitHub",
    "Clowder",
    "NoCat",
    "cat_plugin",
    "handle",
    "parse_meow",
    "read_key",
]

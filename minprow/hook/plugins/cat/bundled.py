"""The cat images minprow answers with when no image API answers.

Prow's cat plugin (pkg/plugins/cat/cat.go) has no such list: when
thecatapi.com is down it says so. minprow never leaves a `/meow` without a
cat, so it ships these, embedded as a constant so nothing has to be packaged
beside the code. All are photographs on Wikimedia Commons (free licences),
linked at their original upload URLs.
"""

from __future__ import annotations

_COMMONS = "https://upload.wikimedia.org/wikipedia/commons/"

GRUMPY_ROOT = _COMMONS + "e/ee/"
GRUMPY_IMAGE = "Grumpy_Cat_by_Gage_Skidmore.jpg"
"""Prow's answer to `/meow grumpy` and `/meow no` (no API call)."""

BUNDLED_CATS: tuple[str, ...] = (
    _COMMONS + "4/4d/Cat_November_2010-1a.jpg",
    _COMMONS + "b/b6/Felis_catus-cat_on_snow.jpg",
    _COMMONS + "b/bb/Kittyply_edit1.jpg",
    _COMMONS + "3/3a/Cat03.jpg",
    _COMMONS + "6/64/Collage_of_Six_Cats-02.jpg",
    _COMMONS + "6/68/Orange_tabby_cat_sitting_on_fallen_leaves-Hisashi-01A.jpg",
    GRUMPY_ROOT + GRUMPY_IMAGE,
)
"""The fallback images; one is chosen at random for each `/meow` the API misses."""

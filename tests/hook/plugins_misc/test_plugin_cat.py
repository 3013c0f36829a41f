"""The cat plugin (Prow's pkg/plugins/cat): which texts are a `/meow`, the image
API over real HTTP (a cat, errors, a hang, a bad image) and the bundled
fallback, the events it answers on, the reply's format, the API key file, and
the plugin value run through hook's registry and `PluginContext`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from misc_plugin_helpers import (
    ORG,
    REPO,
    CatAPI,
    FakeGitHub,
    closed_port_url,
    comment_payload,
    parsed,
    payload,
    plugin_config,
    plugin_context,
)

from minprow.github.client import GitHubClient
from minprow.hook.plugins.cat import (
    BUNDLED_CATS,
    CAT,
    CAT_API,
    GRUMPY_IMAGE,
    IMAGE_SIZE_LIMIT,
    CatGitHub,
    Clowder,
    cat_plugin,
    parse_meow,
)
from minprow.hook.plugins.generic import format_response
from minprow.hook.plugins.registry import Registry
from minprow.store import JobStore, open_store

FALLBACK = "https://cats.example/bundled.jpg"


def _real_client_fits(client: GitHubClient) -> CatGitHub:
    return client  # mypy checks that the real client satisfies the Protocol


def _first(cats: Sequence[str]) -> str:
    return cats[0]


@pytest.fixture
async def store() -> AsyncIterator[JobStore]:
    async with open_store("memory") as s:
        yield s


@pytest.fixture
async def api() -> AsyncIterator[CatAPI]:
    async with CatAPI() as server:
        yield server


def _clowder(api: CatAPI, **kw: Any) -> Clowder:
    settings: dict[str, Any] = {"timeout": 10.0, "fallback": (FALLBACK,), "choose": _first}
    return Clowder(api.search_url, grumpy_root=f"{api.url}/grumpy/", **(settings | kw))


@pytest.mark.parametrize(
    ("body", "meow"),
    [
        ("/meow", ("", False)),
        ("/meowvie", ("", True)),
        ("/meow caturday", ("caturday", False)),
        ("/meowvie clothes  ", ("clothes", True)),
        ("/MEOW", ("", False)),
        ("/meow  ", ("", False)),
        ("nice work\n/meow boxes\nthanks", ("boxes", False)),
        ("/meowing", None),
        ("/meows", None),
        ("say /meow", None),
        ("meow", None),
    ],
    ids=[
        "meow",
        "meowvie",
        "category",
        "movie-category",
        "upper-case",
        "trailing-spaces",
        "among-other-lines",
        "longer-word",
        "plural",
        "not-line-start",
        "no-slash",
    ],
)
def test_parse_meow(body: str, meow: tuple[str, bool] | None) -> None:
    assert parse_meow(body) == meow


@pytest.mark.parametrize(
    ("mode", "failures", "image_status", "image_size", "from_api", "searches"),
    [
        ("cat", 0, 200, 2048, True, 1),
        ("cat", 2, 200, 2048, True, 3),
        ("cat", 3, 200, 2048, False, 3),
        ("500", 0, 200, 2048, False, 3),
        ("bad-json", 0, 200, 2048, False, 3),
        ("no-cats", 0, 200, 2048, False, 3),
        ("no-url", 0, 200, 2048, False, 3),
        ("cat", 0, 404, 2048, False, 3),
        ("cat", 0, 200, IMAGE_SIZE_LIMIT, True, 1),
        ("cat", 0, 200, IMAGE_SIZE_LIMIT + 1, False, 3),
    ],
    ids=[
        "cat",
        "retried-after-two-500s",
        "three-500s",
        "always-500",
        "bad-json",
        "no-cats",
        "no-image-url",
        "image-missing",
        "image-at-size-limit",
        "longcat-too-long",
    ],
)
async def test_image_api_or_fallback(
    api: CatAPI,
    mode: str,
    failures: int,
    image_status: int,
    image_size: int,
    from_api: bool,
    searches: int,
) -> None:
    api.mode, api.failures = mode, failures
    api.image_status, api.image_size = image_status, image_size
    image = await _clowder(api).image()
    assert image == (api.image_url if from_api else FALLBACK)
    assert len(api.searches()) == searches


async def test_hanging_api_times_out_to_fallback(api: CatAPI) -> None:
    api.mode = "hang"
    assert await _clowder(api, timeout=0.2, attempts=2).image() == FALLBACK
    assert len(api.searches()) == 2


async def test_unreachable_api_falls_back() -> None:
    clowder = Clowder(closed_port_url(), timeout=0.5, fallback=(FALLBACK,))
    assert await clowder.image() == FALLBACK


async def test_default_fallback_is_bundled() -> None:
    image = await Clowder(closed_port_url(), timeout=0.5, attempts=1).image()
    assert image in BUNDLED_CATS
    assert all(url.startswith("https://") for url in BUNDLED_CATS)
    assert CAT_API == "https://api.thecatapi.com/v1/images/search"


@pytest.mark.parametrize(
    ("category", "movie", "key", "query", "sent_key"),
    [
        ("", False, "", {"format": "json", "results_per_page": "1"}, None),
        (
            "boxes",
            False,
            "",
            {"format": "json", "results_per_page": "1", "category": "boxes"},
            None,
        ),
        ("", True, "", {"format": "json", "results_per_page": "1", "mime_types": "gif"}, None),
        ("", False, "s3cret", {"format": "json", "results_per_page": "1"}, "s3cret"),
    ],
    ids=["plain", "category", "movie", "api-key-in-header"],
)
async def test_search_request(
    api: CatAPI,
    category: str,
    movie: bool,
    key: str,
    query: dict[str, str],
    sent_key: str | None,
) -> None:
    await _clowder(api).image(category, movie, key)
    [search] = api.searches()
    assert (search.query, search.api_key) == (query, sent_key)


@pytest.mark.parametrize("category", ["grumpy", "no", "GRUMPY "], ids=["grumpy", "no", "upper"])
async def test_grumpy_cat_skips_the_api(api: CatAPI, category: str) -> None:
    image = await _clowder(api).image(category)
    assert image == f"{api.url}/grumpy/{GRUMPY_IMAGE}"
    assert api.searches() == []
    assert [(r.method, r.path) for r in api.requests] == [("HEAD", f"/grumpy/{GRUMPY_IMAGE}")]


def _issue_opened(body: str) -> dict[str, Any]:
    data = payload("issues.opened.json")
    data["issue"]["body"] = body
    return data


def _pull_opened(body: str) -> Any:
    data = payload("pull_request.opened.json")
    data["pull_request"]["body"] = body
    return parsed("pull_request", data)


def _review(body: str, action: str = "submitted") -> Any:
    data = payload("pull_request_review.submitted.json")
    data["review"]["body"] = body
    data["action"] = action
    return parsed("pull_request_review", data)


ISSUE = "https://github.com/Codertocat/Hello-World/issues/1"
PULL = "https://github.com/Codertocat/Hello-World/pull/2"


@pytest.mark.parametrize(
    ("event_type", "event", "number", "link"),
    [
        (
            "issue_comment",
            parsed("issue_comment", comment_payload("/meow")),
            1,
            f"{ISSUE}#issuecomment-492700400",
        ),
        (
            "issue_comment",
            parsed("issue_comment", comment_payload("/meow", pr=True)),
            1,
            f"{ISSUE}#issuecomment-492700400",
        ),
        ("issues", _issue_opened("/meow"), 1, ISSUE),
        ("pull_request", _pull_opened("/meow"), 2, PULL),
        ("pull_request_review", _review("/meow"), 2, f"{PULL}#pullrequestreview-237895671"),
        (
            "issue_comment",
            parsed("issue_comment", {**comment_payload("/meow"), "action": "edited"}),
            None,
            "",
        ),
        (
            "issue_comment",
            parsed("issue_comment", comment_payload("/meow", state="closed")),
            1,
            f"{ISSUE}#issuecomment-492700400",
        ),
        ("issues", {**_issue_opened("/meow"), "action": "edited"}, None, ""),
        ("pull_request", parsed("pull_request", payload("pull_request.closed.json")), None, ""),
        ("pull_request_review", _review("/meow", "dismissed"), None, ""),
        ("issue_comment", parsed("issue_comment", comment_payload("no cat please")), None, ""),
    ],
    ids=[
        "issue-comment",
        "pr-comment",
        "issue-opened",
        "pull-opened",
        "review-submitted",
        "comment-edited",
        "closed-issue-still-meows",
        "issue-edited",
        "pull-closed",
        "review-dismissed",
        "no-meow",
    ],
)
async def test_events(
    api: CatAPI,
    store: JobStore,
    tmp_path: Path,
    event_type: str,
    event: Any,
    number: int | None,
    link: str,
) -> None:
    gh = FakeGitHub()
    ctx = plugin_context(store, gh, event_type, plugin_config(tmp_path, ["cat"]))
    await cat_plugin(_clowder(api)).for_event(event_type)(ctx, event)
    if number is None:
        assert (gh.calls, api.requests) == ([], [])
        return
    [(call, on, body)] = gh.calls
    assert (call, on) == ("comment", number)
    assert body.startswith(f"@Codertocat: ![cat image]({api.image_url})\n\n<details>")
    assert f"In response to [this]({link}):" in body


def test_response_format() -> None:
    assert format_response(
        "/meow\nplease", "https://x/1", "bob", "![cat image](https://c/1.jpg)"
    ) == (
        "@bob: ![cat image](https://c/1.jpg)\n\n<details>\n\nIn response to [this](https://x/1):"
        "\n\n>/meow\n>please\n</details>"
    )


def test_plugin_value() -> None:
    assert CAT.name == "cat"
    assert set(CAT.handlers) == {"generic_comment"}
    assert "/meowvie" in CAT.help


@pytest.mark.parametrize(
    ("key_file", "sent_key"),
    [("k3y-from-file\n", "k3y-from-file"), (None, None)],
    ids=["key-file", "key-file-missing"],
)
async def test_dispatched_through_registry(
    api: CatAPI, store: JobStore, tmp_path: Path, key_file: str | None, sent_key: str | None
) -> None:
    key_path = tmp_path / "api-key"
    if key_file is not None:
        key_path.write_text(key_file)
    config = plugin_config(tmp_path, ["cat"], f"cat:\n  key_path: {key_path}\n")
    registry = Registry([cat_plugin(_clowder(api))])
    [(name, handler)] = registry.handlers_for("issue_comment", ORG, REPO, config.plugins)
    gh = FakeGitHub()
    await handler(
        plugin_context(store, gh, "issue_comment", config),
        parsed("issue_comment", comment_payload("/meowvie caturday")),
    )
    assert name == "cat"
    [search] = api.searches()
    assert search.query["category"] == "caturday"
    assert search.query["mime_types"] == "gif"
    assert search.api_key == sent_key
    [comment] = gh.comments()
    assert f"![cat image]({api.image_url})" in comment
    assert "\n>/meowvie caturday\n</details>" in comment


async def test_needs_a_github_client(api: CatAPI, store: JobStore, tmp_path: Path) -> None:
    ctx = plugin_context(store, object(), "issue_comment", plugin_config(tmp_path, ["cat"]))
    with pytest.raises(TypeError, match="GitHub client"):
        await cat_plugin(_clowder(api)).for_event("issue_comment")(
            ctx, parsed("issue_comment", comment_payload("/meow"))
        )


@pytest.mark.parametrize(
    ("settings", "problem"),
    [({"attempts": 0}, "attempt"), ({"fallback": ()}, "bundled image")],
    ids=["no-attempts", "no-fallback"],
)
def test_bad_settings(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        Clowder(**settings)

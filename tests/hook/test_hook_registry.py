"""The plugin registry and plugins.yaml enablement (minprow.hook.plugins.registry)."""

from __future__ import annotations

import pytest
from hook_helpers import Recorder, hook_config

from minprow.hook import Plugin, Registry
from minprow.hook.plugins.registry import DuplicatePlugin


@pytest.mark.parametrize(
    ("org", "repo", "enabled"),
    [
        ("Codertocat", "Hello-World", ("recorder", "failing", "second", "repo-only")),
        ("Codertocat", "Other", ("recorder", "failing", "second")),
        ("Codertocat", "Excluded", ("second",)),
        ("octo-org", "octo-repo", ("recorder",)),
        ("octo-org", "other", ()),
        ("nobody", "nothing", ()),
    ],
    ids=[
        "org-then-repo-deduplicated",
        "org-only",
        "excluded-keeps-repo-list",
        "repo-list-unregistered-skipped",
        "other-repo-of-unlisted-org",
        "unknown-org",
    ],
)
def test_plugins_for(org: str, repo: str, enabled: tuple[str, ...]) -> None:
    registry = Registry(Recorder().plugins())
    plugins = registry.plugins_for(org, repo, hook_config().plugins)
    assert tuple(p.name for p in plugins) == enabled


@pytest.mark.parametrize(
    ("event_type", "org", "repo", "handlers"),
    [
        ("pull_request", "Codertocat", "Hello-World", ("recorder", "failing", "second")),
        ("push", "Codertocat", "Hello-World", ("recorder", "failing", "repo-only")),
        ("push", "Codertocat", "Other", ("recorder", "failing")),
        ("issue_comment", "Codertocat", "Excluded", ()),
        ("status", "Codertocat", "Hello-World", ()),
    ],
    ids=["pull-request", "push-with-repo-plugin", "push-org-only", "excluded", "unhandled-type"],
)
def test_handlers_for(event_type: str, org: str, repo: str, handlers: tuple[str, ...]) -> None:
    registry = Registry(Recorder().plugins())
    found = registry.handlers_for(event_type, org, repo, hook_config().plugins)
    assert tuple(name for name, _ in found) == handlers


@pytest.mark.parametrize(
    ("event_type", "handled"),
    [("pull_request", True), ("push", True), ("status", False), ("ping", False)],
    ids=["pull-request", "push", "status", "ping"],
)
def test_handles(event_type: str, handled: bool) -> None:
    assert Registry(Recorder().plugins()).handles(event_type) is handled


def test_registry_is_explicit_and_ordered() -> None:
    registry = Registry(Recorder().plugins())
    assert registry.names() == ("recorder", "failing", "second", "repo-only")
    assert len(registry) == 4
    assert registry.get("second") is not None
    assert registry.get("absent") is None


def test_duplicate_names_refused() -> None:
    plugin = Plugin("twice", "Help.", {})
    with pytest.raises(DuplicatePlugin, match="twice"):
        Registry((plugin, plugin))

"""What hook says about the plugins plugins.yaml enables (minprow.hook.plugins.enabled),
with the real plugin values."""

from __future__ import annotations

import logging

import pytest

from minprow.config import PluginConfig
from minprow.hook.plugins.cat import CAT
from minprow.hook.plugins.enabled import PluginNotices
from minprow.hook.plugins.help import HELP
from minprow.hook.plugins.hold import HOLD
from minprow.hook.plugins.label import LABEL
from minprow.hook.plugins.lgtm import LGTM
from minprow.hook.plugins.trigger import TRIGGER

PLUGINS = (TRIGGER, LGTM, HOLD, LABEL, HELP, CAT)
CANNOT = "which cannot work without GitHub credentials"


def _config(plugins: dict[str, list[str]]) -> PluginConfig:
    return PluginConfig.model_validate({"plugins": plugins})


@pytest.mark.parametrize(
    ("github", "plugins", "lines"),
    [
        (
            False,
            {"acme/widgets": ["trigger"]},
            [
                (logging.INFO, "hook plugins: trigger for acme/widgets"),
                (logging.INFO, "no GitHub credentials: trigger trusts the author_association"),
            ],
        ),
        (
            False,
            {"acme": ["trigger", "lgtm"], "acme/widgets": ["hold", "lgtm"]},
            [
                (logging.INFO, "hook plugins: trigger for acme; lgtm for acme, acme/widgets; hold"),
                (logging.INFO, "no GitHub credentials: trigger"),
                (logging.WARNING, f"plugins.yaml enables lgtm, hold, {CANNOT}"),
            ],
        ),
        (
            True,
            {"acme": ["trigger", "lgtm"]},
            [(logging.INFO, "hook plugins: trigger for acme; lgtm for acme")],
        ),
        (
            False,
            {},
            [(logging.WARNING, "hook plugins: none (no plugins.yaml, or it enables none)")],
        ),
    ],
    ids=["trigger-offline", "some-need-a-client", "with-credentials", "nothing-enabled"],
)
def test_said_at_start(
    github: bool, plugins: dict[str, list[str]], lines: list[tuple[int, str]]
) -> None:
    said = PluginNotices(PLUGINS, github=github).notices(_config(plugins))
    assert len(said) == len(lines)
    for (level, text), (want_level, want) in zip(said, lines, strict=True):
        assert (level, text[: len(want)]) == (want_level, want)


@pytest.mark.parametrize(
    ("github", "runs"),
    [(False, ["trigger"]), (True, ["trigger", "lgtm", "hold", "label", "help", "cat"])],
    ids=["no-credentials", "credentials"],
)
def test_only_plugins_that_can_work_run(github: bool, runs: list[str]) -> None:
    assert [p.name for p in PluginNotices(PLUGINS, github=github).runnable()] == runs


def test_each_said_once_and_changes_said_again() -> None:
    notices = PluginNotices(PLUGINS, github=False)
    first = _config({"acme": ["trigger", "lgtm"]})
    assert len(notices.notices(first)) == 3
    assert notices.notices(first) == []
    # A reload enabling one more plugin: the new summary, and only the new complaint.
    said = notices.notices(_config({"acme": ["trigger", "lgtm", "cat"]}))
    assert [text.split(",")[0] for _, text in said] == [
        "hook plugins: trigger for acme; lgtm for acme; cat for acme",
        "plugins.yaml enables cat",
    ]

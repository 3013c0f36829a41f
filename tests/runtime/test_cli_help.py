"""The CLI explains itself: bare `minprow` (and each bare group) prints its help and
succeeds, and every option of every command has a help text, its choices shown."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator

import click
import pytest

from minprow.cli import main

RunMinprow = Callable[..., subprocess.CompletedProcess[str]]


def _commands(
    command: click.Command, path: tuple[str, ...] = ("minprow",)
) -> Iterator[tuple[str, click.Command]]:
    yield " ".join(path), command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(main))
GROUPS = [name for name, command in COMMANDS if isinstance(command, click.Group)]


@pytest.mark.parametrize("group", GROUPS)
def test_a_bare_group_prints_its_help_and_succeeds(minprow: RunMinprow, group: str) -> None:
    result = minprow(*group.split()[1:])
    assert result.returncode == 0, result.stderr
    usage = result.stdout.splitlines()[0]  # the program is `python -m minprow` here
    assert usage.startswith("Usage: ")
    assert usage.endswith(f"{group} [OPTIONS] COMMAND [ARGS]...")
    assert "Commands:" in result.stdout
    assert result.stderr == ""


def test_an_unknown_command_is_still_a_usage_error(minprow: RunMinprow) -> None:
    result = minprow("no-such-command")
    assert result.returncode == 2
    assert "No such command 'no-such-command'" in result.stderr


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_has_a_help_text(name: str, command: click.Command) -> None:
    assert command.help, f"`{name}` has no help text"
    missing = [
        "/".join(param.opts)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert missing == [], f"`{name}`: options without a help text: {', '.join(missing)}"


@pytest.mark.parametrize(
    ("argv", "shown"),
    [
        (["serve", "--help"], "--log-level [debug|info|warning|error]"),
        (["up", "--help"], "--log-level [debug|info|warning|error]"),
        (["run", "--help"], "--log-level [debug|info|warning|error]"),
        (["up", "--help"], "--log-format [text|json]"),
    ],
    ids=["serve-log-level", "up-log-level", "run-log-level", "up-log-format"],
)
def test_choices_are_shown_in_the_help(minprow: RunMinprow, argv: list[str], shown: str) -> None:
    result = minprow(*argv)
    assert result.returncode == 0, result.stderr
    assert shown in result.stdout


def test_a_log_level_outside_the_choices_is_a_usage_error(minprow: RunMinprow) -> None:
    result = minprow("serve", "--log-level", "trace")
    assert result.returncode == 2
    assert "'trace' is not one of 'debug', 'info', 'warning', 'error'" in result.stderr
    assert "Traceback" not in result.stderr

"""ConfirmScreen: every way to answer, by keyboard and mouse."""

from __future__ import annotations

import pytest
from tuiscreens_helpers import ScreenHost

from minprow.tui.screens.confirm import ConfirmScreen


@pytest.mark.parametrize(
    ("keys", "answer"),
    [
        (["y"], True),
        (["enter"], True),
        (["n"], False),
        (["escape"], False),
        (["tab", "enter"], True),
    ],
    ids=["y", "enter", "n", "escape", "enter-whatever-is-focused"],
)
async def test_keys_answer(keys: list[str], answer: bool) -> None:
    app = ScreenHost(ConfirmScreen("Abort pull-minprow-unit?"))
    async with app.run_test() as pilot:
        await pilot.press(*keys)
        await pilot.pause()
        assert app.results == [answer]
        assert not isinstance(app.screen, ConfirmScreen)


@pytest.mark.parametrize(("button", "answer"), [("#yes", True), ("#no", False)], ids=["yes", "no"])
async def test_buttons_answer(button: str, answer: bool) -> None:
    app = ScreenHost(ConfirmScreen("Rerun pull-minprow-unit?"))
    async with app.run_test() as pilot:
        await pilot.click(button)
        await pilot.pause()
        assert app.results == [answer]


async def test_question_is_shown() -> None:
    app = ScreenHost(ConfirmScreen("Rerun pull-minprow-unit?"))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert "Rerun pull-minprow-unit?" in str(app.screen.query_one("#question").render())

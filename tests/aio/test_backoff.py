"""Growing retry delays, and a repeating failure reported once per distinct error."""

from __future__ import annotations

import pytest

from minprow.aio import Backoff


@pytest.mark.parametrize(
    ("errors", "delays", "reports"),
    [
        (["boom"] * 6, [1, 2, 4, 8, 10, 10], [True, False, False, False, False, False]),
        (["a", "a", "b", "b", "a"], [1, 2, 4, 8, 10], [True, False, True, False, True]),
        (["a", None, "a", "a"], [1, None, 1, 2], [True, None, True, False]),
    ],
    ids=["same-error-once-delay-capped", "each-change-of-error-reported", "success-resets"],
)
def test_backoff(
    errors: list[str | None], delays: list[float | None], reports: list[bool | None]
) -> None:
    backoff: Backoff[str] = Backoff(1.0, 10.0)
    seen_delays: list[float | None] = []
    seen_reports: list[bool | None] = []
    for error in errors:
        if error is None:  # a success
            backoff.succeeded("job")
            seen_delays.append(None)
            seen_reports.append(None)
            continue
        retry = backoff.failed("job", error)
        seen_delays.append(retry.delay)
        seen_reports.append(retry.report)
    assert seen_delays == delays
    assert seen_reports == reports


def test_keys_are_independent_and_forgotten_on_success() -> None:
    backoff: Backoff[tuple[str, str]] = Backoff(1.0, 300.0)
    for _ in range(3):
        backoff.failed(("job-1", "github"), "down")
    assert backoff.failed(("job-2", "github"), "down").report
    assert backoff.succeeded(("job-1", "github")) == 3
    assert backoff.succeeded(("job-1", "github")) == 0
    assert len(backoff) == 1
    assert backoff.failed(("job-3", "github"), "x").delay == 1.0
    assert Backoff[str](1.0, 300.0).failed("k", "e").attempt == 1
    big: Backoff[str] = Backoff(1.0, 300.0)
    for _ in range(2000):  # no float overflow however long it fails
        retry = big.failed("k", "e")
    assert retry.delay == 300.0

"""Cron specs as Prow's robfig/cron v3 parser reads them, and when they fire.

Tables: robfig's parser_test.go, spec_test.go and constantdelay_test.go
(fixtures/config/cron/), under Prow's parser options."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from minprow.config.gocron import CronError, field_bits, parse_cron, surprises

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "config" / "cron"
PARSER: dict[str, Any] = yaml.safe_load((FIXTURES / "robfig-parser.yaml").read_text())
SPEC: dict[str, Any] = yaml.safe_load((FIXTURES / "robfig-spec.yaml").read_text())
STAR = 1 << 63


def _values(bits: int) -> list[int]:
    return [i for i in range(63) if bits >> i & 1]


@pytest.mark.parametrize(
    "case", PARSER["range"], ids=[f"{c['expr']}[{c['min']}-{c['max']}]" for c in PARSER["range"]]
)
def test_field(case: dict[str, Any]) -> None:
    if "error" in case:
        with pytest.raises(CronError, match=case["error"]):
            field_bits(case["expr"], case["min"], case["max"])
        return
    bits = field_bits(case["expr"], case["min"], case["max"])
    assert _values(bits) == case["values"]
    assert bool(bits & STAR) is case.get("star", False)


@pytest.mark.parametrize(
    "case", PARSER["errors"], ids=[c["spec"] or "empty" for c in PARSER["errors"]]
)
def test_refused(case: dict[str, Any]) -> None:
    with pytest.raises(CronError, match=case["error"]):
        parse_cron(case["spec"])


@pytest.mark.parametrize("spec", SPEC["errors"])
def test_refused_by_robfigs_spec_tests(spec: str) -> None:
    with pytest.raises(CronError):
        parse_cron(spec)


@pytest.mark.parametrize("case", PARSER["schedules"], ids=[c["spec"] for c in PARSER["schedules"]])
def test_schedule_fields(case: dict[str, Any]) -> None:
    schedule = parse_cron(case["spec"])
    for name in ("second", "minute", "hour", "dom", "month", "dow"):
        bits = getattr(schedule, name)
        if case[name] == "*":
            assert bits & STAR, name
        else:
            assert _values(bits & ~STAR) == case[name], name
    zone = schedule.zone
    assert (str(zone) if zone is not None else None) == case.get("zone")


@pytest.mark.parametrize("case", PARSER["every"], ids=[c["spec"] for c in PARSER["every"]])
def test_every_rounds_to_whole_seconds(case: dict[str, Any]) -> None:
    every = parse_cron(case["spec"]).every
    assert every is not None
    assert every.total_seconds() == case["delay_seconds"]


def _at(text: str, zone: str | None = None) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(ZoneInfo(zone)) if zone else moment


@pytest.mark.parametrize(
    "case", PARSER["every_next"], ids=[f"{c['after']} {c['spec']}" for c in PARSER["every_next"]]
)
def test_every_next(case: dict[str, Any]) -> None:
    assert parse_cron(case["spec"]).next(_at(case["after"])) == _at(case["next"])


@pytest.mark.parametrize(
    "case", SPEC["activation"], ids=[f"{c['time']} {c['spec']}" for c in SPEC["activation"]]
)
def test_activation(case: dict[str, Any]) -> None:
    moment = _at(case["time"])
    fired = parse_cron(case["spec"]).next(moment - timedelta(seconds=1))
    assert (fired == moment) is case["fires"]


@pytest.mark.parametrize(
    "case", SPEC["next"], ids=[f"{c['after']} {c['spec']}" for c in SPEC["next"]]
)
def test_next(case: dict[str, Any]) -> None:
    after = _at(case["after"], case.get("zone"))
    found = parse_cron(case["spec"]).next(after)
    if case["next"] is None:
        assert found is None
    else:
        # In UTC: Python never finds an ambiguous wall time (fold=1) equal to a time
        # in another zone, even the same instant.
        assert found is not None
        assert found.astimezone(UTC) == _at(case["next"]).astimezone(UTC)


@pytest.mark.parametrize(
    "case",
    SPEC["next_in_zone_of_time"],
    ids=[f"{c['after']} {c['spec']}" for c in SPEC["next_in_zone_of_time"]],
)
def test_next_in_the_zone_of_the_time(case: dict[str, Any]) -> None:
    found = parse_cron(case["spec"]).next(_at(case["after"]))
    assert found == _at(case["next"])
    assert found is not None
    assert found.utcoffset() == _at(case["next"]).utcoffset()


@pytest.mark.parametrize(
    ("spec", "warning"),
    [
        ("0 22, 10 * * *", "it runs at second 0, minute 22, hour 10"),
        ("0 22, * * *", "it runs as '0 22 * * *'"),
        ("0 10,22 * * *", None),
        ("30 0 22 * * *", None),
        ("@daily", None),
        ("not a spec", None),
    ],
)
def test_surprises(spec: str, warning: str | None) -> None:
    found = surprises(spec)
    if warning is None:
        assert found is None
    else:
        assert found is not None
        assert warning in found


def test_check_config_warns_where_a_spec_will_not_do_what_it_says(tmp_path: Path) -> None:
    from minprow.config import load_config

    jobs = tmp_path / "jobs.yaml"
    jobs.write_text(
        "periodics:\n"
        "- {name: twice-a-day, cron: '0 22, 10 * * *', spec: {containers: [{image: a}]}}\n"
        "- {name: berlin-noon, cron: 'TZ=Europe/Berlin 0 12 * * *', spec: {containers: [{image: a}]}}\n"
        "- {name: plain, cron: '0 10,22 * * *', spec: {containers: [{image: a}]}}\n"
    )
    config = load_config(None, jobs, strict=True)
    found = {(n.job, n.field): n.message for n in config.notices}
    assert set(found) == {("twice-a-day", "cron"), ("berlin-noon", "cron")}
    assert "minute 22, hour 10" in found[("twice-a-day", "cron")]
    assert "never runs" in found[("berlin-noon", "cron")]

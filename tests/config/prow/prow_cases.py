"""Reading the Prow conformance tables of fixtures/config/prow/.

Each table file maps a section name to a list of cases; every case has an `id`, the
Prow test it comes from (`source`) and, where minprow does not agree with Prow yet,
`xfail: <reason>`, which becomes a strict xfail: the case fails the suite as soon as
minprow starts to agree, so the mark is removed with the fix.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

TABLES = Path(__file__).resolve().parents[3] / "fixtures" / "config" / "prow"


@cache
def _table(area: str) -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = yaml.safe_load((TABLES / f"{area}.yaml").read_text())
    return data


def cases(area: str, section: str) -> list[Any]:
    """The cases of one section as pytest params (xfail-marked where the table says so)."""
    found = []
    for case in _table(area)[section]:
        assert {"id", "source"} <= case.keys(), case
        marks = []
        if "xfail" in case:
            marks.append(pytest.mark.xfail(strict=True, reason=case["xfail"]))
        found.append(pytest.param(case, marks=marks))
    return found


def ids(area: str, section: str) -> list[str]:
    """The ids of one section, in order (unique within the section)."""
    names = [str(case["id"]) for case in _table(area)[section]]
    assert len(names) == len(set(names)), f"duplicate ids in {area}.yaml {section}"
    return names


def go_ns(value: Any) -> int:
    """A Go duration (a duration string, or an integer of nanoseconds) in nanoseconds.

    Exact, unlike a `timedelta`, so a table's "1ns" is not mistaken for zero."""
    if isinstance(value, int):
        return value
    from decimal import Decimal

    units = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 10**6, "s": 10**9, "m": 60 * 10**9}
    units["h"] = 3600 * 10**9
    text = str(value)
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("+-")
    if text == "0":
        return 0
    total = Decimal(0)
    number = ""
    i = 0
    while i < len(text):
        if text[i].isdigit() or text[i] == ".":
            number += text[i]
            i += 1
            continue
        unit = next(u for u in ("ns", "us", "µs", "ms", "h", "m", "s") if text.startswith(u, i))
        total += Decimal(number) * units[unit]
        number = ""
        i += len(unit)
    return sign * int(total)


def write_configs(
    root: Path, prow_config: str, job_configs: list[str] | None = None
) -> tuple[Path, Path | None]:
    """config.yaml and the job config as Prow's TestValidConfigLoading writes them:
    one job config is a file, several are config_<n>.yaml in a directory."""
    config = root / "config.yaml"
    config.write_text(prow_config)
    if not job_configs:
        return config, None
    jobs = root / "jobs"
    jobs.mkdir()
    if len(job_configs) == 1:
        (jobs / "config.yaml").write_text(job_configs[0])
        return config, jobs / "config.yaml"
    for i, text in enumerate(job_configs):
        (jobs / f"config_{i}.yaml").write_text(text)
    return config, jobs

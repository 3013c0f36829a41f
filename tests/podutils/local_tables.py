"""The tables of fixtures/podutils/local, read once per test module, and their rows
as pytest params: id from a field of the row, a row with `xfail` marked strict
with its reason.

Imported as `from local_tables import ...` (a name no other test directory uses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yaml

LOCAL = Path(__file__).parents[2] / "fixtures" / "podutils" / "local"


def table(name: str) -> Any:
    """The fixture `name` (a file of fixtures/podutils/local), parsed."""
    return yaml.safe_load((LOCAL / name).read_text())


def params(
    rows: Iterable[dict[str, Any]],
    id_of: Callable[[dict[str, Any]], str] = lambda row: str(row["name"]),
) -> list[Any]:
    return [
        pytest.param(
            row,
            id=id_of(row),
            marks=[pytest.mark.xfail(strict=True, reason=row["xfail"])] if "xfail" in row else [],
        )
        for row in rows
    ]

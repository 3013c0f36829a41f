"""podutils/quantity.py: Kubernetes resource quantities, against apimachinery's own
tables (pkg/api/resource/quantity_test.go, ported to
fixtures/podutils/local/quantity_test.yaml)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from local_tables import params, table

from minprow.podutils.quantity import QuantityError, milli_value, parse_quantity, value

TABLES = table("quantity_test.yaml")


def _rows(name: str, key: str = "input") -> list[Any]:
    return params(TABLES[name], lambda row: str(row.get("name", row[key])) or "empty")


@pytest.mark.parametrize("row", _rows("parse"))
def test_parse_as_kubernetes_parses(row: dict[str, Any]) -> None:
    amount = parse_quantity(row["input"])
    if not row.get("rounded"):
        assert amount == Fraction(row["amount"])
    if "milli" in row:
        assert milli_value(amount) == row["milli"]
    if "value" in row:
        assert value(amount) == row["value"]


@pytest.mark.parametrize("sign", ["+", "-"], ids=["plus", "minus"])
@pytest.mark.parametrize(
    "row", [r for r in _rows("parse") if not r.values[0].get("rounded") and not r.marks]
)
def test_parse_with_a_sign(row: dict[str, Any], sign: str) -> None:
    expected = Fraction(row["amount"]) * (-1 if sign == "-" else 1)
    assert parse_quantity(sign + row["input"]) == expected


@pytest.mark.parametrize("text", TABLES["invalid"], ids=[t or "empty" for t in TABLES["invalid"]])
def test_not_a_quantity(text: str) -> None:
    with pytest.raises(QuantityError):
        parse_quantity(text)


@pytest.mark.parametrize("row", _rows("json_whitespace"))
def test_spaces_around_a_decoded_quantity(row: dict[str, Any]) -> None:
    assert parse_quantity(row["input"]) == Fraction(row["amount"])


@pytest.mark.parametrize(
    "row",
    params(TABLES["round_up"], lambda row: f"{row['input']}@{row['scale']}"),
)
def test_rounding_up_to_the_kubelets_scales(row: dict[str, Any]) -> None:
    read = milli_value if row["scale"] == -3 else value
    assert read(parse_quantity(row["input"])) == row["expected"]


@pytest.mark.parametrize("row", _rows("scaled_value"))
def test_one_unit_read_at_milli_and_unit_scale(row: dict[str, Any]) -> None:
    amount = parse_quantity(row["input"])
    assert (milli_value(amount), value(amount)) == (row["milli"], row["value"])


@pytest.mark.parametrize("row", _rows("yaml_scalars"))
def test_yaml_scalars(row: dict[str, Any]) -> None:
    if row.get("error"):
        with pytest.raises(QuantityError):
            parse_quantity(row["input"])
    else:
        assert parse_quantity(row["input"]) == Fraction(row["amount"])

"""Kubernetes resource quantities (`500m`, `2Gi`, `1.5`, `1e3`) as exact fractions.

What k8s.io/apimachinery's resource.Quantity reads, for the values a local
run needs: container limits (cpu, memory) and the kubelet's `resourceFieldRef`
arithmetic, which rounds up (`MilliValue`, `Value`).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

_QUANTITY = re.compile(
    r"^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$"
)
_SUFFIXES = {
    None: Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


_BINARY = frozenset({"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"})
_MAX_INT64 = 2**63 - 1


class QuantityError(ValueError):
    """Not a Kubernetes quantity."""


def parse_quantity(value: object) -> Fraction:
    """The exact amount of a quantity; QuantityError for anything else.

    A bare number in YAML (`cpu: 2`, `cpu: 0.5`) is a quantity too."""
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise QuantityError(f"{value!r} is not a Kubernetes quantity")
    number, suffix, exponent = match.groups()
    amount = Fraction(number)
    if exponent is not None:
        return amount * Fraction(10) ** int(exponent)
    amount *= _SUFFIXES[suffix]
    if suffix in _BINARY and abs(amount) > _MAX_INT64:
        # ParseQuantity saturates a binary amount that int64 cannot hold.
        return Fraction(_MAX_INT64 if amount > 0 else -_MAX_INT64)
    return amount


def milli_value(amount: Fraction) -> int:
    """Quantity.MilliValue: thousandths, rounded up, away from zero."""
    return _away_from_zero(amount * 1000)


def value(amount: Fraction) -> int:
    """Quantity.Value: whole units, rounded up, away from zero."""
    return _away_from_zero(amount)


def _away_from_zero(amount: Fraction) -> int:
    return math.ceil(amount) if amount >= 0 else -math.ceil(-amount)

"""One parser for ratios written by people: ``0.1``, ``"0.1"``, ``"10 %"``, ``"10%"``, ``"12 ‰"``.

Rule packs (loss rates, shares, uplifts) and BOM lines (scrap) read them the same way, exactly:
a string goes through the unit registry as a dimensionless quantity (``%`` is 1/100, ``‰`` is
1/1000), so ``"10 %"`` is ``Fraction(1, 10)`` everywhere.
"""

from __future__ import annotations

from fractions import Fraction

from jxc_rules._internal.exact import to_fraction
from jxc_rules.errors import UnitError, ValidationError, bad_value

__all__ = ["parse_ratio"]


def parse_ratio(value: object, field: str) -> Fraction:
    """``value`` as an exact dimensionless ratio (a number, or a string like ``"10 %"``).

    >>> parse_ratio("10 %", "scrap"), parse_ratio("0.25", "scrap"), parse_ratio(0.5, "x")
    (Fraction(1, 10), Fraction(1, 4), Fraction(1, 2))
    >>> parse_ratio("10 kg", "scrap")
    Traceback (most recent call last):
    ...
    jxc_rules.errors.UnitError: scrap must be a ratio (0.1 or '10 %'), got '10 kg'
    """
    if isinstance(value, bool):
        raise bad_value(field, value, "a ratio (0.1 or '10 %'), not a bool")
    if isinstance(value, str):
        from jxc_rules.units import exact_magnitude

        try:
            return exact_magnitude(value, "dimensionless", field=field)
        except UnitError:
            raise bad_value(field, value, "a ratio (0.1 or '10 %')", error=UnitError) from None
    try:
        return to_fraction(value, field)
    except ValidationError:
        raise bad_value(field, value, "a ratio (0.1 or '10 %')") from None
